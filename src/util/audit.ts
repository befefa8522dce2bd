import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { searchAudit, type AuditQuery, type AuditSearch } from './audit-search.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/**
 * The audit log: one JSON object per line in `<dataDir>/audit.log`, rotated by size to
 * audit.log.1 .. audit.log.<keep>. Entries carry who, what, from where and the outcome;
 * never a PIN, OTP, password or full phone number (callers pass masked values).
 */
export interface AuditEntry {
  action: string;
  user?: string | undefined;
  realm?: string | undefined;
  serial?: string | undefined;
  client?: string | undefined;
  administrator?: string | undefined;
  result?: boolean | undefined;
  authentication?: string | undefined;
  reason?: string | undefined;
  message?: string | undefined;
  provider?: string | null | undefined;
  [k: string]: unknown;
}

export interface AuditLog {
  write(entry: AuditEntry): void;
  /** Newest first, at most `limit` matches, reading the rotated generations too. */
  search(q: AuditQuery, limit: number): Promise<AuditSearch>;
  close(): void;
}

export const AUDIT_FILE = 'audit.log';

export function openAuditLog(dataDir: string, opts: { maxBytes: number; keep: number; clock?: Clock }): AuditLog {
  const file = path.join(dataDir, AUDIT_FILE);
  const clock = opts.clock ?? systemClock;
  let fd = openSync(file, 'a', 0o600);
  let size = fstatSync(fd).size;

  const rotate = () => {
    closeSync(fd);
    rmSync(`${file}.${opts.keep}`, { force: true });
    for (let i = opts.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        /* a missing generation is normal on a young log */
      }
    }
    renameSync(file, `${file}.1`);
    fd = openSync(file, 'a', 0o600);
    size = 0;
  };

  return {
    write(entry) {
      const line = `${JSON.stringify({ time: new Date(clock.now()).toISOString(), ...entry })}\n`;
      // Synchronous append: audit lines are small, and an entry must not be lost to a crash
      // that follows the response (the OS has it once write returns).
      const bytes = Buffer.byteLength(line);
      if (size + bytes > opts.maxBytes && size > 0) rotate();
      writeSync(fd, line);
      size += bytes;
    },
    search: (q, limit) => searchAudit(file, opts.keep, q, limit),
    close() {
      closeSync(fd);
    },
  };
}

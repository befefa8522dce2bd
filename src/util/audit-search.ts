import { readFile } from 'node:fs/promises';

export interface AuditQuery {
  user?: string;
  action?: string;
  /** 'ok' | 'fail' */
  result?: string;
  client?: string;
  from?: number | null;
  to?: number | null;
}

export interface AuditSearch {
  rows: AuditRow[];
  /** Older generations were not read (the search reads at most MAX_BYTES). */
  truncated: boolean;
  /** More entries match than `limit`. */
  more: boolean;
}

export type AuditRow = Record<string, unknown> & { time: string; action: string };

/** How much of the log one search reads at most (newest first): a search never holds the whole history. */
const MAX_BYTES = 32 * 1024 * 1024;

const has = (v: unknown, needle: string) => typeof v === 'string' && v.toLowerCase().includes(needle);

function matches(e: AuditRow, q: AuditQuery): boolean {
  if (q.user) {
    const n = q.user.toLowerCase();
    if (!has(e.user, n) && !has(e.administrator, n)) return false;
  }
  if (q.action && !has(e.action, q.action.toLowerCase())) return false;
  if (q.result === 'ok' && e.result !== true) return false;
  if (q.result === 'fail' && e.result !== false) return false;
  if (q.client && !has(e.client, q.client.toLowerCase())) return false;
  if (q.from != null || q.to != null) {
    const t = Date.parse(e.time);
    if (q.from != null && !(t >= q.from)) return false;
    if (q.to != null && !(t <= q.to)) return false;
  }
  return true;
}

/**
 * Searches the audit log (audit.log, then its rotated generations), newest entry first, up to
 * `limit` matches. `truncated` says when older entries were not read. The log's owner
 * (util/audit.ts) offers it as AuditLog.search, so no reader has to know where the files are.
 */
/** `file` is the live log's path; its generations are `<file>.1` .. `<file>.<keep>`. */
export async function searchAudit(file: string, keep: number, q: AuditQuery, limit: number): Promise<AuditSearch> {
  const rows: AuditRow[] = [];
  let bytes = 0;
  for (let gen = 0; gen <= keep; gen++) {
    const generation = gen === 0 ? file : `${file}.${gen}`;
    let text: string;
    try {
      text = await readFile(generation, 'utf8');
    } catch {
      continue;
    }
    bytes += text.length;
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (!line) continue;
      let e: AuditRow;
      try {
        e = JSON.parse(line) as AuditRow;
      } catch {
        continue; // a torn last line after a crash
      }
      if (!matches(e, q)) continue;
      if (rows.length >= limit) return { rows, truncated: false, more: true };
      rows.push(e);
    }
    if (bytes > MAX_BYTES) return { rows, truncated: gen < keep, more: false };
  }
  return { rows, truncated: false, more: false };
}

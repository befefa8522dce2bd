import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AUDIT_FILE } from '../../util/audit.js';

export interface AuditQuery {
  user?: string;
  action?: string;
  /** 'ok' | 'fail' */
  result?: string;
  client?: string;
  from?: number | null;
  to?: number | null;
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
 * `limit` matches. `truncated` says when older entries were not read.
 */
export async function searchAudit(
  dataDir: string,
  keep: number,
  q: AuditQuery,
  limit: number,
): Promise<{ rows: AuditRow[]; truncated: boolean; more: boolean }> {
  const rows: AuditRow[] = [];
  let bytes = 0;
  for (let gen = 0; gen <= keep; gen++) {
    const file = path.join(dataDir, gen === 0 ? AUDIT_FILE : `${AUDIT_FILE}.${gen}`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
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

export const AUDIT_COLUMNS = [
  'time',
  'action',
  'result',
  'administrator',
  'user',
  'realm',
  'serial',
  'client',
  'authentication',
  'provider',
  'reason',
  'message',
];

/** One CSV line; a leading = + - @ is quoted with a ' so a spreadsheet never runs it as a formula. */
export function csvLine(values: unknown[]): string {
  return values
    .map((v) => {
      let s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
      return /[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

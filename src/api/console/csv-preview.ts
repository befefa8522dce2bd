import { parseCsvRows, userKey, type UserDirectory, type UserInput } from '../../token/users.js';
import { errorText } from './context.js';

export const IMPORT_MAX_ROWS = 10_000;
export const IMPORT_MAX_BYTES = 1024 * 1024;

export interface PreviewRow {
  line: number;
  input: UserInput | null;
  /** new user, or an update of an existing one; null when the row has an error. */
  action: 'create' | 'update' | null;
  error: string | null;
}

export interface Preview {
  /** A problem with the whole file (no header, unknown columns): nothing can be imported. */
  fileError: string | null;
  rows: PreviewRow[];
  valid: number;
  invalid: number;
}

const KNOWN = new Set(['user', 'login', 'realm', 'mobile', 'givenname', 'surname']);

/**
 * Checks a user CSV row by row with the same rules the import applies (UserDirectory.build), so
 * the preview says exactly what will happen: each row is created, updated, or refused with its
 * reason, and the admin imports the good rows knowing which were left out.
 */
export function previewUserCsv(text: string, users: UserDirectory): Preview {
  const none = (fileError: string): Preview => ({ fileError, rows: [], valid: 0, invalid: 0 });
  if (Buffer.byteLength(text) > IMPORT_MAX_BYTES) return none(`The file is larger than ${IMPORT_MAX_BYTES / 1024} KB: split it.`);
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''));
  if (rows.length === 0) return none('The file is empty.');
  const header = rows[0]!.map((h) => h.trim().toLowerCase());
  const loginCol = header.indexOf('user') >= 0 ? header.indexOf('user') : header.indexOf('login');
  if (loginCol < 0) return none('The header row needs a "user" (or "login") column; optional: realm, mobile, givenname, surname.');
  const unknown = header.filter((h) => !KNOWN.has(h));
  if (unknown.length) return none(`Unknown column(s): ${unknown.join(', ')}. Known: user, realm, mobile, givenname, surname.`);
  if (rows.length - 1 > IMPORT_MAX_ROWS) return none(`At most ${IMPORT_MAX_ROWS} rows per import (this file has ${rows.length - 1}).`);
  const col = (r: string[], name: string) => (header.indexOf(name) >= 0 ? (r[header.indexOf(name)] ?? '').trim() : '');
  const seen = new Map<string, number>();
  const out: PreviewRow[] = [];
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const login = (r[loginCol] ?? '').trim();
    if (r.length > header.length) return out.push({ line, input: null, action: null, error: `${r.length} fields, the header has ${header.length}` });
    if (!login) return out.push({ line, input: null, action: null, error: 'no user name' });
    const input: UserInput = { login };
    for (const k of ['realm', 'mobile', 'givenname', 'surname'] as const) if (col(r, k)) input[k] = col(r, k);
    try {
      const rec = users.build(input, users.get(login, input.realm || users.defaultRealm));
      const key = userKey(rec.realm, rec.login);
      const dup = seen.get(key);
      if (dup !== undefined) return out.push({ line, input, action: null, error: `the same user as line ${dup}` });
      seen.set(key, line);
      out.push({ line, input, action: users.get(rec.login, rec.realm) ? 'update' : 'create', error: null });
    } catch (err) {
      out.push({ line, input, action: null, error: errorText(err) });
    }
  });
  const valid = out.filter((r) => r.error === null).length;
  return { fileError: null, rows: out, valid, invalid: out.length - valid };
}

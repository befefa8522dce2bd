/** The audit page's CSV export: the columns, in order, and one line per entry. */
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

/**
 * `+CCLK: "yy/MM/dd,hh:mm:ss±zz"` (27.007 8.15; zz in quarters of an hour) to epoch ms, or null.
 * A modem that never got network time reports its boot default (often 2004 or 1980): callers
 * must check plausibility.
 */
export function parseCclk(line: string): number | null {
  const m = /\+CCLK:\s*"?(\d{2})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})([+-]\d{1,2})?"?/.exec(line);
  if (!m) return null;
  const [, yy, mo, dd, hh, mi, ss, tz] = m;
  const utc = Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss));
  const quarters = tz ? Number(tz) : 0;
  return utc - quarters * 15 * 60_000;
}

import { Writable } from 'node:stream';

/**
 * Human-readable log lines from pino's JSON, for a terminal: `smsotpd serve` run by hand (stdout
 * is a TTY) and `journalctl -u smsotpd -o cat | smsotpd pretty`. The journal itself keeps the
 * JSON, which tools parse. One line per record:
 *   2026-12-04 03:55:30.123 INFO  store: store opened dataDir=/var/lib/smsotpd seq=0
 * An error's stack follows on indented lines. No dependency: pino-pretty would pull in a dozen.
 */
const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[41m\x1b[97m'],
};
const RESET = '\x1b[0m';
/** Fields shown in the head of the line, or not at all (the same on every line). */
const HEAD_KEYS = new Set(['level', 'time', 'msg', 'name', 'part', 'pid', 'hostname', 'err']);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line to one readable line (or several, with a stack); anything else unchanged. */
export function formatLogLine(line: string, color = false): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as { level?: unknown }).level !== 'number') return line;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const [name, tint] = LEVELS[rec.level as number] ?? [String(rec.level).padEnd(5), ''];
  const level = color && tint ? `${tint}${name}${RESET}` : name;
  const time = typeof rec.time === 'number' ? localTime(rec.time) : '';
  const part = typeof rec.part === 'string' ? `${rec.part}: ` : '';
  const fields = Object.entries(rec)
    .filter(([k]) => !HEAD_KEYS.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  const err = rec.err as { message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') fields.push(`err=${value(err.message ?? err)}`);
  let out = `${time} ${level} ${part}${typeof rec.msg === 'string' ? rec.msg : ''}${fields.length ? ` ${fields.join(' ')}` : ''}`;
  if (err && typeof err.stack === 'string' && (rec.level as number) >= 50) {
    out += `\n${err.stack
      .split('\n')
      .slice(1)
      .map((l) => `    ${l.trim()}`)
      .join('\n')}`;
  }
  return out;
}

/** A stream pino writes its JSON lines to, passing them on formatted. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }, color = Boolean(out.isTTY)): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      const text = lines.map((l) => `${formatLogLine(l, color)}\n`).join('');
      if (text) out.write(text);
      done();
    },
    final(done) {
      if (rest) out.write(`${formatLogLine(rest, color)}\n`);
      done();
    },
  });
}

/** Readable lines on a terminal; JSON otherwise (the journal, a pipe). SMSOTPD_LOG_FORMAT=json|pretty decides. */
export function wantPretty(stdout: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.SMSOTPD_LOG_FORMAT === 'json') return false;
  if (env.SMSOTPD_LOG_FORMAT === 'pretty') return true;
  return Boolean(stdout.isTTY);
}

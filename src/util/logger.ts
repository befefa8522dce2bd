import { pino, type Logger, type LoggerOptions } from 'pino';
import { prettyStream, wantPretty } from './pretty-log.js';

export type { Logger };

/**
 * Field names whose values must never reach a log line, wherever they sit in the object.
 * `to`/`phone`/`mobile` are not here: they are masked with maskPhone() at the call site,
 * because a masked number is still useful to an operator.
 */
export const REDACTED_KEYS = [
  'pin',
  'otppin',
  'pass',
  'password',
  'otp',
  'otpkey',
  'key',
  'secret',
  'token',
  'text',
  'PASSWORD',
  'MAILPASSWORD',
  'BINDPW',
  'simPin',
  'authorization',
  'Authorization',
  'PI-Authorization',
];

const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]).map((p) =>
  p.replace(/(^|\.)([A-Za-z]+-[A-Za-z-]+)$/, (_m, dot: string, name: string) => `${dot}["${name}"]`),
);

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { name: 'smsotpd' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (opts.destination) return pino(options, opts.destination as never);
  // On a terminal, readable lines (pino's JSON goes to the journal and to pipes as it is).
  return wantPretty() ? pino(options, prettyStream(process.stdout) as never) : pino(options);
}

/** A logger that drops everything, for tests and CLI one-shots. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Masks a phone number for logs: keeps the country-code-ish head and the last two digits,
 * e.g. +4917612345678 -> +49**********78. Short or odd input is masked entirely.
 */
export function maskPhone(phone: string | undefined | null): string {
  if (!phone) return '';
  const s = String(phone);
  if (s.length <= 5) return '*'.repeat(s.length);
  const head = s.startsWith('+') ? 3 : 2;
  return s.slice(0, head) + '*'.repeat(s.length - head - 2) + s.slice(-2);
}

/**
 * Masks digit runs in free text that may come from outside (a gateway's error reply echoing the
 * SMS, an SMTP server quoting the recipient): 6-8 digits (an OTP's length) vanish entirely,
 * longer runs (phone numbers) are masked like maskPhone. For error details, never user input.
 */
export function scrubDigits(text: string): string {
  return text.replace(/\+?\d{6,}/g, (run) => (run.replace('+', '').length <= 8 ? '*'.repeat(run.length) : maskPhone(run)));
}

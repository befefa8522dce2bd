import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { PiError, parameterError } from '../token/errors.js';
import { parseJsonBody } from './json.js';

export type Params = Map<string, string>;

/** Longest accepted value per parameter; anything not listed gets DEFAULT_MAX. */
const MAX_LEN: ReadonlyMap<string, number> = new Map([
  ['pass', 128],
  ['user', 256],
  ['username', 256],
  ['password', 256],
  ['realm', 64],
  ['serial', 64],
  ['transaction_id', 64],
  ['state', 64],
  ['pin', 64],
  ['otppin', 64],
  ['phone', 32],
  ['mobile', 32],
  ['description', 80],
  ['challenge', 256],
  ['text', 1530],
  ['otpkey', 128],
]);
const DEFAULT_MAX = 256;
const MAX_PARAMS = 50;

const unsupported = (type: string) =>
  new PiError(905, `Unsupported content type "${type}": send application/x-www-form-urlencoded or application/json.`, 'unsupportedMedia');

function add(out: Params, key: string, value: string): void {
  if (out.has(key)) throw parameterError(`Parameter '${key}' given more than once.`);
  if (out.size >= MAX_PARAMS) throw parameterError(`Too many parameters (at most ${MAX_PARAMS}).`);
  const max = MAX_LEN.get(key) ?? DEFAULT_MAX;
  if (value.length > max) throw parameterError(`Parameter '${key}' is too long (at most ${max} characters).`);
  out.set(key, value);
}

/** Form/query decoding that refuses malformed percent-escapes and invalid UTF-8 instead of guessing. */
function parseUrlEncoded(text: string, out: Params): void {
  if (!text) return;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawVal = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawVal.replace(/\+/g, ' '));
    } catch {
      throw parameterError('Malformed form data: invalid percent-encoding or not UTF-8.');
    }
    add(out, key, value);
  }
}

/**
 * Secrets must arrive as JSON strings: a number loses leading zeros (`0123` is not valid JSON,
 * `123` is not "0123"), so a numeric PIN or OTP would be checked, and counted, as something
 * the user never typed. privacyIDEA refuses them too.
 */
const STRING_ONLY: ReadonlySet<string> = new Set(['pass', 'password', 'pin', 'otppin', 'otpkey', 'transaction_id', 'state']);

function scalar(key: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (STRING_ONLY.has(key)) throw parameterError(`Parameter '${key}' must be a string.`);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return '';
  throw parameterError(`Parameter '${key}' must be a string, number or boolean.`);
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export const bodyTooLarge = (max: number) => new PiError(905, `Request body too large (at most ${max} bytes).`, 'tooLarge');

/**
 * The request body, at most `limit` bytes (the app puts limits.bodyBytes in the context). On the
 * Node server it is read straight from the socket's IncomingMessage: going through the web
 * Request object cost more than the whole login logic.
 */
export async function readBody(c: Context): Promise<Uint8Array> {
  const limit = (c.get('bodyLimit') as number | undefined) ?? DEFAULT_BODY_LIMIT;
  const declared = Number(c.req.header('content-length') ?? NaN);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (declared > limit) {
    // The client is still sending. Closing the connection at once while it writes makes its
    // kernel see a reset and drop our 413 unread: read a declared body we can afford into
    // nothing, and close only on one beyond that.
    if (incoming && typeof incoming.on === 'function' && declared <= DISCARD_AFTER_LIMIT) discardRest(incoming, 0);
    else c.header('Connection', 'close');
    throw bodyTooLarge(limit);
  }
  try {
    if (incoming && typeof incoming.on === 'function' && !incoming.readableEnded) return await readIncoming(incoming, limit);
    if (!c.req.raw.body) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of c.req.raw.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > limit) throw bodyTooLarge(limit);
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  } catch (err) {
    // readIncoming drains the rest of an oversized body itself; the web-stream path cannot.
    if (err instanceof PiError && err.kind === 'tooLarge' && !incoming) c.header('Connection', 'close');
    throw err;
  }
}

/** What the client may still send after a 413 is read and dropped, up to this much, before the socket is cut. */
const DISCARD_AFTER_LIMIT = 8 * 1024 * 1024;

/**
 * Reads what the client still sends into nothing, so it gets to read the 413 (the connection
 * stays usable); a client that goes on past DISCARD_AFTER_LIMIT in all is cut off.
 */
function discardRest(incoming: IncomingMessage, alreadyRead: number): void {
  let total = alreadyRead;
  incoming.on('data', (more: Buffer) => {
    total += more.length;
    if (total > DISCARD_AFTER_LIMIT) incoming.destroy();
  });
  incoming.on('error', () => {});
  incoming.resume();
}

/** Events, not an async iterator: a login body is one chunk, and the iterator's machinery allocated more than the login logic. */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      incoming.off('data', onData).off('end', onEnd).off('error', done).off('close', onClose);
      if (err) reject(err);
      else resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // A chunked body has no Content-Length to refuse up front. Answer 413 now and read the
        // rest into nothing: destroying the socket here reset the connection before the client
        // read the answer. A client that keeps sending far beyond is cut off.
        done(bodyTooLarge(limit));
        discardRest(incoming, size);
        return;
      }
      parts.push(chunk);
    };
    const onEnd = () => done(null);
    const onClose = () => done(new Error('the client closed the connection before the body was complete'));
    incoming.on('data', onData).on('end', onEnd).on('error', done).on('close', onClose);
  });
}

/**
 * privacyIDEA merges query string and body (form or JSON) into one parameter set. We do too,
 * but a name given twice (in one source or across both) is an error, not a silent pick.
 */
export async function readParams(c: Context): Promise<Params> {
  // Read once per request: a middleware (the login throttle keys on the admin name) may have.
  const cached = c.get('params') as Params | undefined;
  if (cached) return cached;
  const out = await parseParams(c);
  c.set('params', out);
  return out;
}

async function parseParams(c: Context): Promise<Params> {
  const out: Params = new Map();
  const url = c.req.url;
  const q = url.indexOf('?');
  if (q >= 0) parseUrlEncoded(url.slice(q + 1).split('#')[0]!, out);
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return out;

  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const buf = await readBody(c);
  if (buf.length === 0) return out;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw parameterError('The request body is not valid UTF-8.');
  }
  if (type === 'application/json') {
    const body = parseJsonBody(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw parameterError('The JSON body must be an object.');
    for (const [k, v] of Object.entries(body)) add(out, k, scalar(k, v));
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    parseUrlEncoded(text.trim(), out);
  } else {
    throw unsupported(type);
  }
  return out;
}

export const opt = (p: Params, key: string): string | undefined => p.get(key);

export function req(p: Params, key: string): string {
  const v = p.get(key);
  if (v === undefined) throw parameterError(`Missing parameter: '${key}'`);
  return v;
}

/** privacyIDEA's truthy strings for boolean parameters. */
export function flag(p: Params, key: string): boolean {
  const v = p.get(key);
  if (v === undefined) return false;
  return ['1', 'true', 'True', 'TRUE', 'yes', 'on'].includes(v);
}

export function int(p: Params, key: string, def: number, min: number, max: number): number {
  const v = p.get(key);
  if (v === undefined || v === '') return def;
  if (!/^-?\d+$/.test(v)) throw parameterError(`Parameter '${key}' must be an integer.`);
  const n = Number(v);
  if (n < min || n > max) throw parameterError(`Parameter '${key}' must be between ${min} and ${max}.`);
  return n;
}

import type { Context } from 'hono';
import type { DirectoryError } from '../directory/errors.js';
import type { PiError } from '../token/errors.js';
import { httpStatusOf } from './error-status.js';

/** The privacyIDEA API level we emulate; clients parse it as major.minor and switch features on it. */
export const API_LEVEL = '3.13';
export const VERSION = 'smsotpd 0.1.0';

type Detail = Record<string, unknown>;

/** privacyIDEA's success envelope. `authentication` is only present on /validate/* and /auth (id 2). */
export function ok(c: Context, value: unknown, opts: { detail?: Detail; authentication?: string; id?: 1 | 2 } = {}) {
  const body: Record<string, unknown> = {
    id: opts.id ?? 1,
    jsonrpc: '2.0',
    result: opts.authentication ? { status: true, value, authentication: opts.authentication } : { status: true, value },
    time: Date.now() / 1000,
    version: VERSION,
    versionnumber: API_LEVEL,
  };
  if (opts.detail && Object.keys(opts.detail).length) body.detail = { ...opts.detail, threadid: process.pid };
  return c.json(body, 200);
}

/**
 * privacyIDEA's error envelope: the code in `error.code`, the text alone in `error.message`
 * (privacyIDEA 3.11 sends no `ERR<code>: ` prefix there), no versionnumber.
 */
export function errorBody(err: PiError | DirectoryError) {
  const message = err.message.replace(/^ERR-?\d+: /, '');
  return {
    id: 1,
    jsonrpc: '2.0',
    result: { status: false, error: { code: err.code, message } },
    time: Date.now() / 1000,
    version: VERSION,
    detail: null,
  };
}

export function fail(c: Context, err: PiError | DirectoryError) {
  return c.json(errorBody(err), httpStatusOf(err) as 400);
}

import { request } from 'node:http';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { createCore } from '../core.js';
import { acquireLock, StoreLockedError } from '../store/lock.js';
import { openStore } from '../store/store.js';
import { silentLogger } from '../util/logger.js';

export const SOCKET_FILE = 'smsotpd.sock';

/** privacyIDEA's answer envelope, the parts the CLI reads; the daemon's JSON, not checked further. */
export interface Envelope {
  result?: { status?: boolean; value?: unknown; error?: { code?: unknown; message?: string } };
  detail?: Record<string, unknown> | null;
}

export interface ApiAnswer {
  status: number;
  body: Envelope | null;
}

export class CliError extends Error {
  override name = 'CliError';
}

export function socketPath(config: Config): string {
  return path.join(config.dataDir, SOCKET_FILE);
}

function viaSocket(sock: string, method: string, urlPath: string, body?: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: sock,
        method,
        path: urlPath,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          } catch {
            reject(new CliError(`the daemon answered ${res.statusCode} with a body that is not JSON`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new CliError('the daemon did not answer within 30 s')));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * Calls the admin API as the local administrator. With the daemon running, through its control
 * socket (mode 0600 in the data dir: whoever can use it can read the data anyway); without it,
 * in-process on the same store, holding the data-dir lock so the two never write at once.
 */
export async function callApi(config: Config, method: string, urlPath: string, body?: unknown): Promise<ApiAnswer> {
  const sock = socketPath(config);
  let lock;
  try {
    lock = acquireLock(config.dataDir);
  } catch (err) {
    if (!(err instanceof StoreLockedError)) throw err;
    if (!existsSync(sock)) {
      throw new CliError(`${err.message}; its control socket ${sock} is missing (is it still starting?). Retry, or stop the daemon first.`);
    }
    try {
      return await viaSocket(sock, method, urlPath, body);
    } catch (e) {
      throw new CliError(`${err.message}, but its control socket ${sock} does not answer: ${(e as Error).message}`);
    }
  }
  try {
    const store = await openStore({ dataDir: config.dataDir, logger: silentLogger });
    const core = createCore({ config, store, logger: silentLogger, providers: [] });
    try {
      const res = await core.app.request(
        urlPath,
        {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? null : JSON.stringify(body),
        },
        { local: true },
      );
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } finally {
      await core.stop();
      await store.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * The value of a privacyIDEA envelope, or a CliError with its error message. `T` is what the caller
 * expects the route to answer: taken on trust from our own daemon, as the JSON is not checked.
 */
export function valueOf<T = unknown>(ans: ApiAnswer): T {
  const result = ans.body?.result;
  if (!result) throw new CliError(`unexpected answer (HTTP ${ans.status})`);
  if (result.status === false) {
    // The API sends the code only in error.code (as privacyIDEA does); the CLI shows both.
    const e = result.error;
    throw new CliError(e?.message ? (typeof e.code === 'number' ? `ERR${e.code}: ${e.message}` : e.message) : `request failed (HTTP ${ans.status})`);
  }
  return result.value as T;
}

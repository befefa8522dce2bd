import type { Context, MiddlewareHandler } from 'hono';
import { authError, PiError } from '../../token/errors.js';

export interface Identity {
  role: 'admin' | 'gateway';
  username: string;
  via: 'jwt' | 'local' | 'apikey';
}

export interface AuthHooks {
  /** The control socket or the in-process CLI: the local administrator, no credential. */
  isLocal(c: Context): boolean;
  /** The admin a JWT names, or null (bad signature, expired, not an admin token, admin deleted). */
  verifyJwt(token: string): Promise<string | null>;
  /** Given: API keys (`NAME:SECRET` in X-API-Key or HTTP basic) are accepted here. */
  verifyApiKey?(name: string, secret: string): Promise<boolean>;
}

const MAX_JWT = 4096;
const MAX_API_KEY = 512;

async function apiKey(h: AuthHooks, credentials: string): Promise<Identity> {
  const colon = credentials.indexOf(':');
  if (colon <= 0 || credentials.length > MAX_API_KEY) throw authError('Authentication failure. Malformed API key (expected NAME:SECRET).');
  const name = credentials.slice(0, colon);
  if (!(await h.verifyApiKey!(name, credentials.slice(colon + 1)))) throw authError('Authentication failure. Wrong API key.');
  return { role: 'gateway', username: name, via: 'apikey' };
}

/**
 * privacyIDEA sends the JWT raw in `PI-Authorization` (or `Authorization`); `Bearer <jwt>` works
 * too. `Basic` credentials and `X-API-Key` are API keys (what privacyIDEA's HTTP SMS provider sends).
 */
export async function identify(c: Context, h: AuthHooks): Promise<Identity | null> {
  if (h.isLocal(c)) return { role: 'admin', username: 'local', via: 'local' };
  const header = c.req.header('PI-Authorization') ?? c.req.header('Authorization');
  const apiKeyHeader = c.req.header('X-API-Key');
  if (h.verifyApiKey && apiKeyHeader) return apiKey(h, apiKeyHeader);
  if (!header) return null;
  if (/^Basic /i.test(header)) {
    if (!h.verifyApiKey) throw authError('Authentication failure. API keys are accepted on /sms/ only.');
    return apiKey(h, Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
  }
  const token = header.replace(/^Bearer\s+/i, '').trim();
  if (token.length > MAX_JWT) throw authError('Authentication failure. Token too long.');
  const username = await h.verifyJwt(token);
  if (username === null) throw authError('Authentication failure. Missing or invalid authorization token.');
  return { role: 'admin', username, via: 'jwt' };
}

/** Sets `identity`, or answers 401 (privacyIDEA's 4033 without credentials, 4031 with bad ones). */
export function authenticate(h: AuthHooks): MiddlewareHandler {
  return async (c, next) => {
    const id = await identify(c, h);
    if (!id) throw new PiError(4033, 'Authentication failure. Missing Authorization header.', 'auth');
    c.set('identity', id);
    await next();
  };
}

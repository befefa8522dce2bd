import type { Context, MiddlewareHandler } from 'hono';
import { sign, verify } from 'hono/jwt';
import { randomBytes } from 'node:crypto';
import { authError, PiError } from '../token/errors.js';
import type { AppDeps, AppEnv, Identity } from './context.js';

const JWT_ALG = 'HS256';

export async function issueJwt(deps: AppDeps, username: string): Promise<string> {
  const now = Math.floor(deps.clock.now() / 1000);
  return sign(
    {
      username,
      realm: '',
      nonce: randomBytes(16).toString('hex'),
      role: 'admin',
      authtype: 'internal',
      iat: now,
      exp: now + deps.config.auth.jwtValidity,
      rights: ['enrollSMS', 'triggerchallenge', 'tokenlist', 'delete', 'enable', 'disable', 'reset', 'setpin', 'userlist', 'smssend'],
    },
    deps.secrets.jwtKey,
    JWT_ALG,
  );
}

/**
 * privacyIDEA sends the JWT raw in `PI-Authorization` (or `Authorization`); we also accept
 * `Bearer <jwt>`. `Basic` credentials are API keys (what privacyIDEA's HTTP SMS provider sends).
 */
async function identify(c: Context<AppEnv>, deps: AppDeps, allowApiKey: boolean): Promise<Identity | null> {
  if (c.env?.local) return { role: 'admin', username: 'local', via: 'local' };
  const header = c.req.header('PI-Authorization') ?? c.req.header('Authorization');
  const apiKeyHeader = c.req.header('X-API-Key');
  if (allowApiKey && apiKeyHeader) return apiKey(deps, apiKeyHeader);
  if (!header) return null;
  if (/^Basic /i.test(header)) {
    if (!allowApiKey) throw authError('Authentication failure. API keys are accepted on /sms/ only.');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    return apiKey(deps, decoded);
  }
  const token = header.replace(/^Bearer\s+/i, '').trim();
  if (token.length > 4096) throw authError('Authentication failure. Token too long.');
  try {
    const payload = await verify(token, deps.secrets.jwtKey, JWT_ALG);
    if (payload.role !== 'admin' || typeof payload.username !== 'string') throw new Error('not an admin token');
    if (!deps.store.get('admins', payload.username)) throw new Error('admin no longer exists');
    return { role: 'admin', username: payload.username, via: 'jwt' };
  } catch {
    throw authError('Authentication failure. Missing or invalid authorization token.');
  }
}

async function apiKey(deps: AppDeps, credentials: string): Promise<Identity> {
  const colon = credentials.indexOf(':');
  if (colon <= 0 || credentials.length > 512) throw authError('Authentication failure. Malformed API key (expected NAME:SECRET).');
  const name = credentials.slice(0, colon);
  if (!(await deps.accounts.verifyApiKey(name, credentials.slice(colon + 1)))) throw authError('Authentication failure. Wrong API key.');
  return { role: 'gateway', username: name, via: 'apikey' };
}

function requireIdentity(deps: AppDeps, allowApiKey: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = await identify(c, deps, allowApiKey);
    if (!id) throw new PiError(4033, 'ERR4033: Authentication failure. Missing Authorization header.', 401);
    c.set('identity', id);
    await next();
  };
}

/** Admin JWT (or the local control socket) required. */
export const requireAdmin = (deps: AppDeps) => requireIdentity(deps, false);

/** Admin JWT, or an API key (header or HTTP basic auth): the SMS gateway role. */
export const requireGateway = (deps: AppDeps) => requireIdentity(deps, true);

import { sign, verify } from 'hono/jwt';
import { randomBytes } from 'node:crypto';
import type { AppDeps } from './context.js';
import { authenticate, type AuthHooks } from './middleware/auth.js';

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
    deps.jwtKey,
    JWT_ALG,
  );
}

function hooks(deps: AppDeps, apiKeys: boolean): AuthHooks {
  return {
    isLocal: (c) => !!(c.env as { local?: boolean } | undefined)?.local,
    async verifyJwt(token) {
      try {
        const payload = await verify(token, deps.jwtKey, JWT_ALG);
        if (payload.role !== 'admin' || typeof payload.username !== 'string') return null;
        // A deleted admin's JWT dies with it.
        return deps.accounts.adminExists(payload.username) ? payload.username : null;
      } catch {
        return null;
      }
    },
    ...(apiKeys ? { verifyApiKey: (name: string, secret: string) => deps.accounts.verifyApiKey(name, secret) } : {}),
  };
}

/** Admin JWT (or the local control socket) required. */
export const requireAdmin = (deps: AppDeps) => authenticate(hooks(deps, false));

/** Admin JWT, or an API key (header or HTTP basic auth): the SMS gateway role. */
export const requireGateway = (deps: AppDeps) => authenticate(hooks(deps, true));

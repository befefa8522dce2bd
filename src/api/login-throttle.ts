import type { Context, MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from './context.js';
import { DEFAULT_THROTTLE, FailureThrottle } from './middleware/failure-throttle.js';
import { throttle } from './middleware/throttle.js';
import { readParams } from './params.js';

/** Names in keys are cut: a throttle key is bookkeeping, not a place to store what a client sent. */
const keyPart = (s: string) => s.slice(0, 128);

/** The admin name /auth is asked about, as the route reads it (`admin@realm` is `admin`). */
async function authName(c: Context<AppEnv>): Promise<string | null> {
  const p = await readParams(c);
  const u = p.get('username');
  if (u === undefined) return null;
  return p.get('realm') === undefined && u.includes('@') ? u.slice(0, u.lastIndexOf('@')) : u;
}

/** The API key name a gateway request carries (X-API-Key or HTTP basic), without checking it. */
function apiKeyName(c: Context<AppEnv>): string | null {
  let cred = c.req.header('X-API-Key');
  const auth = c.req.header('Authorization');
  if (!cred && auth && /^Basic /i.test(auth)) cred = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  if (!cred) return null;
  const colon = cred.indexOf(':');
  return colon > 0 ? cred.slice(0, colon) : null;
}

export interface LoginThrottles {
  /** POST /auth: per address and per admin name. */
  auth: MiddlewareHandler<AppEnv>;
  /** /sms/*: per address and per API key name (and JWT failures per address). */
  gateway: MiddlewareHandler<AppEnv>;
  /** Admin routes: JWT failures per address. */
  admin: MiddlewareHandler<AppEnv>;
  state: FailureThrottle;
}

/** The login throttle of every authenticated path. The control socket (`local`) is never throttled: it has no credential to guess. */
export function loginThrottles(deps: AppDeps): LoginThrottles {
  const a = deps.config.auth;
  const state = new FailureThrottle(
    { ...DEFAULT_THROTTLE, freeFailures: a.freeFailures, blockAfter: a.blockAfterFailures, windowMs: a.failureWindow * 1000 },
    () => deps.clock.now(),
  );
  const onBlocked = (c: Context<AppEnv>, info: { key: string; retryAfterSeconds: number; failures: number }) => {
    const [kind, ...rest] = info.key.split(':');
    deps.audit.write({
      action: `${c.req.method} ${c.req.path}`,
      client: c.get('client'),
      ...(kind === 'admin' ? { administrator: rest.join(':') } : {}),
      result: false,
      reason: `throttled: ${info.failures} authentication failures for this ${kind === 'addr' ? 'address' : kind === 'admin' ? 'admin name' : 'API key'}; retry in ${info.retryAfterSeconds} s`,
    });
  };
  const addr = (c: Context<AppEnv>) => (c.env?.local ? [] : [`addr:${keyPart(c.get('client'))}`]);
  return {
    state,
    auth: throttle<Context<AppEnv>>(state, {
      keys: async (c) => {
        if (c.env?.local) return [];
        const name = await authName(c);
        return name === null ? addr(c) : [...addr(c), `admin:${keyPart(name)}`];
      },
      onBlocked,
    }) as MiddlewareHandler<AppEnv>,
    gateway: throttle<Context<AppEnv>>(state, {
      keys: (c) => {
        if (c.env?.local) return [];
        const name = apiKeyName(c);
        return name === null ? addr(c) : [...addr(c), `apikey:${keyPart(name)}`];
      },
      onBlocked,
    }) as MiddlewareHandler<AppEnv>,
    admin: throttle<Context<AppEnv>>(state, { keys: addr, onBlocked }) as MiddlewareHandler<AppEnv>,
  };
}

import type { Context, MiddlewareHandler } from 'hono';
import { tooManyRequests } from '../../token/errors.js';
import type { FailureThrottle } from './failure-throttle.js';

/**
 * What the throttle needs from the route it guards, and nothing else: which keys an attempt
 * counts under, whether the answer was a failed authentication, and whom to tell.
 */
export interface ThrottleHooks<C extends Context = Context> {
  /** The keys of this attempt, e.g. `addr:192.0.2.7` and `admin:alice`. */
  keys(c: C): string[] | Promise<string[]>;
  /** Whether the answer is an authentication failure (default: HTTP 401). */
  failed?(c: C): boolean;
  /** An attempt refused with 429 (for the audit log). */
  onBlocked?(c: C, info: { key: string; retryAfterSeconds: number; failures: number }): void;
  /** Waits before answering; tests pass a recorder. */
  sleep?(ms: number): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Slows down, then refuses (429 with Retry-After), repeated authentication failures. */
export function throttle<C extends Context>(t: FailureThrottle, hooks: ThrottleHooks<C>): MiddlewareHandler {
  const failed = hooks.failed ?? ((c: C) => c.res.status === 401);
  const sleep = hooks.sleep ?? realSleep;
  const seen = new WeakSet<Request>();
  return async (c, next) => {
    // Mounted on overlapping patterns (`/admin` and `/admin/*`), it counts a request once.
    if (seen.has(c.req.raw)) return next();
    seen.add(c.req.raw);
    const ctx = c as C;
    const keys = await hooks.keys(ctx);
    const v = t.verdict(keys);
    if (v.blockedMs > 0) {
      const retryAfterSeconds = Math.ceil(v.blockedMs / 1000);
      c.header('Retry-After', String(retryAfterSeconds));
      hooks.onBlocked?.(ctx, { key: v.key!, retryAfterSeconds, failures: v.failures });
      throw tooManyRequests(`Too many failed authentications (${v.failures}); retry in ${retryAfterSeconds} s.`);
    }
    t.begin(keys);
    let outcome: 'failure' | 'success' | 'neutral' = 'neutral';
    try {
      if (v.delayMs > 0) await sleep(v.delayMs);
      await next();
      outcome = failed(ctx) ? 'failure' : c.res.status < 400 ? 'success' : 'neutral';
    } finally {
      t.end(keys, outcome);
    }
  };
}

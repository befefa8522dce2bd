import type { Context, MiddlewareHandler } from 'hono';
import { tooManyRequests } from '../../token/errors.js';

export interface RateLimitHooks<C extends Context = Context> {
  /** Takes one request from the caller's budget: 0 to go on, else ms until the next is allowed. */
  take(c: C): number;
  /** A refused request (for the audit log). */
  onLimited?(c: C, retryAfterSeconds: number): void;
  /** Who is limited, for the message. */
  who(c: C): string;
}

/** Refuses with 429 and Retry-After when the caller's budget (e.g. a token bucket per address) is spent. */
export function rateLimit<C extends Context>(h: RateLimitHooks<C>): MiddlewareHandler {
  return async (c, next) => {
    const ctx = c as C;
    const wait = h.take(ctx);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      c.header('Retry-After', String(s));
      h.onLimited?.(ctx, s);
      throw tooManyRequests(`Too many requests from ${h.who(ctx)}; retry in ${s} s.`);
    }
    await next();
  };
}

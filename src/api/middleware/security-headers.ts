import type { MiddlewareHandler } from 'hono';

export interface SecurityHeaderOptions {
  /** Content-Security-Policy for HTML answers; none when absent. */
  csp?: string;
}

/**
 * Headers every answer carries: no MIME sniffing, no referrer, no caching (answers hold
 * challenges, tokens and JWTs), no framing. HTML gets the given CSP as well.
 */
export function securityHeaders(o: SecurityHeaderOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    // The console sets `same-origin` itself: with `no-referrer` browsers send `Origin: null` on its form posts.
    if (!c.res.headers.has('Referrer-Policy')) c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    if (o.csp && (c.res.headers.get('Content-Type') ?? '').startsWith('text/html') && !c.res.headers.has('Content-Security-Policy')) {
      c.header('Content-Security-Policy', o.csp);
    }
  };
}

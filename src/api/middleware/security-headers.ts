import type { Context, MiddlewareHandler } from 'hono';

export interface SecurityHeaderOptions {
  /** Content-Security-Policy for HTML answers; none when absent. */
  csp?: string;
}

/**
 * Sets a header on the answer the handler made. In place: `c.header()` after the handler
 * rebuilds the answer as a web-stream Response, which @hono/node-server then writes by reading
 * the stream (15-20 KiB of garbage and the slow path on every request). A Response whose headers
 * are immutable (Response.redirect(), a proxied fetch) is rebuilt as before.
 */
function setHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/**
 * Headers every answer carries: no MIME sniffing, no referrer, no caching (answers hold
 * challenges, tokens and JWTs), no framing. HTML gets the given CSP as well.
 */
export function securityHeaders(o: SecurityHeaderOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    setHeader(c, 'X-Content-Type-Options', 'nosniff');
    // The console sets `same-origin` itself: with `no-referrer` browsers send `Origin: null` on its form posts.
    if (!h.has('Referrer-Policy')) setHeader(c, 'Referrer-Policy', 'no-referrer');
    setHeader(c, 'X-Frame-Options', 'DENY');
    if (!h.has('Cache-Control')) setHeader(c, 'Cache-Control', 'no-store');
    if (o.csp && (h.get('Content-Type') ?? '').startsWith('text/html') && !h.has('Content-Security-Policy')) {
      setHeader(c, 'Content-Security-Policy', o.csp);
    }
  };
}

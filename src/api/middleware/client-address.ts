import type { Context, MiddlewareHandler } from 'hono';

export interface ClientAddressHooks {
  /** The socket peer's address, or null when there is none (in-process, control socket). */
  peer(c: Context): string | null;
  /** Requests from the control socket or in-process CLI: named `local`. */
  isLocal(c: Context): boolean;
  /** Exact proxy addresses whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
}

/**
 * The client address: the socket peer, or the last X-Forwarded-For hop when the peer is a
 * trusted proxy (the last hop is the one the proxy itself added; earlier ones are the client's word).
 */
export function clientAddressOf(c: Context, h: ClientAddressHooks): string {
  if (h.isLocal(c)) return 'local';
  const peer = h.peer(c) ?? 'unknown';
  if (h.trustedProxies.includes(peer)) {
    const fwd = c.req
      .header('X-Forwarded-For')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (fwd?.length) return fwd[fwd.length - 1]!.slice(0, 64);
  }
  return peer;
}

/** Sets `client` in the context for every later middleware, route and audit entry. */
export function clientAddress(h: ClientAddressHooks): MiddlewareHandler {
  return async (c, next) => {
    c.set('client', clientAddressOf(c, h));
    await next();
  };
}

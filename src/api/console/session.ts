import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../util/clock.js';

/**
 * Console sessions, in memory (a restart logs everyone out, which is the safe direction).
 * The cookie holds a random token; the map is keyed by its SHA-256, so a heap dump or a timing
 * side channel on the lookup never yields a usable cookie. Each session ends after
 * `idleMs` without a request and `maxMs` after login, whichever comes first.
 */
export interface Session {
  admin: string;
  /** Synchroniser token every console form carries. */
  csrf: string;
  createdAt: number;
  seenAt: number;
  /** One-shot message for the next page (post/redirect/get). */
  flash: { kind: 'ok' | 'bad'; text: string } | null;
}

export type SessionEnd = 'idle' | 'expired' | 'unknown';

const digest = (token: string) => createHash('sha256').update(token).digest('base64');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly maxMs: number,
    private readonly max: number,
  ) {}

  create(admin: string): { token: string; session: Session } {
    this.sweep();
    // At capacity the oldest session goes: a flood of logins cannot grow memory, only end sessions.
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session: Session = { admin, csrf: randomBytes(24).toString('base64url'), createdAt: now, seenAt: now, flash: null };
    this.sessions.set(digest(token), session);
    return { token, session };
  }

  /** The live session for a cookie value (and marks it used), or why there is none. */
  touch(token: string | undefined): Session | SessionEnd {
    if (!token || token.length > 100) return 'unknown';
    const key = digest(token);
    const s = this.sessions.get(key);
    if (!s) return 'unknown';
    const now = this.clock.now();
    if (now - s.createdAt >= this.maxMs) {
      this.sessions.delete(key);
      return 'expired';
    }
    if (now - s.seenAt >= this.idleMs) {
      this.sessions.delete(key);
      return 'idle';
    }
    s.seenAt = now;
    return s;
  }

  destroy(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  /** Ends every session of an admin (deleted, or password changed). */
  destroyAdmin(admin: string): void {
    for (const [k, s] of this.sessions) if (s.admin === admin) this.sessions.delete(k);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [k, s] of this.sessions) if (now - s.seenAt >= this.idleMs || now - s.createdAt >= this.maxMs) this.sessions.delete(k);
  }
}

export function sameSecret(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

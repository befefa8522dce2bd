/** When a challenge can be answered, and when a new PIN request re-uses it (pure). */

export interface ChallengeTimes {
  createdAt: number;
  expiresAt: number;
}

/** A challenge is live until its expiry instant, exclusive. */
export function isLive(c: ChallengeTimes | null | undefined, now: number): boolean {
  return !!c && c.expiresAt > now;
}

/**
 * Inside the blocking window a PIN request sends no second SMS: the live challenge already sent
 * is answered again (it stops SMS bombing and keeps the first SMS valid).
 */
export function withinBlockingWindow(c: ChallengeTimes | null | undefined, now: number, blockingMs: number): boolean {
  return isLive(c, now) && now - c!.createdAt < blockingMs;
}

export function expiryOf(now: number, validitySeconds: number): number {
  return now + validitySeconds * 1000;
}

/**
 * The counters a replayed OTP may belong to: the last `window` values issued up to `counter`
 * (the newest one issued). privacyIDEA's is_previous_otp looks back the same way.
 */
export function previousCounters(counter: number, window: number): number[] {
  const out: number[] = [];
  for (let c = counter; c >= 1 && c > counter - window; c--) out.push(c);
  return out;
}

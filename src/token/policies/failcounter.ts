/**
 * The failcounter policy, as privacyIDEA's check_failcount / check_reset_failcount /
 * inc_failcount: pure, so every boundary is tested (and mutation-tested) without a store.
 */

export interface FailState {
  failCount: number;
  maxFail: number;
  /** Epoch ms when failCount reached maxFail, or null. */
  failExceededAt: number | null;
}

export type FailCheck =
  { usable: true; /** The state to store when the clear timeout just cleared it, else null. */ cleared: FailState | null } | { usable: false };

/**
 * Whether a token may be used now. A token at maxFail is locked; with a clear timeout
 * (minutes, 0 = never) the first attempt after it has passed clears the counter.
 */
export function checkFailCounter(s: FailState, now: number, clearMinutes: number): FailCheck {
  if (s.failCount < s.maxFail) return { usable: true, cleared: null };
  if (clearMinutes > 0 && s.failExceededAt !== null && now - s.failExceededAt >= clearMinutes * 60_000) {
    return { usable: true, cleared: { ...s, failCount: 0, failExceededAt: null } };
  }
  return { usable: false };
}

/** One more failure: saturates at maxFail and remembers when it got there first. */
export function addFailure(s: FailState, now: number): FailState {
  const failCount = Math.min(s.maxFail, s.failCount + 1);
  const failExceededAt = failCount >= s.maxFail ? (s.failExceededAt ?? now) : s.failExceededAt;
  return { ...s, failCount, failExceededAt };
}

/** Seconds until a locked token clears itself, or null when it never does (timeout 0). */
export function secondsUntilCleared(s: FailState, now: number, clearMinutes: number): number | null {
  if (s.failCount < s.maxFail) return 0;
  if (clearMinutes <= 0 || s.failExceededAt === null) return null;
  return Math.max(0, Math.ceil((s.failExceededAt + clearMinutes * 60_000 - now) / 1000));
}

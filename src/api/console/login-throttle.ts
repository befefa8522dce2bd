/**
 * Console login throttle, per client address and per admin name: a few failures are free, then
 * each further failure doubles the wait before the next attempt is even checked (1 s ... 15 min);
 * a success clears both. While waiting the console answers 429 with Retry-After, and no password
 * is hashed, so a guessing script costs the box nothing.
 *
 * A local stand-in with the behaviour of the API's admin-login throttle (issue 13), kept small
 * so the console can switch to the shared one when it lands.
 */
const FREE_FAILURES = 5;
const BASE_MS = 1000;
const MAX_MS = 15 * 60_000;
const MAX_KEYS = 10_000;

interface Entry {
  failures: number;
  until: number;
  at: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  /** Ms to wait before an attempt from this client for this name is allowed (0: go ahead). */
  wait(client: string, name: string): number {
    const t = this.now();
    let longest = 0;
    for (const k of [`c\u0000${client}`, `n\u0000${name}`]) {
      const e = this.entries.get(k);
      if (e && e.until > t) longest = Math.max(longest, e.until - t);
    }
    return longest;
  }

  failed(client: string, name: string): void {
    const t = this.now();
    for (const k of [`c\u0000${client}`, `n\u0000${name}`]) {
      const e = this.entries.get(k) ?? { failures: 0, until: 0, at: t };
      // A long quiet spell forgives: the counter restarts after the maximum wait has passed.
      if (t - e.at > MAX_MS) e.failures = 0;
      e.failures += 1;
      e.at = t;
      e.until = e.failures > FREE_FAILURES ? t + Math.min(MAX_MS, BASE_MS * 2 ** (e.failures - FREE_FAILURES - 1)) : 0;
      this.entries.delete(k);
      this.entries.set(k, e);
    }
    while (this.entries.size > MAX_KEYS) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  succeeded(client: string, name: string): void {
    this.entries.delete(`c\u0000${client}`);
    this.entries.delete(`n\u0000${name}`);
  }
}

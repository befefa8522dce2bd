/**
 * The SMS bombing limit: at most `perWindow` challenge SMS in `windowMs`, counted per token and
 * per phone number (several tokens, or users, can share one number: the handset is what is
 * bombed). Pure functions over timestamp lists, plus a small per-number window in memory.
 */

export interface SmsLimit {
  perWindow: number;
  windowMs: number;
}

/** The timestamps still inside the window ending at `now`. */
export function inWindow(times: readonly number[], now: number, windowMs: number): number[] {
  return times.filter((t) => now - t < windowMs);
}

/** Whether one more SMS fits. */
export function underLimit(times: readonly number[], now: number, limit: SmsLimit): boolean {
  return inWindow(times, now, limit.windowMs).length < limit.perWindow;
}

/** The list after one more SMS at `now`: old entries dropped, at most `perWindow` kept. */
export function recordSms(times: readonly number[], now: number, limit: SmsLimit): number[] {
  return [...inWindow(times, now, limit.windowMs), now].slice(-limit.perWindow);
}

/**
 * Recent challenge SMS per phone number. Kept in memory and rebuilt at start from the
 * outbox (every challenge SMS is an outbox record); entries leave once their window is over.
 */
export class PhoneWindow {
  private readonly byPhone = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(private readonly limit: SmsLimit) {}

  /** Whether one more SMS to `phone` fits, with `pending` more already planned in this request. */
  allows(phone: string, now: number, pending = 0): boolean {
    return this.count(phone, now) + pending < this.limit.perWindow;
  }

  count(phone: string, now: number): number {
    const times = this.byPhone.get(phone);
    return times ? inWindow(times, now, this.limit.windowMs).length : 0;
  }

  add(phone: string, now: number): void {
    this.sweep(now);
    const times = this.byPhone.get(phone);
    this.byPhone.set(phone, times ? recordSms(times, now, this.limit) : [now]);
  }

  /** Numbers currently tracked (for tests and the status page). */
  get size(): number {
    return this.byPhone.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.limit.windowMs) return;
    this.lastSweep = now;
    for (const [phone, times] of this.byPhone) {
      const live = inWindow(times, now, this.limit.windowMs);
      if (live.length === 0) this.byPhone.delete(phone);
      else this.byPhone.set(phone, live);
    }
  }
}

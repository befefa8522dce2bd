/** Time source, injected so tests can move time without sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests advance by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

export type TimeSource = 'system' | 'ntp' | 'modem';

/**
 * The appliance's clock: the system clock, corrected by an offset when the system clock is not
 * synchronised and a modem's network time disagrees with it (a Pi has no RTC; an air-gapped
 * site has no NTP). The service may not set the system clock itself (ProtectClock), so the
 * correction lives here, where OTP expiry is judged.
 */
export class AdjustableClock implements Clock {
  offsetMs = 0;
  source: TimeSource = 'system';
  checkedAt: number | null = null;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  set(source: TimeSource, offsetMs: number): void {
    this.source = source;
    this.offsetMs = offsetMs;
    this.checkedAt = Date.now();
  }
}

/**
 * Per-provider circuit breaker: after `threshold` consecutive failures the provider is skipped
 * for `cooldownMs`; then exactly one probe message is let through, whose outcome closes the
 * breaker or opens it again (LinOTP blocks an unavailable provider the same way).
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private _state: BreakerState = 'closed';
  /** Times the breaker opened, for /status and metrics. */
  opens = 0;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
  ) {}

  state(now: number): BreakerState {
    if (this._state === 'open' && now - this.openedAt >= this.cooldownMs) this._state = 'half-open';
    return this._state;
  }

  /** Whether a message may be handed to the provider now; claims the probe slot when half-open. */
  tryAcquire(now: number): boolean {
    const s = this.state(now);
    if (s === 'closed') return true;
    if (s === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** Whether tryAcquire would succeed, without claiming anything. */
  allows(now: number): boolean {
    const s = this.state(now);
    return s === 'closed' || (s === 'half-open' && !this.probing);
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this._state = 'closed';
  }

  failure(now: number): void {
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || this.failures >= this.threshold) {
      if (this._state !== 'open') this.opens++;
      this._state = 'open';
      this.openedAt = now;
    }
  }

  /** An attempt that neither proved nor disproved the provider (e.g. a permanent error for one number). */
  neutral(): void {
    this.probing = false;
  }

  snapshot(now: number) {
    return { state: this.state(now), consecutiveFailures: this.failures, opens: this.opens };
  }
}

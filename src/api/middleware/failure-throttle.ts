/**
 * Counts authentication failures per key (a client address, an admin name, an API key name) and
 * says how long the next attempt under those keys must wait. Pure apart from the injected clock.
 *
 *   failures < freeFailures          : no delay (a typo costs nothing)
 *   freeFailures <= failures < block : the answer is delayed, doubling from baseDelayMs to maxDelayMs
 *   failures >= blockAfter           : refused (429) until `windowMs` after the last failure
 *
 * A key's failures are forgotten `windowMs` after its last one. Attempts in flight count as
 * failures until they end, so a burst of parallel guesses cannot slip past the block together.
 */
export interface ThrottlePolicy {
  freeFailures: number;
  blockAfter: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Keys tracked at most; beyond, the oldest are dropped (memory stays bounded under a flood of names). */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 3,
  blockAfter: 10,
  windowMs: 15 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  maxKeys: 10_000,
};

interface Entry {
  failures: number;
  inFlight: number;
  lastFailureAt: number;
}

export interface ThrottleVerdict {
  /** > 0: refuse; the caller may retry after this many ms. */
  blockedMs: number;
  /** Delay before answering, when not blocked. */
  delayMs: number;
  /** The key that decided (the worst one). */
  key: string | null;
  failures: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly policy: ThrottlePolicy,
    private readonly now: () => number,
  ) {}

  private live(key: string, t: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.inFlight === 0 && t - e.lastFailureAt >= this.policy.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** The verdict for an attempt under all `keys` (the strictest key wins). */
  verdict(keys: readonly string[]): ThrottleVerdict {
    const t = this.now();
    const p = this.policy;
    let worst: ThrottleVerdict = { blockedMs: 0, delayMs: 0, key: null, failures: 0 };
    for (const key of keys) {
      const e = this.live(key, t);
      if (!e) continue;
      const n = e.failures + e.inFlight;
      if (n >= p.blockAfter) {
        const blockedMs = Math.max(1, e.lastFailureAt + p.windowMs - t);
        if (blockedMs > worst.blockedMs) worst = { blockedMs, delayMs: 0, key, failures: n };
      } else if (worst.blockedMs === 0 && n >= p.freeFailures) {
        const delayMs = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - p.freeFailures));
        if (delayMs > worst.delayMs) worst = { blockedMs: 0, delayMs, key, failures: n };
      }
    }
    return worst;
  }

  /** An attempt starts: it counts as a failure until `end`. */
  begin(keys: readonly string[]): void {
    const t = this.now();
    for (const key of keys) {
      const e = this.live(key, t);
      if (e) e.inFlight++;
      else this.insert(key, { failures: 0, inFlight: 1, lastFailureAt: t });
    }
  }

  /**
   * The attempt ended. A failure is counted; a success forgets the keys' failures; a neutral
   * outcome (a malformed request, a server error) does neither, or alternating bad requests
   * with guesses would wipe the count.
   */
  end(keys: readonly string[], outcome: 'failure' | 'success' | 'neutral'): void {
    const t = this.now();
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      e.inFlight = Math.max(0, e.inFlight - 1);
      if (outcome === 'failure') {
        e.failures++;
        e.lastFailureAt = t;
      } else if (outcome === 'success') {
        e.failures = 0;
      }
      if (e.failures === 0 && e.inFlight === 0) this.entries.delete(key);
    }
  }

  /** Failures currently counted for a key (status, tests). */
  failures(key: string): number {
    return this.live(key, this.now())?.failures ?? 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private insert(key: string, e: Entry): void {
    if (this.entries.size >= this.policy.maxKeys) {
      // Map iteration is insertion order: the first key is the one tracked longest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, e);
  }
}

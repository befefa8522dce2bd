import type { Clock } from '../util/clock.js';

/**
 * A TTL cache on the injected clock, bounded in entries (oldest insertion goes first). Keys are
 * strings from the directory or the request: a Map, never an object.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { v: V; until: number }>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** `undefined`: not cached (or expired). A cached `null` is a remembered miss. */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    if (e.until <= this.clock.now()) {
      this.map.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.v;
  }

  set(key: string, v: V): void {
    if (this.ttlMs <= 0) return;
    this.map.delete(key);
    this.map.set(key, { v, until: this.clock.now() + this.ttlMs });
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  clear(): void {
    this.map.clear();
  }
}

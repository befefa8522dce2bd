/**
 * Serialises async work per key. Two concurrent answers to the same challenge must not both
 * read "unanswered" and both succeed; locking the token's serial for the read-verify-write
 * makes the second one see the first one's result.
 */
export class KeyedMutex {
  private tails = new Map<string, Promise<void>>();

  /** Runs `fn` holding every key in `keys` (taken in sorted order, so no two callers deadlock). */
  async run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const k of sorted) releases.push(await this.acquire(k));
    try {
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

import type { Store } from './types.js';

/**
 * The store with every commit's latency reported to `onCommit` (seconds, the group-commit wait
 * included, failed commits too): how the composition root feeds the metrics without the API
 * layer ever holding the store.
 */
export function observeCommits(store: Store, onCommit: (seconds: number) => void): Store {
  return {
    get data() {
      return store.data;
    },
    get: (c, k) => store.get(c, k),
    async commit(changes) {
      // performance.now, not a prom-client timer: this runs for every change, and a timer's
      // labels object and hrtime pairs would be garbage each time.
      const t0 = performance.now();
      try {
        await store.commit(changes);
      } finally {
        onCommit((performance.now() - t0) / 1000);
      }
    },
    close: () => store.close(),
    stats: () => store.stats(),
  };
}

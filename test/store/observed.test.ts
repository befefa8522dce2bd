import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { observeCommits } from '../../src/store/observed.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/harness.js';

const tok = (serial: string, counter = 0) => ({ serial, counter }) as never;

let dir: string;
let inner: Store | undefined;
afterEach(async () => {
  await inner?.close().catch(() => undefined);
  inner = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('observeCommits', () => {
  it('reports each commit once, after it is on disk, and passes reads, stats and close through', async () => {
    dir = tempDir();
    inner = await openStore({ dataDir: dir });
    const seen: number[] = [];
    const store = observeCommits(inner, (s) => seen.push(s));
    const pending = store.commit([{ c: 'tokens', k: 'A', v: tok('A', 1) }]);
    expect(seen).toEqual([]);
    await pending;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(seen[0])).toBe(true);
    await store.commit([{ c: 'tokens', k: 'B', v: tok('B') }]);
    expect(seen).toHaveLength(2);
    // The same live state, not a copy.
    expect(store.data).toBe(inner.data);
    expect(store.get('tokens', 'A')).toEqual({ serial: 'A', counter: 1 });
    expect(store.stats()).toEqual(inner.stats());
    expect(store.stats().changes).toBe(2);
    await store.close();
    await expect(inner.commit([{ c: 'tokens', k: 'C', v: tok('C') }])).rejects.toThrow();
  });

  it('a failed commit is reported too, and its error reaches the caller', async () => {
    dir = tempDir();
    inner = await openStore({ dataDir: dir });
    const seen: number[] = [];
    const store = observeCommits(inner, (s) => seen.push(s));
    await store.close();
    await expect(store.commit([{ c: 'tokens', k: 'A', v: tok('A') }])).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrozenView } from '../../src/store/snapshot-writer.js';
import { openStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/harness.js';

const COLLECTIONS = new Set(['tokens', 'users']);

type Op = { c: 'tokens' | 'users'; k: string; v: { n: number } | null };

/** Applies one change the way the store does: tell the view first, then replace or delete. */
function applyOp(data: Record<string, Record<string, unknown>>, view: FrozenView, op: Op): void {
  view.beforeChange(op.c, op.k);
  if (op.v === null) delete data[op.c]![op.k];
  else data[op.c]![op.k] = op.v;
}

describe('sliced snapshot (FrozenView)', () => {
  const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
  const op = fc.record({
    c: fc.constantFrom<'tokens' | 'users'>('tokens', 'users'),
    k: key,
    v: fc.option(fc.record({ n: fc.integer() }), { nil: null }),
  });

  it('writes exactly what JSON.stringify would have written at the instant it was frozen, whatever changes meanwhile', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 20 }), fc.array(op, { maxLength: 40 }), async (initial, later) => {
        const data: Record<string, Record<string, unknown>> & { schemaVersion?: number } = { tokens: {}, users: {} };
        (data as Record<string, unknown>).schemaVersion = 1;
        const setup = new FrozenView(data, COLLECTIONS, {});
        for (const o of initial) applyOp(data, setup, o);
        const expected = JSON.stringify({ ...data, journalSeq: 7 });

        const view = new FrozenView(data, COLLECTIONS, { journalSeq: 7 });
        let out = '';
        let i = 0;
        // Interleave: a change after every chunk, the rest before the first chunk is read.
        for (; i < later.length / 2; i++) applyOp(data, view, later[i]!);
        for await (const chunk of view.chunks()) {
          out += chunk;
          if (i < later.length) applyOp(data, view, later[i++]!);
        }
        expect(out).toBe(expected);
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });

  it('a compaction written while commits go on, then a crash, reopens to exactly the committed state', async () => {
    const dir = tempDir();
    const s = await openStore({ dataDir: dir, compactAfterBytes: 64 * 1024 });
    const expected: Record<string, unknown> = {};
    const big = 'x'.repeat(200);
    for (let i = 0; i < 3000; i++) {
      const k = `T${i % 700}`;
      const v = i % 11 === 0 ? null : ({ serial: k, counter: i, pad: big } as never);
      if (v === null) delete expected[k];
      else expected[k] = v;
      // Unawaited in groups: compactions start between flushes while later commits are applied.
      const p = s.commit([{ c: 'tokens', k, v }]);
      if (i % 50 === 49) await p;
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(s.stats().compactions).toBeGreaterThan(0);
    // No close(): reopen from the snapshot plus journals, as after a crash.
    const b = await openStore({ dataDir: dir });
    expect(b.data.tokens).toEqual(expected);
    await b.close();
  });
});

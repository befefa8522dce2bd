import { readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, StoreLockedError } from '../../src/store/lock.js';
import { openStore } from '../../src/store/store.js';
import { SCHEMA_VERSION, StoreError } from '../../src/store/types.js';
import { tempDir } from '../helpers/harness.js';

const tok = (serial: string, counter = 0) => ({ serial, counter }) as never;

describe('store', () => {
  it('keeps committed changes across a restart, deletes included', async () => {
    const dir = tempDir();
    const a = await openStore({ dataDir: dir });
    await a.commit([
      { c: 'tokens', k: 'A', v: tok('A', 1) },
      { c: 'tokens', k: 'B', v: tok('B') },
    ]);
    await a.commit([
      { c: 'tokens', k: 'B', v: null },
      { c: 'meta', k: 'x', v: { y: 1 } as never },
    ]);
    await a.close();
    const b = await openStore({ dataDir: dir });
    expect(b.data.tokens).toEqual({ A: { serial: 'A', counter: 1 } });
    expect(b.get('meta', 'x')).toEqual({ y: 1 });
    await b.close();
  });

  it('replays the journal after a crash (no close); the first compaction, not start-up, folds it into the snapshot', async () => {
    const dir = tempDir();
    const a = await openStore({ dataDir: dir });
    for (let i = 0; i < 20; i++) await a.commit([{ c: 'tokens', k: `T${i}`, v: tok(`T${i}`, i) }]);
    // No close(): the process "dies" with everything only in the journal.
    const b = await openStore({ dataDir: dir });
    expect(Object.keys(b.data.tokens)).toHaveLength(20);
    // Start-up wrote no snapshot (a full disk may have no room for one): still the empty one.
    expect(Object.keys(JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')).tokens)).toHaveLength(0);
    await b.commit([{ c: 'tokens', k: 'T20', v: tok('T20', 20) }]);
    for (let i = 0; i < 500 && b.stats().compactions === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.stats().compactions).toBe(1);
    const snap = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
    expect(Object.keys(snap.tokens)).toHaveLength(21);
    expect(snap.journalSeq).toBe(21);
    await b.close();
  });

  it('group-commits concurrent changes: far fewer fsyncs than commits, every promise resolved', async () => {
    const dir = tempDir();
    const s = await openStore({ dataDir: dir });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.commit([{ c: 'tokens', k: `T${i}`, v: tok(`T${i}`) }])));
    const st = s.stats();
    expect(st.changes).toBe(200);
    expect(st.flushes).toBeLessThan(50);
    await s.close();
  });

  it('compacts the journal into the snapshot while commits go on', async () => {
    const dir = tempDir();
    const s = await openStore({ dataDir: dir, compactAfterBytes: 2000 });
    for (let i = 0; i < 300; i++) await s.commit([{ c: 'tokens', k: `T${i % 30}`, v: tok(`T${i % 30}`, i) }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.stats().compactions).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('state.journal.')).length).toBeLessThanOrEqual(2);
    const b = await openStore({ dataDir: dir });
    expect(b.get('tokens', 'T29')).toEqual({ serial: 'T29', counter: 299 });
    await b.close();
  });

  it('rejects a bad batch whole and changes nothing', async () => {
    const s = await openStore({ dataDir: tempDir() });
    const before = JSON.stringify(s.data);
    await expect(
      s.commit([
        { c: 'tokens', k: 'A', v: tok('A') },
        { c: 'nope' as never, k: 'x', v: null },
      ]),
    ).rejects.toThrow(/unknown collection/);
    await expect(s.commit([{ c: 'tokens', k: '', v: tok('A') }])).rejects.toThrow(/invalid key/);
    await expect(s.commit([{ c: 'tokens', k: 'x'.repeat(257), v: tok('A') }])).rejects.toThrow(/invalid key/);
    expect(JSON.stringify(s.data)).toBe(before);
    await s.close();
    await expect(s.commit([{ c: 'tokens', k: 'A', v: tok('A') }])).rejects.toThrow(/closed/);
  });

  it('a corrupt snapshot stops start-up and is left byte for byte', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.json');
    writeFileSync(file, '{"schemaVersion":1,"tokens":{"A":');
    await expect(openStore({ dataDir: dir })).rejects.toThrow(/state\.json is not valid JSON.*left untouched/);
    expect(readFileSync(file, 'utf8')).toBe('{"schemaVersion":1,"tokens":{"A":');
  });

  it('a torn last journal line (an unacknowledged write) is dropped; garbage before valid lines refuses', async () => {
    const dir = tempDir();
    const a = await openStore({ dataDir: dir });
    await a.commit([{ c: 'tokens', k: 'A', v: tok('A', 1) }]);
    const journal = readdirSync(dir).find((f) => f.startsWith('state.journal.'))!;
    appendFileSync(path.join(dir, journal), '{"s":2,"ch":[{"c":"tokens","k":"B"');
    const b = await openStore({ dataDir: dir });
    expect(b.data.tokens).toEqual({ A: { serial: 'A', counter: 1 } });
    await b.close();

    const dir2 = tempDir();
    const c = await openStore({ dataDir: dir2 });
    await c.commit([{ c: 'tokens', k: 'A', v: tok('A', 1) }]);
    const j2 = path.join(
      dir2,
      readdirSync(dir2).find((f) => f.startsWith('state.journal.'))!,
    );
    const good = readFileSync(j2, 'utf8');
    writeFileSync(j2, `garbage\n${good.replace('"s":1', '"s":1')}`);
    await expect(openStore({ dataDir: dir2 })).rejects.toThrow(/corrupt at line 1/);
    expect(readFileSync(j2, 'utf8')).toBe(`garbage\n${good}`);
  });

  it('runs migrations up to the current schema and refuses a newer one', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ schemaVersion: 0, tokens: {}, journalSeq: 0, legacy: true }));
    const seen: number[] = [];
    const s = await openStore({ dataDir: dir, migrations: { 0: (d) => (seen.push(0), { ...d, meta: { migrated: { from: 0 } } }) } });
    expect(seen).toEqual([0]);
    expect(s.data.schemaVersion).toBe(SCHEMA_VERSION);
    expect(s.get('meta', 'migrated')).toEqual({ from: 0 });
    await s.close();
    const dir2 = tempDir();
    writeFileSync(path.join(dir2, 'state.json'), JSON.stringify({ schemaVersion: SCHEMA_VERSION + 1, journalSeq: 0 }));
    await expect(openStore({ dataDir: dir2 })).rejects.toThrow(StoreError);
    await expect(openStore({ dataDir: dir2 })).rejects.toThrow(/newer than this smsotpd/);
  });

  it('the data-dir lock refuses a live owner by pid and takes over a stale one', () => {
    const dir = tempDir();
    const l = acquireLock(dir);
    expect(() => acquireLock(dir)).toThrow(StoreLockedError);
    expect(() => acquireLock(dir)).toThrow(new RegExp(`pid ${process.pid}`));
    l.release();
    writeFileSync(path.join(dir, 'smsotpd.lock'), '999999999\n');
    const l2 = acquireLock(dir);
    expect(readFileSync(path.join(dir, 'smsotpd.lock'), 'utf8').trim()).toBe(String(process.pid));
    l2.release();
  });
});

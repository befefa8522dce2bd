import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/sms/dispatcher.js';
import { buildQueuedMessage } from '../../src/sms/outbox.js';
import { openStore } from '../../src/store/store.js';
import type { OutboxRecord, Store } from '../../src/store/types.js';
import { openAuditLog, type AuditLog } from '../../src/util/audit.js';
import { ManualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/harness.js';
import { ReportingProvider } from '../helpers/reporting-provider.js';

const X = '+4917612345678';
const Y = '+4915199988877';
const HOUR = 3600_000;

interface Rig {
  dir: string;
  store: Store;
  clock: ManualClock;
  pool: ReportingProvider;
  dispatcher: Dispatcher;
  audit: AuditLog;
  logs: string[];
  /** Queues a message and waits until the dispatcher is done with it (`sent`, or a report overtook). */
  send(to?: string, text?: string): Promise<OutboxRecord>;
  /** send(), the modem m1 giving the message TP-MR `ref` (as it does once its counter comes round to it). */
  sendWithRef(ref: number, to?: string): Promise<OutboxRecord>;
  rec(id: string): OutboxRecord;
  auditLines(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function rig(opts: { dir?: string; clock?: ManualClock; pool?: ReportingProvider; store?: Store } = {}): Promise<Rig> {
  const dir = opts.dir ?? tempDir();
  const store = opts.store ?? (await openStore({ dataDir: dir }));
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));
  const pool = opts.pool ?? new ReportingProvider();
  pool.clock = clock;
  const logs: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => logs.push(d.toString()));
  const audit = openAuditLog(dir, { maxBytes: 1 << 20, keep: 1, clock });
  const dispatcher = new Dispatcher({
    store,
    providers: [{ provider: pool, policy: { maxAttempts: 3, breakerThreshold: 3, breakerCooldown: 30 } }],
    clock,
    logger: createLogger({ level: 'debug', destination: sink }),
    audit,
    decrypt: (s) => s,
    retryBaseMs: 20,
    retryMaxMs: 200,
    retentionMs: 24 * HOUR,
    retentionMax: 1000,
    reportWindowMs: 24 * HOUR,
  });
  await dispatcher.start();
  const r: Rig = {
    dir,
    store,
    clock,
    pool,
    dispatcher,
    audit,
    logs,
    async send(to = X, text = 'Your login code is 123456') {
      const now = clock.now();
      const { record, change } = buildQueuedMessage({ to, text, expiresAt: now + 300_000, origin: 'api' }, now, (s) => s);
      await store.commit([change]);
      dispatcher.enqueued(record.id);
      // Done means the attempt has ended too (its slot freed): reports that arrive from now on
      // meet an idle provider, as a report minutes later would.
      const done = await waitFor(() => {
        const x = store.get('outbox', record.id);
        return x && x.state !== 'queued' && x.state !== 'sending' && dispatcher.status().queue.inFlight === 0 ? x : undefined;
      });
      return done;
    },
    sendWithRef(ref, to) {
      pool.nextMr.set('m1', ref);
      return r.send(to);
    },
    rec: (id) => store.get('outbox', id)!,
    auditLines: () =>
      readFileSync(path.join(dir, 'audit.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    async close() {
      await dispatcher.stop();
      audit.close();
      await store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  rigs.push(r);
  return r;
}

/** The real store with its commit replaced (to hold a commit back, or to fail it). */
function withCommit(real: Store, commit: Store['commit']): Store {
  return {
    get data() {
      return real.data;
    },
    get: (c, k) => real.get(c, k),
    commit,
    close: () => real.close(),
    stats: () => real.stats(),
  };
}

async function waitFor<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Waits for the state, then for the tracker to have told everyone (audit, counters). */
async function stateOf(r: Rig, id: string, state: string) {
  const rec = await waitFor(() => (r.rec(id).state === state ? r.rec(id) : undefined));
  await r.dispatcher.delivery.drain();
  return rec;
}

describe('delivery reports', () => {
  it('a delivered report moves a sent message to delivered, with the handset time and status, durably', async () => {
    const r = await rig({ dir: tempDir() });
    const m = await r.send();
    expect(m.report).toMatchObject({ modem: 'm1', parts: [{ ref: 0, outcome: null }], status: null, at: null });
    const handset = r.clock.now() + 4000;
    r.clock.advance(5000);
    r.pool.report({ reference: 0, recipient: X, dischargeTime: handset, receivedAt: r.clock.now() });
    const d = await stateOf(r, m.id, 'delivered');
    expect(d.report).toMatchObject({ status: 0, at: handset, parts: [{ ref: 0, outcome: 'delivered', status: 0, at: handset }] });
    expect(d.hops.at(-1)).toMatchObject({ event: 'report', detail: 'delivered: TP-ST 0x00 received by the handset (modem m1)' });
    expect(r.dispatcher.delivery.counters).toMatchObject({ requested: 1, delivered: 1, undelivered: 0 });
    expect(r.dispatcher.status().counters).toMatchObject({ sent: 1, delivered: 1, undelivered: 0 });
    const lines = r.auditLines().filter((l) => l.action === 'sms.delivered');
    expect(lines).toEqual([expect.objectContaining({ message: m.id, provider: 'pool', result: true })]);
    expect(JSON.stringify(r.auditLines())).not.toContain('12345678');

    // Durable: a fresh store on the same directory has it.
    await r.close();
    rigs.splice(rigs.indexOf(r), 1);
    const again = await openStore({ dataDir: r.dir });
    expect(again.get('outbox', m.id)?.state).toBe('delivered');
    await again.close();
    rmSync(r.dir, { recursive: true, force: true });
  });

  it('a permanent failure report makes it undelivered; a later report for it changes nothing', async () => {
    const r = await rig();
    const m = await r.send();
    r.pool.report({ reference: 0, recipient: X, outcome: 'undelivered', status: 0x46 });
    const u = await stateOf(r, m.id, 'undelivered');
    expect(u.report?.status).toBe(0x46);
    expect(u.hops.at(-1)?.detail).toContain('validity period expired');
    expect(r.auditLines().filter((l) => l.action === 'sms.undelivered')).toEqual([expect.objectContaining({ message: m.id, result: false })]);
    expect(r.logs.join('')).toContain('+49*********78');

    r.pool.report({ reference: 0, recipient: X, outcome: 'delivered', status: 0 });
    expect(r.dispatcher.delivery.counters.reports.ignored).toBe(1);
    expect(r.rec(m.id)).toEqual(u);
  });

  it('a pending report is recorded as a hop and changes no state; the final one that follows does', async () => {
    const r = await rig();
    const m = await r.send();
    r.pool.report({ reference: 0, recipient: X, outcome: 'pending', status: 0x21 });
    const p = await waitFor(() => (r.rec(m.id).hops.at(-1)?.event === 'report' ? r.rec(m.id) : undefined));
    expect(p.state).toBe('sent');
    expect(p.report).toMatchObject({ status: null, at: null, parts: [{ outcome: 'pending', status: 0x21 }] });
    expect(p.hops.at(-1)?.detail).toContain('pending: TP-ST 0x21 handset busy');
    expect(r.auditLines().some((l) => String(l.action).startsWith('sms.delivered') || l.action === 'sms.undelivered')).toBe(false);
    r.pool.report({ reference: 0, recipient: X, outcome: 'delivered', status: 0 });
    await stateOf(r, m.id, 'delivered');
    expect(r.dispatcher.delivery.counters.reports).toMatchObject({ pending: 1, delivered: 1 });
  });

  it('a report nothing matches (reference, recipient or modem) is counted and logged masked, and changes nothing', async () => {
    const r = await rig({ pool: new ReportingProvider('pool', ['m1', 'm2']) });
    const m = await r.send();
    const before = JSON.stringify(r.store.data);
    r.pool.report({ reference: 9, recipient: X });
    r.pool.report({ reference: 0, recipient: Y });
    r.pool.report({ reference: 0, recipient: X, modemId: 'm2' });
    expect(r.dispatcher.delivery.counters.reports.unmatched).toBe(3);
    await new Promise((res) => setTimeout(res, 20));
    expect(JSON.stringify(r.store.data)).toBe(before);
    expect(r.rec(m.id).state).toBe('sent');
    const log = r.logs.join('');
    expect(log).toContain('status report matches no sent message');
    expect(log).toContain('+49*********78');
    expect(log).not.toContain(X);
  });

  it('the recipient is compared normalised: national and 00-forms of the number match', async () => {
    const r = await rig();
    const a = await r.send();
    const b = await r.send();
    r.pool.report({ reference: 0, recipient: '017612345678' });
    r.pool.report({ reference: 1, recipient: '004917612345678' });
    await stateOf(r, a.id, 'delivered');
    await stateOf(r, b.id, 'delivered');
  });

  it('a wrapped TP-MR never matches the older message: the newest sent with that reference wins, and one past the window is never matched', async () => {
    const r = await rig();
    const old = await r.sendWithRef(255);
    expect(old.report?.parts[0]?.ref).toBe(255);
    r.clock.advance(HOUR);
    // 256 submits later the reference comes round again, to the same recipient.
    const fresh = await r.sendWithRef(255);
    expect(fresh.report?.parts[0]?.ref).toBe(255);
    expect(r.pool.nextMr.get('m1')).toBe(0);
    r.pool.report({ reference: 255, recipient: X, receivedAt: r.clock.now() + 1000 });
    await stateOf(r, fresh.id, 'delivered');
    expect(r.rec(old.id).state).toBe('sent');

    // Past the window, the older one is not matched even when nothing newer competes.
    r.clock.advance(24 * HOUR + 60_000);
    r.pool.report({ reference: 255, recipient: X, receivedAt: r.clock.now() });
    expect(r.dispatcher.delivery.counters.reports.unmatched).toBe(1);
    expect(r.rec(old.id).state).toBe('sent');
  });

  it('with a TP-SCTS in the report, the message submitted nearest it wins; different recipients tell two messages with one reference apart', async () => {
    const r = await rig();
    const first = await r.sendWithRef(7, X);
    const firstAt = r.clock.now();
    r.clock.advance(HOUR);
    const toY = await r.sendWithRef(7, Y);
    r.clock.advance(HOUR);
    const second = await r.sendWithRef(7, X);
    r.pool.report({ reference: 7, recipient: X, submitTime: firstAt + 2000 });
    await stateOf(r, first.id, 'delivered');
    expect(r.rec(second.id).state).toBe('sent');
    r.pool.report({ reference: 7, recipient: Y });
    await stateOf(r, toY.id, 'delivered');
    expect(r.rec(second.id).state).toBe('sent');
  });

  it('a TP-SCTS that fits no attempt (the service centre clock is off) falls back to the newest', async () => {
    const r = await rig();
    const first = await r.sendWithRef(7, X);
    const firstAt = r.clock.now();
    r.clock.advance(HOUR);
    const second = await r.sendWithRef(7, X);
    r.pool.report({ reference: 7, recipient: X, submitTime: firstAt + 30 * 60_000 });
    await stateOf(r, second.id, 'delivered');
    expect(r.rec(first.id).state).toBe('sent');
  });

  it('a multi-part message is delivered when every part is, undelivered as soon as one part failed for good', async () => {
    const r = await rig();
    const long = 'x'.repeat(300);
    const m = await r.send(X, long);
    expect(m.report?.parts.map((p) => p.ref)).toEqual([0, 1]);
    const t1 = r.clock.now() + 1000;
    const t2 = r.clock.now() + 3000;
    r.clock.advance(5000);
    r.pool.report({ reference: 1, recipient: X, dischargeTime: t2 });
    const half = await waitFor(() => (r.rec(m.id).report?.parts[1]?.outcome === 'delivered' ? r.rec(m.id) : undefined));
    expect(half.state).toBe('sent');
    expect(half.hops.at(-1)?.detail).toMatch(/^part 2\/2 delivered/);
    r.pool.report({ reference: 0, recipient: X, dischargeTime: t1 });
    const d = await stateOf(r, m.id, 'delivered');
    expect(d.report?.at).toBe(t2);

    const n = await r.send(X, long);
    expect(n.report?.parts.map((p) => p.ref)).toEqual([2, 3]);
    r.pool.report({ reference: 2, recipient: X, outcome: 'undelivered', status: 0x41 });
    await stateOf(r, n.id, 'undelivered');
    r.pool.report({ reference: 3, recipient: X });
    expect(r.dispatcher.delivery.counters.reports.ignored).toBe(1);
    expect(r.rec(n.id).state).toBe('undelivered');
    expect(r.dispatcher.delivery.counters).toMatchObject({ delivered: 1, undelivered: 1 });
  });

  it('a report that overtakes the dispatcher (before send() resolves and the sent commit lands) is held and matched', async () => {
    const r = await rig();
    let id = '';
    r.pool.beforeResolve = (s) => {
      id = s.msg.id;
      expect(r.rec(id).state).toBe('sending');
      r.pool.report({ reference: s.references[0]!, recipient: X });
    };
    const m = await r.send();
    expect(m.id).toBe(id);
    await stateOf(r, m.id, 'delivered');
    expect(r.dispatcher.delivery.counters.reports).toMatchObject({ delivered: 1, unmatched: 0 });
  });

  it('a held report that no message claims is counted unmatched once nothing is in flight', async () => {
    const r = await rig();
    r.pool.beforeResolve = () => r.pool.report({ reference: 200, recipient: X });
    const m = await r.send();
    await waitFor(() => (r.dispatcher.delivery.counters.reports.unmatched === 1 ? true : undefined));
    expect(r.rec(m.id).state).toBe('sent');
    expect(r.dispatcher.delivery.snapshot().held).toBe(0);
  });

  it('a report after a restart between sent and report still finds its message', async () => {
    const dir = tempDir();
    const first = await rig({ dir });
    const m = await first.send();
    await first.close();
    rigs.splice(rigs.indexOf(first), 1);

    const second = await rig({ dir, clock: first.clock, pool: new ReportingProvider() });
    second.pool.report({ reference: 0, recipient: X });
    await stateOf(second, m.id, 'delivered');
    await second.close();
    rigs.splice(rigs.indexOf(second), 1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a report for a message already purged is ignored and recreates nothing', async () => {
    const r = await rig();
    const m = await r.send();
    r.clock.advance(25 * HOUR);
    expect(await r.dispatcher.purgeOld()).toBe(1);
    r.clock.set(r.clock.now() - 25 * HOUR + 1000);
    r.pool.report({ reference: 0, recipient: X });
    expect(r.dispatcher.delivery.counters.reports).toMatchObject({ ignored: 1, delivered: 0 });
    await new Promise((res) => setTimeout(res, 20));
    expect(r.store.get('outbox', m.id)).toBeUndefined();
  });

  it('delivered and undelivered messages are purged like the other final states', async () => {
    const r = await rig();
    const m = await r.send();
    r.pool.report({ reference: 0, recipient: X });
    await stateOf(r, m.id, 'delivered');
    r.clock.advance(25 * HOUR);
    expect(await r.dispatcher.purgeOld()).toBe(1);
  });

  it('the index stays bounded by the window when no report ever comes', async () => {
    const r = await rig();
    for (let i = 0; i < 260; i++) await r.send();
    expect(r.dispatcher.delivery.indexSize()).toBe(260);
    r.clock.advance(25 * HOUR);
    for (let i = 0; i < 260; i++) await r.send();
    // Every key was reused by the second round, which dropped the first round's ids.
    expect(r.dispatcher.delivery.indexSize()).toBe(260);
  });

  it('malformed reports change nothing and never throw into the provider', async () => {
    const r = await rig();
    const m = await r.send();
    const before = JSON.stringify(r.store.data);
    const base = {
      providerId: 'pool',
      modemId: 'm1',
      reference: 0,
      recipient: X,
      outcome: 'delivered',
      status: 0,
      dischargeTime: Date.now(),
      receivedAt: Date.now(),
    };
    const bad: unknown[] = [
      null,
      'delivered',
      { ...base, reference: 256 },
      { ...base, reference: 1.5 },
      { ...base, status: -1 },
      { ...base, outcome: 'maybe' },
      { ...base, providerId: 'someone-else' },
      { ...base, recipient: 'x'.repeat(65) },
      { ...base, modemId: '' },
      { ...base, receivedAt: Number.NaN },
      { ...base, submitTime: 'yesterday' },
    ];
    for (const b of bad) expect(() => r.pool.reportRaw(b)).not.toThrow();
    expect(r.dispatcher.delivery.counters.reports.malformed).toBe(bad.length);
    await new Promise((res) => setTimeout(res, 20));
    expect(JSON.stringify(r.store.data)).toBe(before);
    expect(r.rec(m.id).state).toBe('sent');
  });

  it('a part whose TP-MR the modem did not say can fail the message but never deliver it', async () => {
    const r = await rig();
    r.pool.beforeResolve = (s) => {
      s.references[1] = -1;
    };
    const m = await r.send(X, 'y'.repeat(300));
    expect(m.report?.parts.map((p) => p.ref)).toEqual([0, -1]);
    r.pool.report({ reference: 0, recipient: X });
    await waitFor(() => (r.rec(m.id).report?.parts[0]?.outcome === 'delivered' ? true : undefined));
    await r.dispatcher.delivery.drain();
    expect(r.rec(m.id).state).toBe('sent');
  });

  it('a message sent without a report request is not tracked: a report for it is unmatched', async () => {
    const r = await rig();
    r.pool.reportRequested = false;
    const m = await r.send();
    expect(m.report).toBeNull();
    r.pool.report({ reference: 0, recipient: X });
    expect(r.dispatcher.delivery.counters).toMatchObject({ requested: 0, reports: expect.objectContaining({ unmatched: 1 }) });
  });

  it('nothing is told before the state change is on disk', async () => {
    const dir = tempDir();
    const real = await openStore({ dataDir: dir });
    let gate: (() => void) | null = null;
    const gated = withCommit(real, async (ch) => {
      const p = real.commit(ch);
      if (ch.some((c) => c.c === 'outbox' && (c.v as OutboxRecord | null)?.state === 'delivered')) await new Promise<void>((res) => (gate = res));
      await p;
    });
    const r = await rig({ dir, store: gated });
    const m = await r.send();
    r.pool.report({ reference: 0, recipient: X });
    await waitFor(() => (gate ? true : undefined));
    expect(r.dispatcher.delivery.counters.delivered).toBe(0);
    expect(r.auditLines().some((l) => l.action === 'sms.delivered')).toBe(false);
    gate!();
    await waitFor(() => (r.dispatcher.delivery.counters.delivered === 1 ? true : undefined));
    expect(r.auditLines().filter((l) => l.action === 'sms.delivered')).toHaveLength(1);
    expect(r.rec(m.id).state).toBe('delivered');
    await r.close();
    rigs.splice(rigs.indexOf(r), 1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the answer to the provider: true once the outcome is on disk or nothing needs recording, false when the commit failed', async () => {
    const dir = tempDir();
    const real = await openStore({ dataDir: dir });
    let fail = false;
    let gate: (() => void) | null = null;
    const store = withCommit(real, async (ch) => {
      const report = ch.some((c) => c.c === 'outbox' && (c.v as OutboxRecord | null)?.hops.at(-1)?.event === 'report');
      if (report && fail) throw new Error('EIO: journal write failed');
      if (report) await new Promise<void>((res) => (gate = res));
      await real.commit(ch);
    });
    const r = await rig({ dir, store });
    const m = await r.send();
    let answered: boolean | null = null;
    const a = r.pool.reportAnswered({ reference: 0, recipient: X, outcome: 'pending', status: 0x20 }).then((x) => (answered = x));
    await waitFor(() => (gate ? true : undefined));
    await new Promise((res) => setTimeout(res, 20));
    expect(answered).toBeNull();
    gate!();
    expect(await a).toBe(true);
    // The disk fails: the modem must keep the report.
    fail = true;
    expect(await r.pool.reportAnswered({ reference: 0, recipient: X })).toBe(false);
    expect(r.rec(m.id).state).toBe('sent');
    // Nothing to record: unmatched, malformed.
    expect(await r.pool.reportAnswered({ reference: 99, recipient: X })).toBe(true);
    expect(await r.pool.reportAnswered({ reference: 0, recipient: X, status: -1 })).toBe(true);
    fail = false;
    gate = null;
    const d = r.pool.reportAnswered({ reference: 0, recipient: X });
    await waitFor(() => (gate ? true : undefined));
    gate!();
    expect(await d).toBe(true);
    expect(r.rec(m.id).state).toBe('delivered');
    // Settled already: nothing to record.
    expect(await r.pool.reportAnswered({ reference: 0, recipient: X })).toBe(true);
    await r.close();
    rigs.splice(rigs.indexOf(r), 1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a report held for a message still being sent is acknowledged at once (a resend after a crash gets its own report)', async () => {
    const r = await rig();
    let release: (() => void) | null = null;
    r.pool.beforeResolve = () => new Promise<void>((res) => (release = res));
    const sending = r.send();
    await waitFor(() => (release ? true : undefined));
    expect(await r.pool.reportAnswered({ reference: 0, recipient: X })).toBe(true);
    expect(r.dispatcher.delivery.snapshot().held).toBe(1);
    release!();
    const m = await sending;
    await waitFor(() => (r.rec(m.id).state === 'delivered' ? true : undefined));
  });
});

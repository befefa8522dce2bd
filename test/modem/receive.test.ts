import { describe, expect, it } from 'vitest';
import type { ModemIncoming, ModemStatusReport } from '../../src/modem/modem.js';
import { advance, driverFor, inFakeTime, message, profileFor, settle, simRig, stopRig, until, type RigOptions, type SimRig } from './rig.js';

/**
 * Received SMS and status reports on the wire, in fake time: what the simulated SIM holds, which
 * AT commands the driver writes and when, and what the consumer is handed. A message leaves the
 * SIM (AT+CMGD) only after the consumer answered that it stored it.
 */

const FROM = '+4915112345678';
const LONG = 'a'.repeat(153) + 'b'.repeat(153) + 'c'.repeat(100);

type Answer = boolean | 'hang' | 'throw';

/** A consumer that answers from a script (then true), recording what it was offered and when. */
function consumer<T>(answers: Answer[] = []) {
  const got: Array<{ item: T; t: number }> = [];
  const stored: T[] = [];
  const fn = (item: T): Promise<boolean> => {
    got.push({ item, t: Date.now() });
    const a = answers.shift() ?? true;
    if (a === 'hang') return new Promise(() => {});
    if (a === 'throw') return Promise.reject(new Error('disk failing'));
    if (a) stored.push(item);
    return Promise.resolve(a);
  };
  return { got, stored, fn };
}

describe('receiving on the wire (fake time)', () => {
  let rig: SimRig | null = null;
  let extra: { pool: SimRig['pool'] } | null = null;
  inFakeTime(() => {
    const r = rig;
    rig = null;
    if (extra) void extra.pool.stop();
    extra = null;
    return r;
  });

  async function readyRig(o: RigOptions = {}) {
    rig = simRig(o);
    rig.pool.start();
    await until(() => rig!.modems.every((m) => m.state === 'ready'), 10_000);
    return rig;
  }

  const stored = (r: SimRig, mem = 'SM') => r.sims[0]!.store.get(mem)!.size;

  /** An SMS arrives and is offered to a consumer that never answers (a store that hangs, a daemon dying). */
  async function offeredToHangingConsumer(r: SimRig, text: string): Promise<void> {
    const c = consumer<ModemIncoming>(['hang']);
    r.pool.onIncoming(c.fn);
    r.sims[0]!.deliver(FROM, text);
    await until(() => c.got.length === 1, 5000);
  }
  const lines = (r: SimRig, prefix: string) => r.log.filter((l) => l.line.startsWith(prefix));

  it('+CDS (ds 1, SIM800): the status report PDU is decoded and handed over', async () => {
    const r = await readyRig({ sim: { reportDelayMs: 4000 } });
    expect(r.log.map((l) => l.line)).toContain('AT+CNMI=2,1,0,1,0');
    const reports = consumer<ModemStatusReport>();
    r.pool.onReport(reports.fn);
    const sent = await settle(r.pool.send(message('with report', { statusReport: true })));
    await advance(4100);
    expect(reports.got).toHaveLength(1);
    expect(reports.got[0]!.item).toMatchObject({
      modemId: 'm1',
      reference: sent.references[0],
      recipient: '+4917612345678',
      outcome: 'delivered',
      status: 0,
    });
    expect(reports.got[0]!.item.dischargeTime - reports.got[0]!.item.serviceCentreTime).toBeGreaterThanOrEqual(4000);
    // Without SRR, no report.
    await settle(r.pool.send(message('no report')));
    await advance(5000);
    expect(reports.got).toHaveLength(1);
    expect(r.modems[0]!.status()).toMatchObject({ reports: 1 });
  });

  it('+CDSI (ds 2, SIM7600): the stored report stays in "SR" until the consumer recorded it, then it is deleted', async () => {
    const r = await readyRig({ profile: profileFor('sim7600'), sim: { reportDelayMs: 1000, reportStatus: 0x46 } });
    const reports = consumer<ModemStatusReport>([false]);
    r.pool.onReport(reports.fn);
    await settle(r.pool.send(message('stored report', { statusReport: true })));
    await until(() => reports.got.length === 1, 10_000);
    expect(reports.got[0]!.item).toMatchObject({ outcome: 'undelivered', status: 0x46 });
    await advance(1000);
    expect(stored(r, 'SR')).toBe(1);
    expect(lines(r, 'AT+CMGD')).toEqual([]);
    await until(() => reports.got.length === 2, 30_000);
    await until(() => stored(r, 'SR') === 0, 5000);
    const cmgd = lines(r, 'AT+CMGD');
    expect(cmgd).toHaveLength(1);
    expect(cmgd[0]!.t).toBeGreaterThanOrEqual(reports.got[1]!.t);
    expect(r.log.map((l) => l.line)).toEqual(expect.arrayContaining(['AT+CPMS="SR"', 'AT+CMGR=0', 'AT+CMGD=0', 'AT+CPMS="SM"']));
    // The init listed both stores.
    expect(lines(r, 'AT+CMGL=4')).toHaveLength(2);
  });

  it('+CMTI: read, handed over, deleted only once the consumer stored it; a long one joined', async () => {
    const r = await readyRig({});
    const storedAt: number[] = [];
    const got: ModemIncoming[] = [];
    r.pool.onIncoming(async (m) => {
      got.push(m);
      // The store takes its time (fsync): the SIM must keep the message meanwhile.
      await new Promise((res) => setTimeout(res, 2000));
      storedAt.push(Date.now());
      return true;
    });
    r.sims[0]!.deliver(FROM, 'Your credit expires on 31.12.');
    await until(() => got.length === 1, 10_000);
    expect(stored(r)).toBe(1);
    r.sims[0]!.deliver(FROM, LONG);
    await until(() => got.length === 2 && stored(r) === 0, 20_000);
    expect(got[0]).toEqual({ modemId: 'm1', from: FROM, text: 'Your credit expires on 31.12.', t: expect.any(Number), parts: 1, missing: [] });
    expect(got[1]).toMatchObject({ text: LONG, parts: 3, missing: [] });
    expect(lines(r, 'AT+CMGR')).toHaveLength(4);
    const cmgd = lines(r, 'AT+CMGD').map((l) => l.t);
    expect(cmgd).toHaveLength(4);
    expect(cmgd[0]).toBeGreaterThanOrEqual(storedAt[0]!);
    for (const t of cmgd.slice(1)) expect(t).toBeGreaterThanOrEqual(storedAt[1]!);
    expect(r.modems[0]!.status()).toMatchObject({ incoming: 2, incomplete: 0, handoverFailures: 0, held: 0, simFull: false });
  });

  it('+CMT (mt 2): routed SMS are decoded straight from the URC and handed over', async () => {
    const r = await readyRig({ profile: profileFor('sim800', { cnmi: 'AT+CNMI=2,2,0,1,0' }) });
    const c = consumer<ModemIncoming>([false]);
    r.pool.onIncoming(c.fn);
    r.sims[0]!.deliver(FROM, 'Привет');
    await until(() => c.got.length === 1, 5000);
    expect(c.got[0]!.item.text).toBe('Привет');
    expect(lines(r, 'AT+CMGR')).toEqual([]);
    // Not stored: held in memory and offered again.
    await until(() => c.stored.length === 1, 30_000);
    expect(c.got).toHaveLength(2);
  });

  it('the store fails: the message stays on the SIM, offered again after growing pauses, and deleted once stored', async () => {
    const r = await readyRig({});
    const c = consumer<ModemIncoming>([false, 'throw', false]);
    r.pool.onIncoming(c.fn);
    r.sims[0]!.deliver(FROM, 'Credit low');
    await until(() => c.got.length === 3, 60_000);
    expect(stored(r)).toBe(1);
    expect(lines(r, 'AT+CMGD')).toEqual([]);
    expect(r.modems[0]!.status()).toMatchObject({ handoverFailures: 3, held: 1, incoming: 0 });
    await until(() => c.stored.length === 1 && stored(r) === 0, 120_000);
    const t = c.got.map((g) => g.t);
    expect(t[2]! - t[1]!).toBeGreaterThan(t[1]! - t[0]!);
    expect(t[3]! - t[2]!).toBeGreaterThan(t[2]! - t[1]!);
    expect(lines(r, 'AT+CMGD')).toHaveLength(1);
    expect(lines(r, 'AT+CMGD')[0]!.t).toBeGreaterThanOrEqual(t[3]!);
    // Read once: the retries need no new AT+CMGR.
    expect(lines(r, 'AT+CMGR')).toHaveLength(1);
    expect(r.modems[0]!.status()).toMatchObject({ incoming: 1, held: 0 });
  });

  it('a consumer that never answers counts as failed after the hand-over timeout; the message stays', async () => {
    const r = await readyRig({ receive: { handoverTimeoutMs: 3000 } });
    const c = consumer<ModemIncoming>(['hang']);
    r.pool.onIncoming(c.fn);
    r.sims[0]!.deliver(FROM, 'x');
    await until(() => c.got.length === 2 && stored(r) === 0, 60_000);
    expect(c.got[1]!.t - c.got[0]!.t).toBeGreaterThanOrEqual(3000);
    expect(c.stored).toHaveLength(1);
  });

  it('no consumer yet: the message waits on the SIM and is offered when one is set', async () => {
    const r = await readyRig({});
    r.sims[0]!.deliver(FROM, 'early');
    await until(() => lines(r, 'AT+CMGR').length === 1, 5000);
    await advance(60_000);
    expect(stored(r)).toBe(1);
    const c = consumer<ModemIncoming>();
    r.pool.onIncoming(c.fn);
    await until(() => stored(r) === 0, 5000);
    expect(c.stored.map((m) => m.text)).toEqual(['early']);
  });

  it('a crash between reading and storing loses nothing: the restarted driver lists the SIM and stores it', async () => {
    const r = await readyRig({});
    await offeredToHangingConsumer(r, 'Your SIM expires soon');
    // The daemon dies while its store is writing (the consumer never answers).
    await r.pool.stop();
    expect(stored(r)).toBe(1);
    const again = driverFor(r.sims, profileFor());
    extra = again;
    const second = consumer<ModemIncoming>();
    again.pool.onIncoming(second.fn);
    again.pool.start();
    await until(() => second.stored.length === 1 && stored(r) === 0, 30_000);
    expect(second.stored[0]).toMatchObject({ from: FROM, text: 'Your SIM expires soon' });
    expect(lines(r, 'AT+CMGL=4').length).toBeGreaterThanOrEqual(2);
  });

  it('a concatenated SMS whose parts arrive across a restart: one whole message; its parts deleted only after', async () => {
    const r = await readyRig({});
    const first = consumer<ModemIncoming>();
    r.pool.onIncoming(first.fn);
    r.sims[0]!.deliver(FROM, LONG, { ref: 77, parts: [1] });
    await until(() => lines(r, 'AT+CMGR').length === 1, 5000);
    await advance(5000);
    expect(first.got).toEqual([]);
    expect(stored(r)).toBe(1);
    await r.pool.stop();
    // The rest arrives while the daemon is down: stored by the modem, no +CMTI seen.
    r.sims[0]!.deliver(FROM, LONG, { ref: 77, parts: [2, 3] });
    expect(stored(r)).toBe(3);
    const again = driverFor(r.sims, profileFor());
    extra = again;
    let storedAt = Number.POSITIVE_INFINITY;
    const got: ModemIncoming[] = [];
    again.pool.onIncoming(async (m) => {
      got.push(m);
      await new Promise((res) => setTimeout(res, 1500));
      storedAt = Date.now();
      return true;
    });
    again.pool.start();
    await until(() => got.length === 1 && stored(r) === 0, 30_000);
    expect(got[0]).toMatchObject({ from: FROM, text: LONG, parts: 3, missing: [] });
    const cmgd = lines(r, 'AT+CMGD');
    expect(cmgd).toHaveLength(3);
    for (const d of cmgd) expect(d.t).toBeGreaterThanOrEqual(storedAt);
    await advance(30_000);
    expect(got).toHaveLength(1);
  });

  it('an incomplete SMS is handed over marked after its parts aged, then deleted', async () => {
    const r = await readyRig({ receive: { maxAgeMs: 60_000 } });
    const c = consumer<ModemIncoming>();
    r.pool.onIncoming(c.fn);
    r.sims[0]!.deliver(FROM, LONG, { ref: 5, parts: [1, 3] });
    await until(() => lines(r, 'AT+CMGR').length === 2, 5000);
    const readAt = Date.now();
    await advance(50_000);
    expect(c.got).toEqual([]);
    await until(() => c.stored.length === 1 && stored(r) === 0, 30_000);
    expect(c.got[0]!.t - readAt).toBeGreaterThanOrEqual(50_000);
    expect(c.stored[0]).toMatchObject({ parts: 3, missing: [2], text: 'a'.repeat(153) + '[part 2 of 3 missing]' + 'c'.repeat(100) });
    expect(r.modems[0]!.status()).toMatchObject({ incoming: 1, incomplete: 1 });
  });

  it('a full SIM store never blocks sending; reception resumes once the driver made room', async () => {
    const r = await readyRig({ sim: { storeSize: 5, redeliverMs: 500 } });
    const c = consumer<ModemIncoming>();
    r.pool.onIncoming(c.fn);
    // Filled behind the driver's back (no +CMTI): read messages it does not know yet.
    r.sims[0]!.fillStore();
    const sent = await settle(r.pool.send(message('still sent')));
    expect(sent.references).toHaveLength(1);
    r.sims[0]!.deliver(FROM, 'while full');
    expect(r.sims[0]!.stats.refusedFull).toBe(1);
    expect(r.sims[0]!.atNetwork).toHaveLength(1);
    // The periodic listing finds the old ones; their deletion makes room; the network delivers.
    await until(() => c.stored.some((m) => m.text === 'while full'), 20 * 60_000, 1000);
    expect(c.stored.filter((m) => m.text === 'old')).toHaveLength(5);
    await until(() => stored(r) === 0, 10_000);
  });

  it('a SIM full of orphan parts: the oldest is handed over incomplete to make room, so reception goes on', async () => {
    const r = await readyRig({ sim: { storeSize: 3, redeliverMs: 500 } });
    const c = consumer<ModemIncoming>();
    r.pool.onIncoming(c.fn);
    for (const ref of [1, 2]) {
      r.sims[0]!.deliver(`+49151000000${ref}`, LONG, { ref, parts: [1] });
      await until(() => lines(r, 'AT+CMGR').length === ref, 5000);
      await advance(1000);
    }
    expect(c.got).toEqual([]);
    r.sims[0]!.deliver('+491510000003', LONG, { ref: 3, parts: [1] });
    await until(() => c.stored.length === 1, 10_000);
    expect(c.stored[0]).toMatchObject({ from: '+491510000001', missing: [2, 3] });
    await until(() => stored(r) === 2, 5000);
    // With room again the next SMS arrives as usual; sending never waited.
    r.sims[0]!.deliver(FROM, 'after');
    const sent = await settle(r.pool.send(message('sent meanwhile')));
    expect(sent.references).toHaveLength(1);
    await until(() => c.stored.some((m) => m.text === 'after'), 10_000);
    expect(r.sims[0]!.stats.refusedFull).toBe(0);
  });

  it('stored outgoing messages on the SIM are left alone; the received one beside them is taken', async () => {
    rig = simRig({});
    const sim = rig.sims[0]!;
    sim.fillStore(3);
    const slots = sim.store.get('SM')!;
    for (const i of [...slots.keys()].slice(2)) slots.delete(i);
    sim.deliver(FROM, 'received');
    const c = consumer<ModemIncoming>();
    rig.pool.onIncoming(c.fn);
    rig.pool.start();
    await until(() => c.stored.length === 1, 20_000);
    await advance(1000);
    expect(c.stored[0]!.text).toBe('received');
    expect(stored(rig)).toBe(2);
    expect([...rig.sims[0]!.store.get('SM')!.values()].map((s) => s.stat)).toEqual([3, 3]);
  });

  it('a pool stopped and started again lists the SIM again and hands over what came meanwhile', async () => {
    const r = await readyRig({});
    const c = consumer<ModemIncoming>();
    r.pool.onIncoming(c.fn);
    await r.pool.stop();
    r.sims[0]!.deliver(FROM, 'while stopped');
    r.pool.start();
    await until(() => c.stored.length === 1 && stored(r) === 0, 30_000);
    expect(c.stored[0]!.text).toBe('while stopped');
  });

  it('stopping ends the store work: nothing is written after stop', async () => {
    const r = await readyRig({});
    await offeredToHangingConsumer(r, 'x');
    await stopRig(r);
    rig = null;
    const n = r.log.length;
    await advance(120_000);
    expect(r.log.length).toBe(n);
  });
});

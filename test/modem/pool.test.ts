import { describe, expect, it } from 'vitest';
import { PoolUnavailable } from '../../src/modem/pool.js';
import { advance, deliver, message, settle, simRig, until, type SimRig, inFakeTime } from './rig.js';

describe('modem pool on the wire, fake time', () => {
  let rig: SimRig | null = null;
  inFakeTime(() => {
    const r = rig;
    rig = null;
    return r;
  });

  it('row "4 modems ready a few ms apart, 40 logins at once": every ready modem takes work, 4× one modem\'s rate', async () => {
    rig = simRig({ count: 4 });
    // The devices appear 5 ms apart (USB enumeration): each modem comes up on its own.
    rig.sims.forEach((s) => (s.present = false));
    rig.pool.start();
    await advance(1);
    rig.sims.forEach((s, i) => setTimeout(() => (s.present = true), i * 5));
    await until(() => rig!.modems.every((m) => m.state === 'ready'), 30_000, 1);
    const t0 = Date.now();
    const all = Promise.all(Array.from({ length: 40 }, (_, i) => deliver(rig!.pool, message(`login ${i}`))));
    await until(() => rig!.sims.reduce((n, s) => n + s.accepted.length, 0) === 40, 120_000, 10);
    const took = Date.now() - t0;
    expect((await all).every((o) => o.sent)).toBe(true);
    for (const s of rig.sims) expect(s.accepted.length, s.accepted[0]?.modem).toBe(10);
    // 10 rounds of 1.5 s on 4 modems (one modem alone: 60 s).
    expect(took).toBeLessThanOrEqual(10 * 1500 + 500);
  });

  it('a modem that becomes ready later takes work at once', async () => {
    rig = simRig({ count: 2 });
    rig.sims[1]!.present = false;
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    const all = Promise.all(Array.from({ length: 20 }, (_, i) => deliver(rig!.pool, message(`m ${i}`))));
    await advance(3000);
    rig.sims[1]!.present = true;
    await until(() => rig!.sims.reduce((n, s) => n + s.accepted.length, 0) === 20, 120_000, 10);
    // The last +CMGS may still be on the line when the modem has taken the message.
    await settle(all);
    expect(rig.sims[1]!.accepted.length).toBeGreaterThan(5);
  });

  it('row "registration lost for 20 s under load": noticed within 1 s (URC, also while busy), ≤ 1 +CMS 331, sending again within 2 s of its return', async () => {
    rig = simRig();
    rig.pool.start();
    const m = rig.modems[0]!;
    await until(() => m.state === 'ready', 10_000);
    const sim = rig.sims[0]!;
    const all = Promise.all(Array.from({ length: 30 }, (_, i) => deliver(rig!.pool, message(`reg ${i}`))));
    await advance(4000);
    expect(m.state).toBe('sending');
    sim.loseRegistration(20_000);
    const noticed = await until(() => m.state === 'registering', 2000, 1);
    expect(noticed).toBeLessThanOrEqual(1000);
    const during = rig.log.length;
    await advance(20_000 - noticed - 5);
    expect(m.state).toBe('registering');
    // At most the submit in flight met the lost network.
    expect(rig.log.slice(during).filter((l) => l.line.startsWith('AT+CMGS')).length).toBeLessThanOrEqual(1);
    const back = Date.now();
    const sentBefore = sim.accepted.length;
    await until(() => sim.accepted.length > sentBefore, 10_000, 5);
    expect(Date.now() - back).toBeLessThanOrEqual(2000 + 1500);
    await until(() => new Set(sim.accepted.map((a) => a.text)).size === 30, 120_000, 50);
    expect((await all).every((o) => o.sent)).toBe(true);
  });

  it('no modem ready and none coming: unavailable at once; while one is coming back, messages wait (not bounced)', async () => {
    rig = simRig({ outageGraceMs: 10_000 });
    rig.pool.start();
    const m = rig.modems[0]!;
    await until(() => m.state === 'ready', 10_000);
    rig.sims[0]!.reboot();
    await until(() => m.state !== 'ready', 5000, 1);
    expect(rig.pool.health()).toBe('starting');
    expect(rig.pool.expectedWaitMs()).toBe(10_000);
    const waiting = settle(rig.pool.send(message('waits')));
    expect((await waiting).modemId).toBe('m1');
    await m.stop();
    await expect(rig.pool.send(message('x'))).rejects.toBeInstanceOf(PoolUnavailable);
    expect(rig.pool.expectedWaitMs()).toBe(Number.POSITIVE_INFINITY);
    expect(rig.pool.health()).toBe('down');
  });

  it('a first attempt waits at most the outage grace; a resend after an unknown outcome waits until it expires', async () => {
    rig = simRig({ outageGraceMs: 5000 });
    rig.pool.start();
    const m = rig.modems[0]!;
    await until(() => m.state === 'ready', 10_000);
    rig.sims[0]!.hang();
    rig.sims[0]!.setFaults({ hangClears: 'power' });
    const first = settle(rig.pool.send(message('first')), 60_000).catch((e: Error) => e);
    const resend = settle(rig.pool.send(message('resend', { resend: true, expiresAt: Date.now() + 40_000 })), 60_000).catch((e: Error) => e);
    const e1 = await first;
    expect(e1).toBeInstanceOf(Error);
    const e2 = (await resend) as Error;
    expect(e2.message).toMatch(/no modem became ready in time|cancelled/);
  });

  it('expectedWaitMs: the rounds of submits ahead over the ready modems', async () => {
    rig = simRig({ count: 2 });
    rig.pool.start();
    await until(() => rig!.modems.every((x) => x.state === 'ready'), 10_000);
    rig.pool.submitMs = 1000;
    expect(rig.pool.expectedWaitMs()).toBe(0);
    expect(rig.pool.expectedWaitMs(4)).toBe(2000);
    expect(rig.pool.status()).toMatchObject({ waiting: 0, submitMs: 1000 });
  });

  it('onRecovered fires when the first modem is ready again after none was', async () => {
    rig = simRig();
    let recovered = 0;
    rig.pool.onRecovered(() => recovered++);
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    expect(recovered).toBe(0);
    rig.sims[0]!.reboot();
    await until(() => rig!.modems[0]!.state !== 'ready', 5000, 1);
    await until(() => rig!.modems[0]!.state === 'ready', 20_000, 10);
    expect(recovered).toBe(1);
  });

  it('a resend prefers a modem other than the one whose answer never came', async () => {
    rig = simRig({ count: 2 });
    rig.pool.start();
    await until(() => rig!.modems.every((x) => x.state === 'ready'), 10_000);
    rig.sims[0]!.setFaults({ ambiguousRate: 1 });
    rig.sims[1]!.setFaults({ ambiguousRate: 1 });
    const e = await settle(rig.pool.send(message('amb', { id: 'amb' })), 30_000).catch((x) => x);
    expect(e).toMatchObject({ kind: 'ambiguous' });
    const first = rig.sims.findIndex((s) => s.accepted.length === 1);
    rig.sims.forEach((s) => s.setFaults({ ambiguousRate: 0 }));
    await until(() => rig!.modems.every((x) => x.state === 'ready'), 30_000, 10);
    const r = await settle(rig.pool.send(message('amb', { id: 'amb', resend: true })));
    expect(r.modemId).not.toBe(`m${first + 1}`);
  });
});

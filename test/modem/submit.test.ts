import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModemSendError, SubmitTimer, submitMessage } from '../../src/modem/submit.js';
import { advance, deliver, message, settle, simRig, stopRig, until, type SimRig, inFakeTime } from './rig.js';

describe('submit timeout learned from observed submit times', () => {
  it('before five samples: a third of the ceiling, at least the floor', () => {
    expect(new SubmitTimer(3000, 60_000).timeoutMs()).toBe(20_000);
    expect(new SubmitTimer(3000, 6000).timeoutMs()).toBe(3000);
    // A floor above the ceiling gives way to the ceiling.
    expect(new SubmitTimer(3000, 800).timeoutMs()).toBe(800);
  });

  it('then max(1.25 × slowest, median + 500 ms), clamped to floor and ceiling', () => {
    const t = new SubmitTimer(1000, 60_000);
    for (let i = 0; i < 5; i++) t.observe(1500);
    expect(t.timeoutMs()).toBe(2000);
    t.observe(4000);
    expect(t.timeoutMs()).toBe(5000);
    const fast = new SubmitTimer(3000, 60_000);
    for (let i = 0; i < 10; i++) fast.observe(200);
    expect(fast.timeoutMs()).toBe(3000);
    const slow = new SubmitTimer(3000, 60_000);
    for (let i = 0; i < 10; i++) slow.observe(50_000);
    expect(slow.timeoutMs()).toBe(60_000);
    expect(slow.observed).toBe(10);
  });

  it('keeps the last 20 samples only', () => {
    const t = new SubmitTimer(1000, 60_000);
    t.observe(20_000);
    for (let i = 0; i < 20; i++) t.observe(1000);
    expect(t.timeoutMs()).toBe(1500);
  });

  it('any sequence: the timeout is the rule applied to the last 20 samples (evicting from anywhere in the order)', () => {
    const rule = (samples: number[]) => {
      const last = samples.slice(-20).sort((a, b) => a - b);
      if (last.length < 5) return 20_000;
      const v = Math.round(Math.max(1.25 * last.at(-1)!, last[Math.floor(last.length / 2)]! + 500));
      return Math.min(60_000, Math.max(1000, v));
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 80 }), (samples) => {
        const t = new SubmitTimer(1000, 60_000);
        samples.forEach((ms, i) => {
          t.observe(ms);
          expect(t.timeoutMs()).toBe(rule(samples.slice(0, i + 1)));
        });
      }),
    );
  });
});

describe('submit policy on the wire, fake time', () => {
  let rig: SimRig | null = null;
  inFakeTime(() => {
    const r = rig;
    rig = null;
    return r;
  });

  async function readyRig(o: Parameters<typeof simRig>[0] = {}) {
    rig = simRig(o);
    rig.pool.start();
    await until(() => rig!.modems.every((m) => m.state === 'ready'), 10_000);
    return rig;
  }

  it('PDU mode with SRR when status reports are wanted, TP-RD on resends, references per part', async () => {
    const r = await readyRig();
    const sent = await settle(r.pool.send(message('hello', { statusReport: true })));
    expect(sent).toEqual({ modemId: 'm1', references: [0], reportRequested: true, parts: 1 });
    await settle(r.pool.send(message('again', { resend: true })));
    expect(r.sims[0]!.submits.map((s) => [s.statusReport, s.rejectDuplicates])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(r.modems[0]!.counters.resends).toBe(1);
  });

  it('concatenation: the reference is saved before the first part; parts already accepted are not sent again', async () => {
    const r = await readyRig();
    const saved: unknown[] = [];
    const text = 'z'.repeat(300);
    const sent = await settle(r.pool.send(message(text, { checkpoint: async (p) => void saved.push(p) })));
    expect(sent.references).toEqual([0, 1]);
    expect(saved[0]).toMatchObject({ partsSent: [], references: [] });
    expect(saved.at(-1)).toMatchObject({ partsSent: [1, 2], references: [0, 1] });
    const again = await settle(r.pool.send(message(text, { id: 'b', progress: { concatRef: 9, partsSent: [1], references: [7] } })));
    expect(again.references).toEqual([7, 2]);
    expect(r.sims[0]!.stats.accepted).toBe(3);
  });

  it('+CMS errors: temporary, permanent; bad numbers and texts refused before the modem', async () => {
    const r = await readyRig();
    r.sims[0]!.setFaults({ temporaryErrorRate: 1 });
    await expect(settle(r.pool.send(message('a')))).rejects.toMatchObject({ kind: 'temporary' });
    r.sims[0]!.setFaults({ temporaryErrorRate: 0, permanentErrorRate: 1 });
    await expect(settle(r.pool.send(message('b')))).rejects.toMatchObject({ kind: 'permanent', code: 'CMS 21' });
    await expect(settle(r.pool.send(message('c', { to: '+49 170' })))).rejects.toMatchObject({ kind: 'permanent', code: 'bad number' });
    await expect(settle(r.pool.send(message('x'.repeat(2000))))).rejects.toMatchObject({ kind: 'permanent', code: 'pdu' });
    expect(r.modems[0]!.state).toBe('ready');
  });

  it('submitMessage refuses a modem that is not ready (not-sent)', async () => {
    const r = simRig();
    rig = r;
    const e = await submitMessage(r.modems[0]!, message('x'), new SubmitTimer(1000, 2000), Date.now).catch((x) => x);
    expect(e).toBeInstanceOf(ModemSendError);
    expect(e).toMatchObject({ kind: 'not-sent', message: 'modem m1 is off' });
  });

  it('row "lost acknowledgements, modem deaf 10 s": each costs seconds (not 60 s), resent with TP-RD, every duplicate counted, 30/30 within the OTP life', async () => {
    const r = await readyRig({ faults: { lostAckRate: 0.2, deafMs: 10_000, seed: 3 } });
    const t0 = Date.now();
    const results: Array<{ sent: boolean; duplicates: number }> = [];
    // One login at a time (what a queue of 30 on one modem is), each OTP valid 5 minutes.
    const all = (async () => {
      for (let i = 0; i < 30; i++) results.push(await deliver(r.pool, message(`otp ${i}`, { expiresAt: t0 + 300_000 })));
    })();
    await until(() => results.length === 30, 300_000, 100);
    await all;
    const sim = r.sims[0]!;
    expect(sim.stats.lostAcks).toBeGreaterThan(2);
    expect(results.every((x) => x.sent)).toBe(true);
    const texts = sim.accepted.map((a) => a.text);
    expect(new Set(texts).size).toBe(30);
    expect(texts.length - 30).toBeLessThanOrEqual(results.reduce((n, x) => n + x.duplicates, 0));
    // Resends carry TP-RD.
    expect(sim.submits.filter((s) => s.rejectDuplicates).length).toBe(results.reduce((n, x) => n + x.duplicates, 0));
    const took = Date.now() - t0;
    // 30 × 1.5 s plus, per lost ack, the learned timeout (~5.5 s) and the deaf time (10 s): far from 60 s each.
    expect(took).toBeLessThan(30 * 1500 + sim.stats.lostAcks * 20_000);
    expect(r.pool.submitTimer('m1')!.timeoutMs()).toBeLessThan(10_000);
  });

  it('row "+CMS 302 after an unseen reboot": temporary for the message, SMS readiness re-probed; sent once ready', async () => {
    const r = await readyRig();
    // The modem lost SMS readiness without printing anything the driver could see.
    (r.sims[0] as unknown as { smsReady: boolean }).smsReady = false;
    const p = deliver(r.pool, message('after 302'));
    await until(() => r.modems[0]!.state === 'registering', 5000, 1);
    (r.sims[0] as unknown as { smsReady: boolean }).smsReady = true;
    await until(() => r.sims[0]!.accepted.length === 1, 30_000, 50);
    // One attempt: the pool kept the message (a 302 classed permanent would reach the dispatcher,
    // which fails the message for good, even if readiness were re-probed).
    expect(await p).toMatchObject({ sent: true, attempts: 1 });
    expect(r.sims[0]!.stats.notReadyErrors).toBe(1);
  });

  /**
   * 10 messages, one at a time, through a modem that answers 30 % of its commands (from a seeded
   * schedule) `lateMs` late, everything after such an answer late too; the health poll (every
   * 700 ms) puts AT+CREG?/AT+CSQ/AT+COPS? between the submits. A slow modem must slow the driver
   * down, not stop it: every message sent, no recovery ladder, no reset, the registration never
   * taken from a late `+CREG: 0,1`, and back to ready once the modem is quick again.
   */
  async function sluggish(seed: number, rate = 0.3, lateMs = 2500) {
    const r = await readyRig({ faults: { seed }, healthPollMs: 700 });
    const modem = r.modems[0]!;
    const sim = r.sims[0]!;
    const left: string[] = [];
    modem.on('state', (to: string) => {
      if (to !== 'ready' && to !== 'sending') left.push(to);
    });
    sim.setFaults({ lateAnswerRate: rate, lateAnswerMs: lateMs });
    const results = [];
    for (let i = 0; i < 10; i++) {
      const p = deliver(r.pool, message(`late ${i}`));
      await until(() => sim.accepted.some((a) => a.text === `late ${i}`), 120_000, 50, `seed ${seed}: "late ${i}" accepted`);
      // Its +CMGS may still be on the line when the modem has taken the message.
      results.push(await settle(p));
      await advance(1000);
    }
    sim.setFaults({ lateAnswerRate: 0 });
    await until(() => modem.state === 'ready', 30_000, 50, `seed ${seed}: ready again`);
    return { r, results, left, simLate: sim.stats.lateAnswers };
  }

  it('row "late answers after a timeout", seeds 1-12: a slow modem slows the driver down, never stops it', async () => {
    let late = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { r, results, left, simLate } = await sluggish(seed);
      const modem = r.modems[0]!;
      expect(simLate, `seed ${seed}`).toBeGreaterThan(0);
      expect(
        results.every((x) => x.sent && x.attempts === 1),
        `seed ${seed}`,
      ).toBe(true);
      expect(new Set(r.sims[0]!.accepted.map((a) => a.text)).size, `seed ${seed}`).toBe(10);
      expect(left, `seed ${seed}: states other than ready/sending`).toEqual([]);
      expect(modem.counters.recoveries, `seed ${seed}`).toBe(0);
      expect(r.sims[0]!.stats.reboots, `seed ${seed}`).toBe(0);
      expect(modem.registration, `seed ${seed}`).toBe('home');
      late += modem.link.stats.lateAnswers;
      rig = null;
      await stopRig(r);
    }
    // Answers did come after their command had timed out (and were dropped behind a resync).
    expect(late).toBeGreaterThan(5);
  });

  it('property: any schedule of late answers (rate ≤ 0.6, up to 6 s late) costs time, never a message or a recovery', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 13, max: 1_000_000 }),
        fc.double({ min: 0.05, max: 0.6, noNaN: true }),
        fc.integer({ min: 500, max: 6000 }),
        async (seed, rate, lateMs) => {
          const { r, results, left } = await sluggish(seed, rate, lateMs);
          const kept = results.every((x) => x.sent) && left.length === 0 && r.modems[0]!.counters.recoveries === 0 && r.sims[0]!.stats.reboots === 0;
          rig = null;
          await stopRig(r);
          return kept;
        },
      ),
      { numRuns: 20 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  BOOT_SEQUENCE_MS,
  initialLifecycle,
  isReady,
  registrationUrc,
  regStatus,
  transition,
  type LifecycleEvent,
  type LifecycleState,
} from '../../src/modem/lifecycle.js';
import { profileFor, simRig, until, advance, message, deliver, type SimRig, inFakeTime } from './rig.js';

const base = initialLifecycle({ smsReadyUrc: true, rungs: 3 });

function run(s: LifecycleState, ...events: LifecycleEvent[]) {
  const effects = [];
  for (const e of events) {
    const r = transition(s, e);
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s, effects };
}

/** A modem initialised and ready (gen 1). */
const ready = run(
  base,
  { type: 'start' },
  { type: 'port-opened' },
  { type: 'sim', ready: true },
  { type: 'registration', tech: 'CREG', status: 'home' },
  { type: 'sms-ready', ready: true },
  { type: 'init-done', gen: 1 },
).state;

describe('lifecycle transitions (pure)', () => {
  it('off → booting (open) → init → sim → registering → ready ⇄ sending', () => {
    const s1 = run(base, { type: 'start' });
    expect(s1.state.name).toBe('booting');
    expect(s1.effects).toEqual([{ do: 'open' }]);
    const s2 = run(s1.state, { type: 'port-opened' });
    expect(s2.effects).toEqual([{ do: 'init', gen: 1, from: 'check' }]);
    expect(s2.state.init).toBe(1);
    expect(run(s2.state, { type: 'sim', ready: true }).state.name).toBe('registering');
    const reg = run(s2.state, { type: 'sim', ready: true }, { type: 'registration', tech: 'CREG', status: 'home' }, { type: 'init-done', gen: 1 });
    // Registered but SMS not ready yet: registering, and a probe asked for.
    expect(reg.state.name).toBe('registering');
    expect(reg.effects).toContainEqual({ do: 'probe-sms' });
    expect(run(reg.state, { type: 'sms-ready', ready: true }).state.name).toBe('ready');
    expect(ready.name).toBe('ready');
    expect(isReady(ready.readiness)).toBe(true);
    const sending = run(ready, { type: 'submit-start' }).state;
    expect(sending.name).toBe('sending');
    expect(run(sending, { type: 'submit-end' }).state.name).toBe('ready');
  });

  it('start is ignored unless off; events while off change nothing', () => {
    expect(run(ready, { type: 'start' }).state).toBe(ready);
    for (const e of [
      { type: 'port-opened' },
      { type: 'port-missing', reason: 'x' },
      { type: 'port-closed', reason: 'x' },
      { type: 'boot-urc', line: 'RDY', at: 0 },
      { type: 'sim', ready: true },
      { type: 'registration', tech: 'CREG', status: 'home' },
      { type: 'sms-ready', ready: true },
    ] as LifecycleEvent[]) {
      expect(run(base, e).state.name, e.type).toBe('off');
    }
  });

  it('registration: home or roaming counts, on any configured technology; losing it leaves ready at once', () => {
    expect(regStatus('1')).toBe('home');
    expect(regStatus('5')).toBe('roaming');
    expect(regStatus('2')).toBe('searching');
    expect(regStatus('9')).toBe('unknown');
    const lost = run(ready, { type: 'registration', tech: 'CREG', status: 'searching' }).state;
    expect(lost.name).toBe('registering');
    expect(lost.reason).toBe('registration searching');
    expect(run(lost, { type: 'registration', tech: 'CEREG', status: 'roaming' }).state.name).toBe('ready');
    expect(run(lost, { type: 'registration', tech: 'CREG', status: 'home' }).state.name).toBe('ready');
    // Lost while sending: the submit goes on, but no new work (not ready).
    const busy = run(ready, { type: 'submit-start' }, { type: 'registration', tech: 'CREG', status: 'not-registered' }).state;
    expect(busy.name).toBe('registering');
  });

  it('registration URCs (+CREG: <stat>[,"lac","ci"]) against the read form only an answer has (+CREG: <n>,<stat>): a late answer is no URC', () => {
    expect(registrationUrc('+CREG: 2')).toEqual({ tech: 'CREG', status: 'searching' });
    expect(registrationUrc('+CGREG: 5,"00C3","0F8D"')).toEqual({ tech: 'CGREG', status: 'roaming' });
    expect(registrationUrc('+CEREG: 1,,,7')).toEqual({ tech: 'CEREG', status: 'home' });
    expect(registrationUrc('+CEREG:1')).toEqual({ tech: 'CEREG', status: 'home' });
    expect(registrationUrc('+CREG: 0,1')).toBe('answer');
    expect(registrationUrc('+CREG: 2 , 5,"00C3","0F8D"')).toBe('answer');
    expect(registrationUrc('+CREG: 12')).toBeNull();
    expect(registrationUrc('+CREG: 0,12')).toBe('answer');
    expect(registrationUrc('+CREG: 1 ')).toEqual({ tech: 'CREG', status: 'home' });
    expect(registrationUrc('+CSQ: 21,0')).toBeNull();
    expect(registrationUrc('x+CREG: 1')).toBeNull();
  });

  it('reboot is seen from every state except off/unavailable, ends the command in flight and starts one init', () => {
    for (const name of ['booting', 'sim', 'registering', 'ready', 'sending', 'recovering', 'failed', 'sim-locked'] as const) {
      const s = { ...ready, name, init: null };
      const r = run(s, { type: 'boot-urc', line: 'RDY', at: 100_000 });
      expect(r.state.name, name).toBe('booting');
      expect(r.effects[0], name).toEqual({ do: 'abort-commands', cause: 'modem rebooted (RDY)' });
      expect(
        r.effects.filter((e) => e.do === 'init'),
        name,
      ).toHaveLength(1);
      expect(r.state.readiness).toEqual({ sim: false, registration: {}, sms: false });
    }
    expect(run({ ...ready, name: 'unavailable' }, { type: 'boot-urc', line: 'RDY', at: 1 }).state.name).toBe('unavailable');
  });

  it('boot URCs of one boot (closer than BOOT_SEQUENCE_MS) are one reboot', () => {
    const r1 = run(ready, { type: 'boot-urc', line: 'RDY', at: 100_000 });
    const r2 = run(r1.state, { type: 'init-done', gen: r1.state.gen }, { type: 'boot-urc', line: '+CFUN: 1', at: 100_000 + BOOT_SEQUENCE_MS - 1 });
    expect(r2.effects.filter((e) => e.do === 'abort-commands')).toHaveLength(0);
    const r3 = run(r2.state, { type: 'boot-urc', line: 'SMS Ready', at: 100_000 + 3 * BOOT_SEQUENCE_MS });
    expect(r3.effects[0]).toMatchObject({ do: 'abort-commands' });
    // RDY is printed once per boot: a second one soon after is a second reboot.
    const r4 = run(r1.state, { type: 'boot-urc', line: 'RDY', at: 100_001, hard: true });
    expect(r4.effects[0]).toMatchObject({ do: 'abort-commands' });
  });

  it('one initialisation at a time: a reboot during init remembers a new one and starts it when the old one ends', () => {
    const booting = run(base, { type: 'start' }, { type: 'port-opened' }).state; // init 1 runs
    const r = run(booting, { type: 'boot-urc', line: 'RDY', at: 50_000 });
    expect(r.effects).toEqual([{ do: 'abort-commands', cause: 'modem rebooted (RDY)' }]);
    expect(r.state).toMatchObject({ init: 1, initWanted: 'boot' });
    // Another wish while one is remembered keeps 'boot' (the stronger one).
    expect(run(r.state, { type: 'rung-done', ladder: r.state.ladder, ok: true }).state.initWanted).toBe('boot');
    const next = run(r.state, { type: 'init-failed', gen: 1, reason: 'aborted' });
    expect(next.effects).toEqual([{ do: 'init', gen: 2, from: 'boot' }]);
    expect(next.state).toMatchObject({ init: 2, initWanted: null });
    // Results of a superseded init are ignored.
    expect(run(next.state, { type: 'init-done', gen: 1 }).state).toBe(next.state);
  });

  it('an init that fails starts the recovery ladder; rungs escalate; all failing ends in failed, then retry', () => {
    const booting = run(base, { type: 'start' }, { type: 'port-opened' }).state;
    const r = run(booting, { type: 'init-failed', gen: 1, reason: 'no answer to AT' });
    expect(r.state).toMatchObject({ name: 'recovering', rung: 1 });
    expect(r.effects).toEqual([{ do: 'rung', ladder: r.state.ladder, rung: 1 }]);
    const l = r.state.ladder;
    const r2 = run(r.state, { type: 'rung-done', ladder: l, ok: false });
    expect(r2.effects).toEqual([{ do: 'rung', ladder: l, rung: 2 }]);
    const r3 = run(
      r2.state,
      { type: 'rung-done', ladder: l, ok: false },
      { type: 'rung-done', ladder: l, ok: false, reason: 'AT+CFUN=1,1: no answer' },
    );
    expect(r3.state).toMatchObject({ name: 'failed', rung: 0, reason: 'AT+CFUN=1,1: no answer' });
    expect(r3.effects.at(-1)).toEqual({ do: 'wait-retry' });
    const again = run(r3.state, { type: 'retry' });
    expect(again.state).toMatchObject({ name: 'recovering', rung: 1 });
    expect(run(ready, { type: 'retry' }).state).toBe(ready);
  });

  it('a rung that brings the modem back runs one checking init (not the whole init per rung)', () => {
    const rec = run(ready, { type: 'unresponsive', reason: 'no answer' });
    expect(rec.state).toMatchObject({ name: 'recovering', rung: 1 });
    expect(rec.effects[0]).toEqual({ do: 'abort-commands', cause: 'no answer' });
    const back = run(rec.state, { type: 'rung-done', ladder: rec.state.ladder, ok: true });
    expect(back.effects).toEqual([{ do: 'init', gen: rec.state.gen + 1, from: 'check' }]);
    // Not ready while the check runs (what it knew before the hang is re-checked).
    expect(back.state.name).toBe('registering');
    // Results of an older ladder are ignored; unresponsive while recovering starts no second ladder.
    expect(run(rec.state, { type: 'rung-done', ladder: rec.state.ladder - 1, ok: true }).state).toBe(rec.state);
    expect(run(rec.state, { type: 'unresponsive', reason: 'again' }).state).toBe(rec.state);
  });

  it('a reboot during recovery ends the ladder: its later results are ignored', () => {
    const rec = run(ready, { type: 'unresponsive', reason: 'x' }).state;
    const boot = run(rec, { type: 'boot-urc', line: 'RDY', at: 200_000 });
    expect(boot.state.name).toBe('booting');
    expect(boot.state.ladder).toBeGreaterThan(rec.ladder);
    expect(run(boot.state, { type: 'rung-done', ladder: rec.ladder, ok: false }).state).toBe(boot.state);
  });

  it('port missing → unavailable (reopen later); reopened → init; closed → unavailable (commands end)', () => {
    const miss = run(base, { type: 'start' }, { type: 'port-missing', reason: 'ENOENT' });
    expect(miss.state.name).toBe('unavailable');
    expect(miss.effects.at(-1)).toEqual({ do: 'reopen-later' });
    expect(run(miss.state, { type: 'port-opened' }).state.name).toBe('booting');
    const closed = run(ready, { type: 'port-closed', reason: 'gone' });
    expect(closed.state.name).toBe('unavailable');
    expect(closed.effects).toEqual([{ do: 'abort-commands', cause: 'gone' }, { do: 'reopen-later' }]);
    const rec = run(ready, { type: 'unresponsive', reason: 'x' }).state;
    expect(run(rec, { type: 'port-closed', reason: 'ladder reopens' }).state).toBe(rec);
  });

  it('SIM: locked stops (no retries); lost SIM leaves ready; SMS readiness lost asks for a probe', () => {
    const locked = run(base, { type: 'start' }, { type: 'port-opened' }, { type: 'sim-locked', reason: 'PIN' });
    expect(locked.state.name).toBe('sim-locked');
    expect(run(locked.state, { type: 'init-failed', gen: 1, reason: 'PIN' }).effects).toEqual([]);
    expect(run(ready, { type: 'sim', ready: false, reason: '+CPIN: NOT READY' }).state).toMatchObject({ name: 'sim', reason: '+CPIN: NOT READY' });
    const lost = run(ready, { type: 'sms-ready', ready: false });
    expect(lost.state.name).toBe('registering');
    expect(lost.effects).toEqual([{ do: 'probe-sms' }]);
    expect(run(lost.state, { type: 'sms-ready', ready: false }).effects).toEqual([]);
  });

  it('stop from any state: off, commands ended, port closed', () => {
    const r = run(ready, { type: 'stop' });
    expect(r.state.name).toBe('off');
    expect(r.effects).toEqual([{ do: 'abort-commands', cause: 'stopped' }, { do: 'close' }]);
  });
});

describe('lifecycle transition edges', () => {
  const booting = run(base, { type: 'start' }, { type: 'port-opened' }).state; // init 1 runs

  it('a wish for a checking init while one runs is remembered as check; a boot wish is never downgraded', () => {
    const checking = run(booting, { type: 'port-opened' }).state;
    expect(checking).toMatchObject({ init: 1, initWanted: 'check' });
    const next = run(checking, { type: 'init-done', gen: 1 });
    expect(next.effects).toEqual([{ do: 'init', gen: 2, from: 'check' }]);
    expect(next.state).toMatchObject({ init: 2, initWanted: null });
    const boot = run(booting, { type: 'boot-urc', line: 'RDY', at: 10_000, hard: true }, { type: 'port-opened' }).state;
    expect(boot.initWanted).toBe('boot');
  });

  it('names during an init: booting until the SIM is known, sim stays sim, then registering', () => {
    expect(booting.name).toBe('booting');
    expect(run({ ...booting, name: 'sim' }, { type: 'registration', tech: 'CREG', status: 'home' }).state.name).toBe('sim');
    expect(run(booting, { type: 'sim', ready: true }).state.name).toBe('registering');
    // Without an init: no SIM → sim.
    expect(run({ ...ready, readiness: { ...ready.readiness } }, { type: 'sim', ready: false }).state).toMatchObject({
      name: 'sim',
      reason: 'SIM not ready',
      readiness: { sim: false, sms: false, registration: {} },
    });
    expect(run(ready, { type: 'sim', ready: true }).state.readiness).toEqual(ready.readiness);
  });

  it('these states are kept as they are by readiness events', () => {
    for (const name of ['unavailable', 'sim-locked', 'recovering', 'failed'] as const) {
      const s = { ...ready, name, init: null };
      expect(run(s, { type: 'registration', tech: 'CREG', status: 'home' }).state.name, name).toBe(name);
      expect(run(s, { type: 'sms-ready', ready: true }).state.name, name).toBe(name);
      expect(run(s, { type: 'unresponsive', reason: 'x' }).state, name).toBe(s);
    }
    expect(run({ ...ready, name: 'off' }, { type: 'unresponsive', reason: 'x' }).state.name).toBe('off');
  });

  it('reasons and counters: rebooted (line), initialisation failed: ..., registration <status>; ladder generations move on', () => {
    const r = run(ready, { type: 'boot-urc', line: '^SYSSTART', at: 50_000, hard: true }).state;
    expect(r).toMatchObject({ reason: 'rebooted (^SYSSTART)', sending: false, ladder: ready.ladder + 1, rung: 0 });
    const f = run(booting, { type: 'init-failed', gen: 1, reason: 'no answer to AT' }).state;
    expect(f).toMatchObject({ reason: 'initialisation failed: no answer to AT', ladder: booting.ladder + 1, sending: false });
    expect(run(ready, { type: 'registration', tech: 'CREG', status: 'denied' }).state.reason).toBe('registration denied');
    // Registration changes that do not lose it leave the reason alone.
    expect(run(ready, { type: 'registration', tech: 'CEREG', status: 'searching' }).state.reason).toBe(ready.reason);
    const stopped = run(ready, { type: 'submit-start' }, { type: 'stop' }).state;
    expect(stopped).toMatchObject({ sending: false, ladder: ready.ladder + 1, init: null, initWanted: null });
    const closed = run(ready, { type: 'submit-start' }, { type: 'port-closed', reason: 'gone' }).state;
    expect(closed).toMatchObject({ sending: false, reason: 'gone', readiness: { sim: false, sms: false, registration: {} } });
    expect(run(base, { type: 'start' }, { type: 'port-missing', reason: 'ENOENT' }).state).toMatchObject({
      reason: 'ENOENT',
      readiness: { sim: false },
    });
    const locked = run(ready, { type: 'sim-locked', reason: 'PUK' }).state;
    expect(locked).toMatchObject({ name: 'sim-locked', reason: 'PUK', readiness: { sim: false, sms: true } });
  });

  it('boot URCs exactly BOOT_SEQUENCE_MS apart are two boots; the time of each is kept', () => {
    const r1 = run(ready, { type: 'boot-urc', line: '+CFUN: 1', at: 100_000 }).state;
    const same = run(r1, { type: 'boot-urc', line: '+CFUN: 1', at: 100_000 + BOOT_SEQUENCE_MS - 1 });
    expect(same.state.lastBootAt).toBe(100_000 + BOOT_SEQUENCE_MS - 1);
    expect(same.effects).toEqual([]);
    expect(run(r1, { type: 'boot-urc', line: '+CFUN: 1', at: 100_000 + BOOT_SEQUENCE_MS }).effects[0]).toMatchObject({ do: 'abort-commands' });
  });

  it('init-done: from booting/sim/registering/recovering to registering (then ready when all is known); a probe only when the SIM is ready and SMS not', () => {
    for (const name of ['booting', 'sim', 'registering', 'recovering'] as const) {
      const s = { ...booting, name, readiness: { sim: true, registration: { CREG: 'home' as const }, sms: true } };
      const r = run(s, { type: 'init-done', gen: 1 });
      expect(r.state.name, name).toBe('ready');
      expect(r.state.reason, name).toBeNull();
      expect(r.effects, name).toEqual([]);
    }
    const noSim = run({ ...booting, readiness: { sim: false, registration: {}, sms: false } }, { type: 'init-done', gen: 1 });
    expect(noSim.effects).toEqual([]);
    expect(run({ ...booting, name: 'sim-locked' }, { type: 'init-done', gen: 1 }).state.name).toBe('sim-locked');
  });

  it('a rung that fails keeps the previous reason when it gives none; retry from failed keeps the reason', () => {
    const rec = run(ready, { type: 'unresponsive', reason: 'no answer' }).state;
    const r2 = run(rec, { type: 'rung-done', ladder: rec.ladder, ok: false });
    expect(r2.state).toMatchObject({ rung: 2, reason: 'no answer' });
    const r3 = run(r2.state, { type: 'rung-done', ladder: rec.ladder, ok: false, reason: 'reopen: ENOENT' });
    expect(r3.state).toMatchObject({ rung: 3, reason: 'reopen: ENOENT' });
    const failed = run(r3.state, { type: 'rung-done', ladder: rec.ladder, ok: false }).state;
    expect(failed).toMatchObject({ name: 'failed', reason: 'reopen: ENOENT' });
    const again = run(failed, { type: 'retry' });
    expect(again.state).toMatchObject({ reason: 'reopen: ENOENT', ladder: failed.ladder + 1 });
    expect(again.effects).toEqual([{ do: 'rung', ladder: failed.ladder + 1, rung: 1 }]);
    expect(run({ ...failed, reason: null }, { type: 'retry' }).state.reason).toBe('trying again');
    expect(run({ ...rec, name: 'ready' }, { type: 'rung-done', ladder: rec.ladder, ok: true }).state.name).toBe('ready');
    const back = run(rec, { type: 'rung-done', ladder: rec.ladder, ok: true }).state;
    expect(back.rung).toBe(0);
  });
});

describe('lifecycle on the wire, fake time (rows of issue 12)', () => {
  let rig: SimRig | null = null;
  inFakeTime(() => {
    const r = rig;
    rig = null;
    return r;
  });

  it('starts: off → booting → registering → ready, with +CREG URCs enabled', async () => {
    rig = simRig();
    const seen: string[] = [];
    rig.modems[0]!.on('state', (s: string) => seen.push(s));
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    expect(seen).toEqual(['booting', 'registering', 'ready']);
    expect(rig.log.map((l) => l.line)).toContain('AT+CREG=2');
  });

  it('row "idle brownout reboot, registered before SMS Ready": nothing is sent before SMS Ready, no +CMS 302, 10/10 delivered', async () => {
    rig = simRig({ faults: { smsReadyDelayMs: 6000 } });
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    const sim = rig.sims[0]!;
    const states: string[] = [];
    rig.modems[0]!.on('state', (st: string) => states.push(st));
    sim.reboot();
    await advance(4000);
    expect(states[0]).toBe('booting');
    // Registered (+CREG: 1 came) but SMS not ready: not ready.
    expect(rig.modems[0]!.state).toBe('registering');
    const results = Array.from({ length: 10 }, (_, i) => deliver(rig!.pool, message(`otp ${i}`)));
    const out = await Promise.all(
      results.map(async (p) => {
        await until(() => sim.accepted.length === 10, 120_000, 100);
        return p;
      }),
    );
    // Each on its first attempt: none was handed back as failed (the old driver failed all ten for good).
    expect(out.map((o) => [o.sent, o.attempts, o.duplicates])).toEqual(Array.from({ length: 10 }, () => [true, 1, 0]));
    expect(sim.stats.notReadyErrors).toBe(0);
    expect(states.slice(-1)).toEqual(['ready']);
  });

  it('row "reboot 5 s into 20 logins, RDY at once": the command in flight ends at once, 20/20 sent, the reboot costs under 5 s', async () => {
    rig = simRig({ sim: { bootMs: 100 } });
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    const t0 = Date.now();
    const all = Promise.all(Array.from({ length: 20 }, (_, i) => deliver(rig!.pool, message(`login ${i}`))));
    await advance(5000);
    const m = rig.modems[0]!;
    expect(m.state).toBe('sending');
    rig.sims[0]!.reboot();
    const left = await until(() => m.state !== 'sending', 1000, 1);
    // RDY arrives 100 ms after the reboot; the submit in flight ends then, not at its timeout.
    expect(left).toBeLessThanOrEqual(200);
    const out = await (async () => {
      await until(() => new Set(rig!.sims[0]!.accepted.map((a) => a.text)).size === 20, 120_000, 50);
      return all;
    })();
    expect(out.every((o) => o.sent)).toBe(true);
    const took = Date.now() - t0;
    // 20 submits of 1.5 s are 30 s; the reboot may cost at most 5 s more (plus the one lost submit).
    expect(took).toBeLessThanOrEqual(30_000 + 5000 + 1500);
    expect(m.counters.reboots).toBe(1);
    const dupes = rig.sims[0]!.accepted.length - 20;
    expect(dupes).toBeLessThanOrEqual(out.reduce((n, o) => n + o.duplicates, 0));
  });

  it('a reboot during initialisation: the old init stops, one new init runs (no init command twice in a row on the line)', async () => {
    rig = simRig({ sim: { bootMs: 200 } });
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    const sim = rig.sims[0]!;
    const tb = Date.now();
    sim.reboot();
    await until(() => rig!.log.some((l) => l.line === 'ATE0' && l.t > tb), 5000, 1, 'init started');
    const mark = rig.log.length;
    sim.reboot();
    await until(() => rig!.modems[0]!.state === 'ready', 20_000, 10);
    const after = rig.log.slice(mark).map((l) => l.line);
    // After the second boot exactly one init ran: each init command once.
    const lastAte0 = after.lastIndexOf('ATE0');
    const tail = after.slice(lastAte0);
    for (const c of ['ATE0', 'AT+CMGF=0', 'AT+CREG=2', 'AT+CPIN?'])
      expect(
        tail.filter((x) => x === c),
        c,
      ).toHaveLength(1);
    expect(rig.modems[0]!.counters.reboots).toBe(2);
  });

  it('row "reboot during recovery": the ladder stops, one init runs, and the modem is ready (not failed)', async () => {
    rig = simRig({ sim: { bootMs: 300 }, faults: { hangClears: 'power' } });
    rig.pool.start();
    const m = rig.modems[0]!;
    await until(() => m.state === 'ready', 10_000);
    const sim = rig.sims[0]!;
    sim.hang();
    const p = deliver(rig.pool, message('during recovery'));
    await until(() => m.state === 'recovering', 20_000, 10);
    const mark = rig.log.length;
    sim.powerCycle();
    // RDY comes 300 ms (bootMs) after the power cycle: the ladder ends there, not at its next rung
    // (the old driver ignored boot URCs while recovering and went on with the ladder).
    const left = await until(() => m.state !== 'recovering', 5000, 1);
    expect(left).toBeLessThanOrEqual(300 + 10);
    await until(() => m.state === 'ready', 20_000, 10);
    expect(
      (
        await (async () => {
          await until(() => sim.accepted.length >= 1, 60_000, 50);
          return p;
        })()
      ).sent,
    ).toBe(true);
    const lines = rig.log.slice(mark).map((l) => l.line);
    expect(lines.filter((l) => l === 'AT+CMGF=0')).toHaveLength(1);
    expect(m.state).not.toBe('failed');
  });

  it('row "device missing at start": unavailable at once (not after 60 s); comes up when the device appears', async () => {
    rig = simRig();
    rig.sims[0]!.present = false;
    rig.pool.start();
    await advance(1);
    expect(rig.modems[0]!.state).toBe('unavailable');
    expect(rig.modems[0]!.lastError).toMatch(/no such device/);
    const t0 = Date.now();
    await expect(rig.pool.send(message('x'))).rejects.toThrow(/no modem ready \(m1 unavailable\)/);
    expect(Date.now() - t0).toBe(0);
    expect(rig.pool.health()).toBe('down');
    rig.sims[0]!.present = true;
    const took = await until(() => rig!.modems[0]!.state === 'ready', 30_000, 10);
    expect(took).toBeLessThan(15_000);
  });

  it('SIM PIN start: the PIN is entered once and the first SMS goes out within seconds, not at a 30 s poll', async () => {
    rig = simRig({ simPin: '4321' });
    rig.pool.start();
    const first = deliver(rig.pool, message('first'));
    const took = await until(() => rig!.sims[0]!.accepted.length === 1, 60_000, 10);
    expect((await first).sent).toBe(true);
    expect(took).toBeLessThan(8000);
    expect(rig.log.filter((l) => l.line.startsWith('AT+CPIN='))).toHaveLength(1);
  });

  it('a wrong SIM PIN stops in sim-locked without a second try', async () => {
    rig = simRig({ simPin: '4321', modemPin: '1111' });
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'sim-locked', 10_000);
    await advance(60_000);
    expect(rig.log.filter((l) => l.line.startsWith('AT+CPIN='))).toHaveLength(1);
    expect(rig.modems[0]!.lastError).toMatch(/refused the configured PIN/);
    expect(rig.modems[0]!.lastError).not.toContain('1111');
  });

  it('a second "SMS Ready" without RDY (autobauding SIM800) is a reboot too', async () => {
    rig = simRig({ profile: profileFor('sim800', { bootUrcs: ['+CFUN: 1', '+CPIN: READY', 'Call Ready', 'SMS Ready'] }) });
    rig.pool.start();
    await until(() => rig!.modems[0]!.state === 'ready', 10_000);
    rig.sims[0]!.reboot();
    await until(() => rig!.modems[0]!.counters.reboots === 1, 10_000, 10);
    await until(() => rig!.modems[0]!.state === 'ready', 20_000, 10);
  });

  it('the device vanishes while ready (USB unplugged): unavailable at once, the command in flight ends, back when it returns', async () => {
    rig = simRig();
    rig.pool.start();
    const m = rig.modems[0]!;
    await until(() => m.state === 'ready', 10_000);
    const p = deliver(rig.pool, message('unplugged'));
    await advance(500);
    rig.sims[0]!.unplug();
    await advance(5);
    expect(m.state).toBe('unavailable');
    rig.sims[0]!.present = true;
    await until(() => m.state === 'ready', 30_000, 10);
    await until(() => rig!.sims[0]!.accepted.length >= 1, 30_000, 10);
    expect((await p).sent).toBe(true);
  });
});

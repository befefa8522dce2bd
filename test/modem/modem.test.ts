import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csqToDbm } from '../../src/modem/modem.js';
import type { SimulatedModem } from '../../src/sim/modem.js';
import { createLogger } from '../../src/util/logger.js';
import { advance, message, settle, simRig, stopRig, until, type SimRig, inFakeTime, type RigOptions } from './rig.js';

describe('modem driver on the wire (fake time): smsc, USSD, status, a modem that answers late', () => {
  let rig: SimRig | null = null;
  inFakeTime(() => {
    const r = rig;
    rig = null;
    return r;
  });

  async function readyRig(o: Parameters<typeof simRig>[0]) {
    rig = simRig(o);
    rig.pool.start();
    await until(() => rig!.modems.every((m) => m.state === 'ready'), 10_000);
    return rig;
  }

  it('smsc: AT+CSCA sets the configured service centre at initialisation; none configured, none set', async () => {
    const r = await readyRig({ smsc: '+4917100000001' });
    expect(r.log.map((l) => l.line)).toContain('AT+CSCA="+4917100000001",145');
    expect(r.sims[0]!.smsc).toBe('+4917100000001');
    await stopRig(r);
    const plain = await readyRig({});
    expect(plain.log.some((l) => l.line.startsWith('AT+CSCA='))).toBe(false);
  });

  it('smsc that is not + and digits never reaches the line', () => {
    expect(() => simRig({ smsc: '+49"\r\nAT+CFUN=0' })).toThrow(/smsc must be \+ and 3-20 digits/);
  });

  it('USSD: AT+CUSD=1,"code",15 and the +CUSD answer; unknown codes and bad input are clear errors', async () => {
    const r = await readyRig({ sim: { ussd: { '*100#': 'Balance 12.34 EUR' } } });
    expect(await settle(r.pool.ussd('*100#'))).toEqual({ modemId: 'm1', answer: 'Balance 12.34 EUR' });
    expect(r.log.map((l) => l.line)).toContain('AT+CUSD=1,"*100#",15');
    await expect(settle(r.pool.ussd('*999#'))).rejects.toThrow(/does not support/);
    await expect(r.pool.ussd('*100#"\r')).rejects.toThrow(/only 0-9/);
    await expect(r.pool.ussd('*100#', 'nope')).rejects.toThrow(/no modem "nope"/);
  });

  it('status shows state, signal, operator, registration and counters', async () => {
    const r = await readyRig({});
    expect(r.modems[0]!.status()).toMatchObject({
      id: 'm1',
      state: 'ready',
      signalDbm: -71,
      operator: 'SimNet',
      registration: 'home',
      sim: true,
      smsReady: true,
      reboots: 0,
    });
    expect(csqToDbm(99)).toBeNull();
    expect(csqToDbm(0)).toBe(-113);
    expect(csqToDbm(31)).toBe(-51);
    // sim800 profile: network time via AT+CLTS; the simulator's clock is the fake one.
    expect(Math.abs((await settle(r.modems[0]!.networkTime()))! - Date.now())).toBeLessThan(2000);
  });

  it('at log level info, state changes are logged, but not the ready/sending flips of every message', async () => {
    const out = new PassThrough();
    const lines: Array<{ msg: string; from?: string; to?: string }> = [];
    out.on('data', (b: Buffer) =>
      lines.push(
        ...b
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { msg: string }),
      ),
    );
    const r = await readyRig({ logger: createLogger({ level: 'info', destination: out }) });
    await settle(r.pool.send(message('one')));
    await settle(r.pool.send(message('two')));
    await advance(10);
    const states = lines.filter((l) => l.msg === 'modem state').map((l) => `${l.from}>${l.to}`);
    expect(states).toContain('registering>ready');
    expect(states.filter((s) => s.includes('sending'))).toEqual([]);
    expect(r.modems[0]!.counters.sent).toBe(2);
  });
  /**
   * A rig whose simulated modem answers the commands `lateMs` picks (by line and how often that
   * line was seen) that many ms late, and everything after them too, as a busy modem does.
   */
  function lateRig(lateMs: (line: string, nth: number) => number, o: RigOptions = {}) {
    const seen = new Map<string, number>();
    const sims: SimulatedModem[] = [];
    const r = simRig({
      ...o,
      sim: {
        onCommand: (line) => {
          const key = line.startsWith('ATS7=') ? 'ATS7' : line;
          const nth = (seen.get(key) ?? 0) + 1;
          seen.set(key, nth);
          r.log.push({ t: Date.now(), modem: 'm1', line });
          const ms = lateMs(key, nth);
          sims[0]!.setFaults({ lateAnswerRate: ms > 0 ? 1 : 0, lateAnswerMs: ms });
        },
      },
    });
    sims.push(r.sims[0]!);
    rig = r;
    const states: string[] = [];
    r.modems[0]!.on('state', (to: string) => states.push(to));
    return { r, modem: r.modems[0]!, states };
  }

  it('an initialisation step answered late is sent again: not the whole initialisation, no recovery ladder', async () => {
    // The default timeout is 2 s: AT+CMEE? answers 2.5 s after it was sent.
    const { r, modem, states } = lateRig((line, nth) => (line === 'AT+CMEE?' && nth === 1 ? 2500 : 0));
    r.pool.start();
    await until(() => modem.state === 'ready', 30_000, 10, 'ready');
    const lines = r.log.map((l) => l.line);
    expect(lines.filter((l) => l === 'AT+CMEE?')).toHaveLength(2);
    // One wake-up AT, no reset, no second run of the steps before AT+CMEE?.
    expect(lines.filter((l) => l === 'AT')).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('AT+CFUN'))).toBe(false);
    expect(states).not.toContain('recovering');
    expect(modem.counters.recoveries).toBe(0);
    // The late answer came; quick answers since have taken the timeouts back to the profile's.
    expect(modem.status()).toMatchObject({ lateAnswers: 1, answerTimeoutMs: 2000 });
    expect(modem.status().droppedLines).toBeGreaterThanOrEqual(2);
  });

  it('a late answer to AT+CREG? ("+CREG: 0,1") is not a registration URC: the modem stays registered and ready', async () => {
    const { r, modem, states } = lateRig((line, nth) => (line === 'AT+CREG?' && nth === 2 ? 2500 : 0), { healthPollMs: 700 });
    r.pool.start();
    await until(() => modem.state === 'ready', 30_000, 10, 'ready');
    // The health poll's AT+CREG? times out; its answer comes 0.5 s later, framed like a URC.
    await advance(6000);
    expect(states.filter((s) => s !== 'ready' && s !== 'sending')).toEqual(['booting', 'registering']);
    expect(modem.registration).toBe('home');
    expect(modem.state).toBe('ready');
    expect(modem.link.stats.lateAnswers).toBe(1);
  });

  it('a health check that meets a late answer, then a resync answered later still: probed again, not taken for a hang', async () => {
    // AT+CSQ of the first poll 2.5 s late; the first resync behind it 6 s later again.
    const { r, modem, states } = lateRig((line, nth) => (line === 'AT+CSQ' && nth === 2 ? 2500 : line === 'ATS7' && nth === 1 ? 6000 : 0), {
      healthPollMs: 700,
    });
    r.pool.start();
    await until(() => modem.state === 'ready', 30_000, 10, 'ready');
    await advance(15_000);
    expect(states).not.toContain('recovering');
    expect(modem.counters.recoveries).toBe(0);
    expect(modem.state).toBe('ready');
    // The probe's AT waited behind the first resync and failed unsent; a second resync, and it went out.
    const lines = r.log.map((l) => l.line);
    expect(lines.filter((l) => l.startsWith('ATS7=') || l === 'AT').slice(1)).toEqual(['ATS7=21S7?', 'ATS7=22S7?', 'AT']);
    expect(modem.link.stats.lateAnswers).toBe(2);
  });
});

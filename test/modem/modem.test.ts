import { describe, expect, it } from 'vitest';
import { csqToDbm } from '../../src/modem/modem.js';
import { settle, simRig, stopRig, until, type SimRig, inFakeTime } from './rig.js';

describe('modem driver: smsc, USSD, status on the wire (fake time)', () => {
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
});

import { describe, expect, it } from 'vitest';
import type { ModemIncoming, ModemStatusReport } from '../../src/modem/modem.js';
import { csqToDbm } from '../../src/modem/modem.js';
import { advance, message, profileFor, settle, simRig, stopRig, until, type SimRig, inFakeTime } from './rig.js';

describe('modem driver: reports, incoming SMS, USSD on the wire (fake time)', () => {
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

  it('+CDS (ds 1, SIM800): the status report PDU is decoded and matched by reference', async () => {
    const r = await readyRig({ sim: { reportDelayMs: 4000 } });
    expect(r.log.map((l) => l.line)).toContain('AT+CNMI=2,1,0,1,0');
    const reports: ModemStatusReport[] = [];
    r.pool.on('report', (x: ModemStatusReport) => reports.push(x));
    const sent = await settle(r.pool.send(message('with report', { statusReport: true })));
    await advance(4100);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ modemId: 'm1', reference: sent.references[0], recipient: '+4917612345678', outcome: 'delivered', status: 0 });
    expect(reports[0]!.dischargeTime - reports[0]!.serviceCentreTime).toBeGreaterThanOrEqual(4000);
    // Without SRR, no report.
    await settle(r.pool.send(message('no report')));
    await advance(5000);
    expect(reports).toHaveLength(1);
  });

  it('+CDSI (ds 2, SIM7600): the stored report is read from "SR" and deleted', async () => {
    const r = await readyRig({ profile: profileFor('sim7600'), sim: { reportDelayMs: 1000, reportStatus: 0x46 } });
    const reports: ModemStatusReport[] = [];
    r.pool.on('report', (x: ModemStatusReport) => reports.push(x));
    await settle(r.pool.send(message('stored report', { statusReport: true })));
    await until(() => reports.length === 1, 10_000, 10);
    expect(reports[0]).toMatchObject({ outcome: 'undelivered', status: 0x46 });
    await until(() => r.sims[0]!.store.get('SR')!.size === 0, 5000, 10);
    const lines = r.log.map((l) => l.line);
    expect(lines).toEqual(expect.arrayContaining(['AT+CPMS="SR"', 'AT+CMGR=0', 'AT+CMGD=0', 'AT+CPMS="SM"']));
  });

  it('+CMTI: an incoming SMS is read, deleted from the SIM and handed over; long ones joined', async () => {
    const r = await readyRig({});
    const got: ModemIncoming[] = [];
    r.pool.on('incoming', (x: ModemIncoming) => got.push(x));
    r.sims[0]!.deliver('+4915112345678', 'Your credit expires on 31.12.');
    r.sims[0]!.deliver('+4915112345678', 'Long: ' + 'x'.repeat(300));
    await until(() => got.length === 2, 10_000, 10);
    expect(got[0]).toMatchObject({ modemId: 'm1', from: '+4915112345678', text: 'Your credit expires on 31.12.' });
    expect(got[1]!.text).toBe('Long: ' + 'x'.repeat(300));
    expect(r.sims[0]!.store.get('SM')!.size).toBe(0);
  });

  it('+CMT (mt 2): routed SMS are decoded straight from the URC', async () => {
    const r = await readyRig({ profile: profileFor('sim800', { cnmi: 'AT+CNMI=2,2,0,1,0' }) });
    const got: ModemIncoming[] = [];
    r.pool.on('incoming', (x: ModemIncoming) => got.push(x));
    r.sims[0]!.deliver('+4915112345678', 'Привет');
    await until(() => got.length === 1, 5000, 10);
    expect(got[0]!.text).toBe('Привет');
    expect(r.log.some((l) => l.line.startsWith('AT+CMGR'))).toBe(false);
  });

  it('a full SIM store never blocks sending', async () => {
    const r = await readyRig({});
    r.sims[0]!.fillStore();
    const sent = await settle(r.pool.send(message('still sent')));
    expect(sent.references).toHaveLength(1);
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

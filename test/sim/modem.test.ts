import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeDeliver } from '../../src/modem/pdu.js';
import { loadProfile } from '../../src/modem/profile.js';
import { createDuplexPair } from '../../src/sim/duplex-pair.js';
import { SimulatedModem } from '../../src/sim/modem.js';

/**
 * The simulated modem's SIM store, byte by byte in fake time: what the driver's tests rely on
 * must be what a real modem does (27.005 3.4, 4.1, 4.2; 23.040 for a full store).
 */

const T = Date.UTC(2026, 11, 4);

describe('simulated SIM store', () => {
  let sim: SimulatedModem;
  let out = '';
  let line: ReturnType<typeof createDuplexPair>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T });
  });
  afterEach(() => {
    sim?.shutdown();
    vi.useRealTimers();
  });

  async function modem(profile = 'sim800', o: { storeSize?: number; redeliverMs?: number } = {}) {
    sim = new SimulatedModem({ id: 's', profile: loadProfile(profile), ...o });
    line = createDuplexPair();
    sim.attach(line.modemSide);
    out = '';
    line.driverSide.on('data', (b: Buffer) => (out += b.toString('latin1')));
    await at('ATE0');
    await at('AT+CMGF=0');
    await at('AT+CNMI=2,1,0,1,0');
  }

  /** One command; resolves with what the modem answered (without the echo: ATE0 is first). */
  async function at(cmd: string): Promise<string[]> {
    out = '';
    line.driverSide.write(`${cmd}\r`);
    await vi.advanceTimersByTimeAsync(5);
    return out.split('\r\n').filter(Boolean);
  }

  async function urcs(ms = 5): Promise<string[]> {
    out = '';
    await vi.advanceTimersByTimeAsync(ms);
    return out.split('\r\n').filter(Boolean);
  }

  it('+CMTI with the index; AT+CMGR shows status then PDU and marks it read; AT+CMGD empties the slot', async () => {
    await modem();
    const pdu = sim.deliver('+4915112345678', 'hello', { t: T })[0]!;
    expect(await urcs()).toEqual(['+CMTI: "SM",1']);
    expect(await at('AT+CMGR=1')).toEqual([`+CMGR: 0,,${pdu.length / 2 - 1}`, pdu, 'OK']);
    expect(await at('AT+CMGR=1')).toEqual([`+CMGR: 1,,${pdu.length / 2 - 1}`, pdu, 'OK']);
    expect(await at('AT+CMGD=1')).toEqual(['OK']);
    expect(await at('AT+CMGR=1')).toEqual(['ERROR']);
    await at('AT+CMEE=1');
    expect(await at('AT+CMGR=1')).toEqual(['+CMS ERROR: 321']);
    // Deleting an empty slot is fine.
    expect(await at('AT+CMGD=1')).toEqual(['OK']);
  });

  it('AT+CMGL lists by status in PDU mode (4: all); listing marks unread ones read; text mode words are refused', async () => {
    await modem('sim7600');
    const [a] = sim.deliver('+491', 'a', { t: T });
    const [b] = sim.deliver('+491', 'b', { t: T });
    await urcs();
    await at('AT+CMGR=1');
    expect(await at('AT+CMGL=0')).toEqual([`+CMGL: 0,0,,${a!.length / 2 - 1}`, a, 'OK']);
    expect(await at('AT+CMGL=4')).toEqual([`+CMGL: 0,1,,${a!.length / 2 - 1}`, a, `+CMGL: 1,1,,${b!.length / 2 - 1}`, b, 'OK']);
    expect(await at('AT+CMGL=0')).toEqual(['OK']);
    await at('AT+CMEE=1');
    expect(await at('AT+CMGL="ALL"')).toEqual(['ERROR']);
    await at('AT+CMGF=1');
    expect(await at('AT+CMGL=4')).toEqual(['+CMS ERROR: 302']);
  });

  it('AT+CPMS="SM" answers used and total; the store survives a reboot', async () => {
    await modem('sim800', { storeSize: 5 });
    sim.deliver('+491', 'x', { t: T });
    expect(await urcs()).toEqual(['+CMTI: "SM",1']);
    expect(await at('AT+CPMS="SM"')).toEqual(['+CPMS: 1,5,1,5', 'OK']);
    sim.reboot();
    await vi.advanceTimersByTimeAsync(2000);
    await at('ATE0');
    expect(await at('AT+CPMS="SM"')).toEqual(['+CPMS: 1,5,1,5', 'OK']);
  });

  it('full: a new SMS is refused and kept by the network; a deletion makes room and it is delivered then', async () => {
    await modem('sim800', { storeSize: 2, redeliverMs: 1000 });
    sim.deliver('+491', 'one', { t: T });
    sim.deliver('+491', 'two', { t: T });
    const [three] = sim.deliver('+491', 'three', { t: T });
    expect(await urcs()).toEqual(['+CMTI: "SM",1', '+CMTI: "SM",2']);
    expect(sim.stats.refusedFull).toBe(1);
    expect(sim.atNetwork).toEqual([three]);
    expect(await at('AT+CMGD=1')).toEqual(['OK']);
    expect(await urcs(900)).toEqual([]);
    expect(await urcs(200)).toEqual(['+CMTI: "SM",1']);
    expect(sim.atNetwork).toEqual([]);
    expect(sim.store.get('SM')!.get(1)!.pdu).toBe(three);
  });

  it('some parts of a long SMS, with a fixed reference; the rest later', async () => {
    await modem();
    const text = 'x'.repeat(200);
    const pdus = sim.deliver('+491', text, { t: T, ref: 9, parts: [2] });
    expect(pdus).toEqual(encodeDeliver({ from: '+491', text, t: T, concatRef: 9 }));
    expect(await urcs()).toEqual(['+CMTI: "SM",1']);
    expect(sim.store.get('SM')!.get(1)!.pdu).toBe(pdus[1]);
    sim.deliver('+491', text, { t: T, ref: 9, parts: [1] });
    expect(await urcs()).toEqual(['+CMTI: "SM",2']);
  });

  it('stored outgoing messages fill the store with their status', async () => {
    await modem('sim800', { storeSize: 3 });
    sim.fillStore(3);
    expect([...sim.store.get('SM')!.values()].map((s) => s.stat)).toEqual([3, 3, 3]);
    expect((await at('AT+CMGL=4')).filter((l) => l.startsWith('+CMGL:'))).toEqual([
      expect.stringMatching(/^\+CMGL: 1,3,,/),
      expect.stringMatching(/^\+CMGL: 2,3,,/),
      expect.stringMatching(/^\+CMGL: 3,3,,/),
    ]);
  });
});

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Modem } from '../../src/modem/modem.js';
import { ModemPool } from '../../src/modem/pool.js';
import { loadProfile, modemProfileSchema } from '../../src/modem/profile.js';
import { StreamTransport } from '../../src/modem/transport.js';
import { createDuplexPair } from '../../src/sim/duplex-pair.js';
import { SimulatedModem } from '../../src/sim/modem.js';
import { Inbox, INBOX_TEXT_MAX } from '../../src/sms/inbox.js';
import { ModemProvider } from '../../src/sms/providers/modem.js';
import type { IncomingSms } from '../../src/sms/provider.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { loadOrCreateSecrets } from '../../src/token/secrets.js';
import { openAuditLog, type AuditLog } from '../../src/util/audit.js';
import { ManualClock, systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/harness.js';

let dir: string;
let store: Store;
let audit: AuditLog;
const clock = new ManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));

const running: Array<{ stop(): Promise<void> | void }> = [];

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  audit?.close();
  await store?.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function open(max = 1000, d = tempDir()): Promise<Inbox> {
  dir = d;
  store = await openStore({ dataDir: dir });
  audit = openAuditLog(dir, { maxBytes: 1 << 20, keep: 1, clock });
  const secrets = loadOrCreateSecrets(dir);
  return new Inbox({ store, clock, logger: silentLogger, audit, encrypt: (s) => secrets.encrypt(s), decrypt: (s) => secrets.decrypt(s), max });
}

const sms = (text: string, over: Partial<IncomingSms> = {}): IncomingSms => ({
  providerId: 'pool',
  modemId: 'm1',
  from: '+491771234567',
  text,
  t: clock.now(),
  ...over,
});

describe('inbox', () => {
  it('keeps the newest sms.inboxMax messages, newest first, across a restart', async () => {
    let inbox = await open(3);
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      await inbox.add(sms(`message ${i}`));
    }
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['message 5', 'message 4', 'message 3']);
    expect(Object.keys(store.data.inbox)).toHaveLength(3);
    expect(inbox.counters).toMatchObject({ received: 5, dropped: 2 });

    await store.close();
    audit.close();
    inbox = await open(3, dir);
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['message 5', 'message 4', 'message 3']);
    await inbox.add(sms('message 6'));
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['message 6', 'message 5', 'message 4']);
  });

  it('pages newest first with count, prev and next', async () => {
    const inbox = await open();
    for (let i = 1; i <= 5; i++) await inbox.add(sms(`m${i}`));
    expect(inbox.list(1, 2)).toMatchObject({ count: 5, current: 1, prev: null, next: 2, messages: [{ text: 'm5' }, { text: 'm4' }] });
    expect(inbox.list(3, 2)).toMatchObject({ current: 3, prev: 2, next: null, messages: [{ text: 'm1' }] });
    expect(inbox.list(9, 2)).toMatchObject({ count: 5, next: null, messages: [] });
  });

  it('stores the text encrypted, and audits each message without its text, sender masked', async () => {
    const inbox = await open();
    const r = await inbox.add(sms('Your credit is 4.20 EUR, valid until 31.12.'));
    expect(r.textEnc).not.toContain('credit');
    await store.close();
    for (const f of readdirSync(dir)) {
      if (f.startsWith('state')) expect(readFileSync(path.join(dir, f), 'utf8')).not.toContain('credit');
    }
    const lines = readFileSync(path.join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ action: 'sms.received', message: r.id, provider: 'pool', modem: 'm1', reason: 'from +49********67, 43 characters' }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('credit');
  });

  it('rejects malformed messages and stores nothing', async () => {
    const inbox = await open();
    const listen = inbox.listener('pool');
    for (const bad of [null, sms('x', { providerId: 'other' }), sms('x', { from: '  ' }), { ...sms('x'), text: 42 }, sms('x', { modemId: '' })]) {
      expect(await listen(bad as IncomingSms)).toBe(false);
    }
    expect(store.data.inbox).toEqual({});
    expect(inbox.counters).toMatchObject({ received: 0, rejected: 5 });
  });

  it('cuts a huge text and strips control characters from the sender; a missing time stamp becomes the arrival time', async () => {
    const inbox = await open();
    await inbox.add(sms('y'.repeat(INBOX_TEXT_MAX + 500), { from: 'Opera\u001b[31mtor', t: Number.NaN }));
    const [m] = inbox.list(1, 1).messages;
    expect(m!.text).toHaveLength(INBOX_TEXT_MAX + '… [truncated]'.length);
    expect(m!.from).toBe('Opera[31mtor');
    expect(m!.t).toBe(clock.now());
  });

  it('the same message offered again (a modem that could not delete it) is acknowledged and kept once, also after a restart', async () => {
    let inbox = await open();
    const listen = inbox.listener('pool');
    expect(await listen(sms('Credit low', { t: 1000 }))).toBe(true);
    expect(await listen(sms('Credit low', { t: 1000, modemId: 'm2' }))).toBe(true);
    expect(inbox.size()).toBe(1);
    expect(inbox.counters).toMatchObject({ received: 1, duplicates: 1 });
    // Another time stamp, text or sender is another message.
    await listen(sms('Credit low', { t: 2000 }));
    await listen(sms('Credit low!', { t: 1000 }));
    await listen(sms('Credit low', { t: 1000, from: '+491770000000' }));
    expect(inbox.size()).toBe(4);
    await store.close();
    audit.close();
    inbox = await open(1000, dir);
    expect(await inbox.listener('pool')(sms('Credit low', { t: 1000 }))).toBe(true);
    expect(inbox.size()).toBe(4);
  });

  it('a message evicted by the bound is no longer recognised: offered again, it is stored again', async () => {
    const inbox = await open(2);
    const listen = inbox.listener('pool');
    await listen(sms('a', { t: 1 }));
    await listen(sms('b', { t: 2 }));
    await listen(sms('c', { t: 3 }));
    expect(await listen(sms('a', { t: 1 }))).toBe(true);
    expect(inbox.list(1, 5).messages.map((m) => m.text)).toEqual(['a', 'c']);
    expect(inbox.counters.duplicates).toBe(0);
  });

  it('a message the store cannot take is refused to the provider (it keeps it on the SIM)', async () => {
    const inbox = await open();
    expect(await inbox.listener('pool')(sms('first'))).toBe(true);
    await store.close();
    expect(await inbox.listener('pool')(sms('second'))).toBe(false);
    expect(inbox.size()).toBe(1);
    expect(inbox.counters.rejected).toBe(1);
  });
});

/**
 * End to end: the real modem driver reads from a simulated SIM over the in-memory line, the
 * provider face passes the inbox's answer back, and the inbox writes to a real store on disk.
 */
describe('received SMS through the modem driver into the inbox on disk', () => {
  const profile = modemProfileSchema.parse({
    ...loadProfile('sim800'),
    bootTimeMs: 400,
    smsReadyTimeoutMs: 1000,
    timeouts: { default: 800, prompt: 800, submit: 2000, network: 1000, cfun: 1000 },
  });

  function simulated(): SimulatedModem {
    const sim = new SimulatedModem({ id: 'hat', profile, submitMs: 20, bootMs: 150 });
    running.push({ stop: () => sim.shutdown() });
    return sim;
  }

  /** A daemon's modem provider on this simulated modem; a second one on the same SIM is the daemon restarted. */
  function driver(sim: SimulatedModem): ModemProvider {
    const transport = new StreamTransport('simulator:hat', () => {
      const { driverSide, modemSide } = createDuplexPair();
      sim.attach(modemSide);
      return driverSide;
    });
    const modem = new Modem({
      id: 'hat',
      profile,
      transport,
      logger: silentLogger,
      clock: systemClock,
      healthPollMs: 500,
      receive: { retryBaseMs: 200, retryMaxMs: 400 },
    });
    const pool = new ModemPool('sim', [modem], { logger: silentLogger, clock: systemClock, startupGraceMs: 10_000 });
    const p = new ModemProvider('sim', 'simulator', pool, false, systemClock);
    running.push(p);
    return p;
  }

  async function waitFor(fn: () => boolean, what: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const onSim = (sim: SimulatedModem) => sim.store.get('SM')!.size;

  it('the store fails: the SMS stays on the SIM; once the store works again it is stored, on disk, and deleted', async () => {
    const sim = simulated();
    let inbox = await open();
    const provider = driver(sim);
    // The daemon's one inbox listener; the store behind it is reopened below.
    let listen = inbox.listener('sim');
    provider.onIncoming((m) => listen(m));
    await provider.start();
    await waitFor(() => provider.available(), 'modem ready');
    // The disk fails: the journal cannot be written.
    await store.close();
    sim.deliver('+491771234567', 'Ihr Guthaben: 4,20 EUR');
    await waitFor(() => inbox.counters.rejected >= 2, 'refused twice');
    expect(onSim(sim)).toBe(1);
    // The store is back (the daemon's store reopened): the next offer is taken and the SIM emptied.
    audit.close();
    inbox = await open(1000, dir);
    listen = inbox.listener('sim');
    await waitFor(() => onSim(sim) === 0, 'deleted from the SIM');
    expect(inbox.list(1, 10).messages).toEqual([
      expect.objectContaining({ from: '+491771234567', text: 'Ihr Guthaben: 4,20 EUR', modem: 'hat', provider: 'sim' }),
    ]);
    await store.close();
    audit.close();
    inbox = await open(1000, dir);
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['Ihr Guthaben: 4,20 EUR']);
  });

  it('the daemon dies after the store committed but before AT+CMGD: the restarted one offers it again, the inbox keeps it once', async () => {
    const sim = simulated();
    let inbox = await open();
    const first = driver(sim);
    const listen = inbox.listener('sim');
    let committed = false;
    first.onIncoming(async (m) => {
      committed = await listen(m);
      // The process dies before it can answer the modem driver.
      return new Promise<boolean>(() => {});
    });
    await first.start();
    await waitFor(() => first.available(), 'modem ready');
    sim.deliver('+491771234567', 'x'.repeat(200));
    await waitFor(() => committed, 'committed');
    await first.stop();
    expect(onSim(sim)).toBe(2);
    await store.close();
    audit.close();
    inbox = await open(1000, dir);
    const second = driver(sim);
    second.onIncoming(inbox.listener('sim'));
    await second.start();
    await waitFor(() => onSim(sim) === 0, 'deleted from the SIM');
    expect(inbox.counters).toMatchObject({ received: 0, duplicates: 1 });
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['x'.repeat(200)]);
  });
});

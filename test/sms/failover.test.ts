import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModemProvider } from '../../src/sms/providers/modem.js';
import { enroll, makeHarness, type Harness } from '../helpers/harness.js';

/** The network took it: `sent`, or already `delivered` once the simulator's status report came. */
const handedOver = (state: string) => state === 'sent' || state === 'delivered';

let h: Harness | null = null;
let gw: Server | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  gw?.closeAllConnections();
  gw?.close();
  gw = null;
});

/** A Kannel-like HTTP gateway on loopback that records what it accepted. */
async function gateway(): Promise<{ url: string; got: Array<{ to: string; text: string }> }> {
  const got: Array<{ to: string; text: string }> = [];
  gw = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    got.push({ to: u.searchParams.get('to')!, text: u.searchParams.get('text')! });
    res.end('0: Accepted for delivery');
  });
  await new Promise<void>((r) => gw!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(gw!.address() as AddressInfo).port}/cgi-bin/sendsms`, got };
}

async function until(fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(simExtra: Record<string, unknown> = {}, token: Record<string, unknown> = {}) {
  const g = await gateway();
  h = await makeHarness(
    {
      token,
      sms: {
        providers: [
          { id: 'hat', type: 'simulator', submitMs: 30, ...simExtra },
          { id: 'kannel', type: 'http', URL: g.url, HTTP_METHOD: 'GET', SMS_PHONENUMBER_KEY: 'to', SMS_TEXT_KEY: 'text', RETURN_SUCCESS: 'Accepted' },
        ],
      },
    },
    { providers: 'from-config' },
  );
  const pool = h.providers[0] as ModemProvider;
  await until(() => pool.available());
  return { g, pool, sim: pool.simulators[0]! };
}

const login = async (user = 'alice') => {
  const r = await h!.call('POST', '/validate/check', { user, pass: '1234' });
  expect(r.body.result.authentication).toBe('CHALLENGE');
  return r.body.detail.transaction_id as string;
};

describe('failover from the modem to the fallback providers', () => {
  it('a healthy modem sends; the fallback never sees the message (no double send)', async () => {
    const { g, pool } = await setup();
    await enroll(h!);
    await login();
    await until(() => Object.values(h!.store.data.outbox).every((m) => handedOver(m.state)));
    expect(Object.values(h!.store.data.outbox)[0]!.provider).toBe('hat');
    expect(g.got).toHaveLength(0);
    expect(pool.modems[0]!.counters.sent).toBe(1);
  });

  it('modem down: the OTP leaves through the HTTP gateway, and the hop is recorded', async () => {
    const { g, pool } = await setup();
    await enroll(h!);
    await pool.modems[0]!.stop();
    const tid = await login();
    await until(() => g.got.length === 1);
    const otp = /(\d{6})/.exec(g.got[0]!.text)![1]!;
    const msg = Object.values(h!.store.data.outbox)[0]!;
    await until(() => handedOver(h!.store.get('outbox', msg.id)!.state));
    const rec = h!.store.get('outbox', msg.id)!;
    expect(rec.provider).toBe('kannel');
    // A modem provider known to be down is passed over without spending an attempt on it.
    expect(rec.hops.map((x) => `${x.provider}:${x.event}`)).toEqual(['kannel:attempt', 'kannel:sent']);
    expect((await h!.call('POST', '/validate/check', { user: 'alice', transaction_id: tid, pass: otp })).body.result.value).toBe(true);
  });

  it('modem hung mid-submit: the unknown outcome stays with the modem (never a second provider), resent once it recovers', async () => {
    const { g, pool, sim } = await setup();
    await enroll(h!);
    const modem = pool.modems[0]!;
    // Accept the message but never answer: the driver cannot know whether it went out.
    sim.setFaults({ ambiguousRate: 1 });
    const tid = await login();
    const id = Object.keys(h!.store.data.outbox)[0]!;
    await until(() => h!.store.get('outbox', id)!.hops.some((x) => x.event === 'ambiguous'));
    sim.setFaults({ ambiguousRate: 0 });
    await until(() => handedOver(h!.store.get('outbox', id)!.state), 15_000);
    const rec = h!.store.get('outbox', id)!;
    expect(rec.provider).toBe('hat');
    // Every copy that reached the network is counted (under load more than one resend can be unknown).
    expect(rec.duplicates).toBeGreaterThanOrEqual(1);
    expect(sim.accepted).toHaveLength(rec.duplicates + 1);
    expect(g.got).toHaveLength(0);
    expect(modem.state).toBe('ready');
    const otp = /(\d{6})/.exec(sim.accepted.at(-1)!.text)![1]!;
    expect((await h!.call('POST', '/validate/check', { user: 'alice', transaction_id: tid, pass: otp })).body.result.value).toBe(true);
  });

  it('overload: when the modem queue would outlast the OTP, messages overflow to the gateway', async () => {
    // 1 s per submit, OTPs valid 10 s: the modem can take a handful; the rest would expire in its queue.
    const { g, pool } = await setup({ submitMs: 1000 }, { challengeValidity: 10 });
    await enroll(h!);
    // 14 messages are 14 s of modem work: they cannot all fit in 10 s, whatever the machine's speed.
    for (let i = 0; i < 13; i++) await enroll(h!, `u${i}`, '1234', `+491700000${String(i).padStart(2, '0')}`);
    await Promise.all([login('alice'), ...Array.from({ length: 13 }, (_, i) => login(`u${i}`))]);
    await until(() => Object.values(h!.store.data.outbox).every((m) => handedOver(m.state)), 25_000);
    const by = Object.values(h!.store.data.outbox).reduce<Record<string, number>>((a, m) => ({ ...a, [m.provider!]: (a[m.provider!] ?? 0) + 1 }), {});
    expect(by.hat ?? 0, JSON.stringify(by)).toBeGreaterThan(0);
    expect(by.kannel ?? 0, JSON.stringify(by)).toBeGreaterThan(0);
    expect(g.got.length).toBe(by.kannel);
    expect(pool.modems[0]!.counters.sent).toBe(by.hat);
    expect(Object.values(h!.store.data.outbox).every((m) => m.duplicates === 0)).toBe(true);
  }, 40_000);
});

import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../helpers/harness.js';

/**
 * End to end through the built-in simulator: the dispatcher submits through the real modem driver
 * to a simulated SIM800; the simulated network's status report (+CDS, an SMS-STATUS-REPORT PDU)
 * comes back through the driver's parser and the provider face, and the outbox record becomes
 * `delivered`. A received SMS (+CMTI, read, deleted) lands in the inbox; USSD goes over the wire.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface SimHandle {
  deliver(from: string, text: string, t?: number): void;
}

async function simulator(extra: Record<string, unknown> = {}) {
  h = await makeHarness(
    { sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 50, reportDelayMs: 100, ...extra }] } },
    { providers: 'from-config' },
  );
  const provider = h.providers[0]!;
  await waitFor(() => (provider.available() ? true : undefined));
  const sims = (provider as unknown as { simulators: SimHandle[] }).simulators;
  return { auth: { Authorization: await h.adminToken() }, sim: sims[0]! };
}

describe('delivery reports, inbox and USSD through the simulator', () => {
  it('a message sent through the simulated modem becomes delivered from its status report', async () => {
    const { auth } = await simulator();
    const q = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'Your login code is 123456' }, { headers: auth });
    const id = q.body.result.value.id as string;
    const v = await waitFor(async () => {
      const r = (await h.call('GET', `/sms/${id}`, undefined, { headers: auth })).body.result.value;
      return r.state === 'delivered' ? r : undefined;
    });
    expect(v.report).toMatchObject({ modem: 'sim', status: 0, parts: [{ outcome: 'delivered', status: 0 }] });
    expect(v.delivered).toBeGreaterThanOrEqual(v.sent - 60);
    await h.core.deps.dispatcher.delivery.drain();
    expect(h.core.deps.dispatcher.delivery.counters).toMatchObject({
      requested: 1,
      delivered: 1,
      reports: expect.objectContaining({ unmatched: 0 }),
    });
  });

  it('a two-part message is delivered once both parts are reported', async () => {
    const { auth } = await simulator();
    const q = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'x'.repeat(200) }, { headers: auth });
    const id = q.body.result.value.id as string;
    const v = await waitFor(async () => {
      const r = (await h.call('GET', `/sms/${id}`, undefined, { headers: auth })).body.result.value;
      return r.state === 'delivered' ? r : undefined;
    });
    expect(v.report.parts).toHaveLength(2);
    expect(v.report.parts.every((p: { outcome: string }) => p.outcome === 'delivered')).toBe(true);
  });

  it('without status reports configured the message stays sent', async () => {
    const { auth } = await simulator({ statusReports: false });
    const q = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'hello' }, { headers: auth });
    const id = q.body.result.value.id as string;
    const v = await waitFor(async () => {
      const r = (await h.call('GET', `/sms/${id}`, undefined, { headers: auth })).body.result.value;
      return r.state === 'sent' ? r : undefined;
    });
    expect(v.report).toBeNull();
  });

  it('an SMS the simulated network delivers to the modem shows in GET /sms/inbox', async () => {
    const { auth, sim } = await simulator();
    sim.deliver('+491771234567', 'Ihr Guthaben: 4,20 EUR');
    const v = await waitFor(async () => {
      const r = (await h.call('GET', '/sms/inbox', undefined, { headers: auth })).body.result.value;
      return r.count === 1 ? r : undefined;
    });
    expect(v.messages[0]).toMatchObject({ from: '+491771234567', text: 'Ihr Guthaben: 4,20 EUR', modem: 'sim', provider: 'sim' });
  });

  it('USSD over the wire: the network answer, and an unknown code refused', async () => {
    const { auth } = await simulator();
    const ok = await h.call('POST', '/modem/sim/ussd', { code: '*100#' }, { headers: auth });
    expect(ok.status).toBe(200);
    expect(ok.body.result.value).toMatchObject({ modem: 'sim', provider: 'sim', answer: 'Your balance is 12.34 EUR, valid until 2027-01-31.' });
    const refused = await h.call('POST', '/modem/sim/ussd', { code: '*999#' }, { headers: auth });
    expect(refused.status).toBe(502);
  });
});

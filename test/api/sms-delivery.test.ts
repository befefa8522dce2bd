import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../helpers/harness.js';
import { ReportingProvider } from '../helpers/reporting-provider.js';
import { ConsoleClient } from './console/client.js';

const X = '+4917612345678';
let h: Harness;
let pool: ReportingProvider;

afterEach(async () => {
  await h?.close();
});

async function setup(raw: Record<string, unknown> = {}) {
  pool = new ReportingProvider('pool', ['m1', 'm2']);
  h = await makeHarness(raw, { providers: [pool] });
  return { Authorization: await h.adminToken() };
}

async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function apiKey(): Promise<Record<string, string>> {
  const secret = await h.core.deps.accounts.addApiKey('privacyidea');
  return { 'X-API-Key': `privacyidea:${secret}` };
}

describe('GET /sms/<id> with delivery reports', () => {
  it('shows sent, then delivered with the handset time and the report status; metrics and /status count it', async () => {
    const auth = await setup();
    const q = await h.call('POST', '/sms/send', { phone: X, text: 'hello' }, { headers: auth });
    const id = q.body.result.value.id as string;
    const sent = await waitFor(async () => {
      const r = await h.call('GET', `/sms/${id}`, undefined, { headers: auth });
      return r.body.result.value.state === 'sent' ? r.body.result.value : undefined;
    });
    expect(sent).toMatchObject({
      delivered: null,
      report: { modem: 'm1', status: null, time: null, parts: [{ reference: 0, outcome: null, status: null, time: null }] },
    });

    const handset = Date.now();
    pool.report({ reference: 0, recipient: X, dischargeTime: handset });
    const v = await waitFor(async () => {
      const r = await h.call('GET', `/sms/${id}`, undefined, { headers: auth });
      return r.body.result.value.state === 'delivered' ? r.body.result.value : undefined;
    });
    await h.core.deps.dispatcher.delivery.drain();
    expect(v).toMatchObject({
      state: 'delivered',
      delivered: handset / 1000,
      report: { status: 0, time: handset / 1000, parts: [{ reference: 0, outcome: 'delivered', status: 0 }] },
    });
    expect(v.hops.at(-1)).toMatchObject({ event: 'report', provider: 'pool' });

    const st = await h.call('GET', '/status', undefined, { headers: auth });
    expect(st.body.result.value.sms).toMatchObject({ sent: 1, delivered: 1, undelivered: 0 });
    expect(st.body.result.value.recent[0]).toMatchObject({ id, state: 'delivered' });

    const m = await h.core.app.request('/metrics');
    const text = await m.text();
    expect(text).toContain('smsotpd_sms_delivery_reports_total{outcome="delivered"} 1');
    expect(text).toContain('smsotpd_sms_reports_requested_total 1');
    expect(text).toContain('smsotpd_sms_delivery_outcomes_total{outcome="delivered"} 1');
    expect(text).toMatch(/smsotpd_sms_queued_to_delivered_seconds_count 1\n/);
  });

  it("the console's overview counts delivered and undelivered messages", async () => {
    const auth = await setup();
    for (const phone of [X, '+4915199988877']) await h.call('POST', '/sms/send', { phone, text: 'hello' }, { headers: auth });
    await pool.waitForSent(2);
    pool.report({ reference: 0, recipient: pool.sent[0]!.msg.to });
    pool.report({ reference: 1, recipient: pool.sent[1]!.msg.to, outcome: 'undelivered', status: 0x46 });
    await waitFor(() =>
      h.core.deps.dispatcher.delivery.counters.delivered + h.core.deps.dispatcher.delivery.counters.undelivered === 2 ? true : undefined,
    );
    const browser = new ConsoleClient(h);
    await browser.login();
    const page = (await browser.get('/')).text;
    expect(page).toMatch(/<span class="l">delivered<\/span><b class="big" id="c-dlv">1<\/b>/);
    expect(page).toMatch(/<span class="l">undelivered<\/span><b class="big" id="c-undlv">1<\/b>/);
  });

  it('an unmatched report shows in the metrics', async () => {
    await setup();
    pool.report({ reference: 42, recipient: X });
    const text = await (await h.core.app.request('/metrics')).text();
    expect(text).toContain('smsotpd_sms_delivery_reports_total{outcome="unmatched"} 1');
  });
});

describe('GET /sms/inbox', () => {
  it('lists received SMS newest first, paged, for an admin', async () => {
    const auth = await setup();
    for (let i = 1; i <= 5; i++) await pool.receive({ from: '+491771234567', text: `credit ${i}`, t: 1_700_000_000_000 + i });
    const r = await h.call('GET', '/sms/inbox', { pagesize: '2' }, { headers: auth });
    expect(r.status).toBe(200);
    const v = r.body.result.value;
    expect(v).toMatchObject({ count: 5, current: 1, prev: null, next: 2 });
    expect(v.messages).toHaveLength(2);
    expect(v.messages[0]).toMatchObject({ t: 1_700_000_000_005, from: '+491771234567', text: 'credit 5', modem: 'm1', provider: 'pool' });
    expect(Object.keys(v.messages[0]).sort()).toEqual(['from', 'id', 'modem', 'provider', 'received', 't', 'text']);
    const last = await h.call('GET', '/sms/inbox', { page: '3', pagesize: '2' }, { headers: auth });
    expect(last.body.result.value.messages.map((m: { text: string }) => m.text)).toEqual(['credit 1']);
    const text = await (await h.core.app.request('/metrics')).text();
    expect(text).toContain('smsotpd_sms_received_total 5');
  });

  it('is bounded by sms.inboxMax', async () => {
    const auth = await setup({ sms: { inboxMax: 2 } });
    for (let i = 1; i <= 4; i++) await pool.receive({ from: 'Operator', text: `notice ${i}` });
    const v = (await h.call('GET', '/sms/inbox', undefined, { headers: auth })).body.result.value;
    expect(v.count).toBe(2);
    expect(v.messages.map((m: { text: string }) => m.text)).toEqual(['notice 4', 'notice 3']);
  });

  it('refuses without credentials, with an API key, and with a page size beyond the cap', async () => {
    const auth = await setup();
    await pool.receive({ from: '+491771234567', text: 'private' });
    const none = await h.call('GET', '/sms/inbox');
    expect(none.status).toBe(401);
    const key = await h.call('GET', '/sms/inbox', undefined, { headers: await apiKey() });
    expect(key.status).toBe(403);
    expect(JSON.stringify(key.body)).not.toContain('private');
    const bad = await h.call('GET', '/sms/inbox', { pagesize: '501' }, { headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.body.result.error.message).toContain("'pagesize' must be between 1 and 500");
    const forged = await h.call('GET', '/sms/inbox', undefined, { headers: { Authorization: `${auth.Authorization}x` } });
    expect(forged.status).toBe(401);
  });

  it('a message id that is literally "inbox" is not a message lookup', async () => {
    const auth = await setup();
    const r = await h.call('GET', '/sms/inbox', undefined, { headers: auth });
    expect(r.body.result.value).toMatchObject({ count: 0, messages: [] });
  });
});

describe('POST /modem/<id>/ussd', () => {
  it("answers with the network's text and audits the call", async () => {
    const auth = await setup();
    pool.ussdScript.set('*100#', 'Your balance is 4.20 EUR');
    const r = await h.call('POST', '/modem/m2/ussd', { code: '*100#' }, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body.result.value).toEqual({ modem: 'm2', provider: 'pool', answer: 'Your balance is 4.20 EUR' });
    expect(pool.ussdCalls).toEqual([{ code: '*100#', modemId: 'm2' }]);
  });

  it('rejects a code outside the USSD alphabet or too long before any modem sees it', async () => {
    const auth = await setup();
    for (const code of ['*100#"\r\nAT+CFUN=0', '*100#;', 'ABC', '', '*'.repeat(33)]) {
      const r = await h.call('POST', '/modem/m1/ussd', { code }, { headers: auth, json: true });
      expect(r.status, code).toBe(400);
    }
    expect(pool.ussdCalls).toEqual([]);
  });

  it('unknown modem is 404 naming the modems there are; a timeout is 504; a refusal 502', async () => {
    const auth = await setup();
    const unknown = await h.call('POST', '/modem/nope/ussd', { code: '*100#' }, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.body.result.error.message).toContain('no modem "nope" (modems: m1, m2)');
    pool.ussdScript.set('*101#', 'hang');
    const slow = await h.call('POST', '/modem/m1/ussd', { code: '*101#', timeout: '1' }, { headers: auth });
    expect(slow.status).toBe(504);
    expect(slow.body.result.error.message).toBe('no USSD answer from modem "m1" within 1 s');
    const refused = await h.call('POST', '/modem/m1/ussd', { code: '*999#' }, { headers: auth });
    expect(refused.status).toBe(502);
    expect(refused.body.result.error.message).toContain('+CUSD: 4');
  });

  it('needs an admin: no credentials or an API key are refused', async () => {
    await setup();
    expect((await h.call('POST', '/modem/m1/ussd', { code: '*100#' })).status).toBe(401);
    expect((await h.call('POST', '/modem/m1/ussd', { code: '*100#' }, { headers: await apiKey() })).status).toBe(401);
    expect(pool.ussdCalls).toEqual([]);
  });
});

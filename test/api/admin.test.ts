import { afterEach, describe, expect, it } from 'vitest';
import { enroll, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('/auth and the admin JWT', () => {
  it('issues a JWT with role admin and exp; wrong credentials are 4031 / 401', async () => {
    h = await makeHarness();
    const jwt = await h.adminToken();
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(payload.role).toBe('admin');
    expect(payload.username).toBe('admin');
    expect(payload.exp - payload.iat).toBe(3600);
    const bad = await h.call('POST', '/auth', { username: 'admin', password: 'wrong password' });
    expect(bad.status).toBe(401);
    expect(bad.body.result.error).toEqual({ code: 4031, message: 'Authentication failure. Wrong credentials' });
    const unknown = await h.call('POST', '/auth', { username: 'nobody', password: 'whatever1' });
    expect(unknown.status).toBe(401);
  });

  it('admin endpoints need the JWT, raw or Bearer, in PI-Authorization or Authorization', async () => {
    h = await makeHarness();
    const jwt = await h.adminToken();
    expect((await h.call('GET', '/token/')).status).toBe(401);
    expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: 'garbage' } })).status).toBe(401);
    expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: jwt } })).status).toBe(200);
    expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: `Bearer ${jwt}` } })).status).toBe(200);
    expect((await h.call('GET', '/token/', undefined, { headers: { 'PI-Authorization': jwt } })).status).toBe(200);
    expect((await h.call('POST', '/validate/triggerchallenge', { user: 'alice' })).status).toBe(401);
  });

  it('a JWT stops working when its admin is deleted', async () => {
    h = await makeHarness();
    const jwt = await h.adminToken();
    await h.core.deps.accounts.removeAdmin('admin');
    expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: jwt } })).status).toBe(401);
  });
});

describe('token administration', () => {
  it('init returns the serial and never the seed; list shows privacyIDEA token dicts', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/user/', { user: 'alice', mobile: '+4917612345678' }, { headers: auth });
    const r = await h.call(
      'POST',
      '/token/init',
      { type: 'sms', user: 'alice', pin: '1234', phone: '+49 176 1234-5678', description: 'desk phone' },
      { headers: auth },
    );
    expect(r.status).toBe(200);
    expect(r.body.result.value).toBe(true);
    expect(Object.keys(r.body.detail).sort()).toEqual(['rollout_state', 'serial', 'threadid']);
    const serial = r.body.detail.serial;
    const rec = h.store.get('tokens', serial)!;
    expect(rec.keyEnc.startsWith('v1:')).toBe(true);
    expect(rec.pinHash).toMatch(/^scrypt\$2048\$10\$1\$/);
    expect(JSON.stringify(h.store.data)).not.toContain('1234"');
    const list = await h.call('GET', '/token/', { user: 'alice' }, { headers: auth });
    expect(list.body.result.value.count).toBe(1);
    const t = list.body.result.value.tokens[0];
    expect(t).toMatchObject({
      serial,
      tokentype: 'sms',
      username: 'alice',
      user_realm: 'default',
      active: true,
      failcount: 0,
      maxfail: 10,
      otplen: 6,
      description: 'desk phone',
    });
    expect(t.info.phone).toBe('+4917612345678');
    expect(list.body.result.value.prev).toBeNull();
    expect(list.body.result.value.next).toBeNull();
  });

  it('init refuses bad input clearly and stores nothing', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/user/', { user: 'alice', mobile: '+4917612345678' }, { headers: auth });
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ pin: '1', type: 'totp', user: 'alice', phone: '+4917612345678' }, /not supported/],
      [{ pin: '1', type: 'sms', user: 'alice' }, /Missing parameter: 'phone'/],
      [{ pin: '1', type: 'sms', user: 'alice', phone: '+49abc' }, /Invalid phone/],
      [{ pin: '1', type: 'sms', user: 'alice', phone: '+4917612345678\r\nAT+CFUN=0' }, /Invalid phone/],
      [{ pin: '1', type: 'sms', user: 'alice', phone: '+4917612345678', otplen: '7' }, /between 6 and 8|must be 6 or 8/],
      [{ pin: '1', type: 'sms', user: 'alice', phone: '+4917612345678', genkey: '1', otpkey: 'aa'.repeat(20) }, /either specify genkey or otpkey/],
      [{ type: 'sms', user: 'nobody', phone: '+4917612345678', pin: '1' }, /can not be found/],
      [{ type: 'sms', user: 'alice', phone: '+4917612345678' }, /Missing parameter: 'pin' \(a token without a PIN needs nopin=1\)/],
      [{ type: 'sms', user: 'alice', phone: '+4917612345678', pin: '1', nopin: '1' }, /either a PIN or nopin=1/],
      [{ pin: '1', type: 'sms', user: 'alice', phone: '+4917612345678', description: 'x'.repeat(81) }, /description/],
      [{ pin: '1', type: 'sms', user: 'alice', phone: '+4917612345678', serial: 'bad serial!' }, /Invalid serial/],
    ];
    for (const [params, msg] of bad) {
      const r = await h.call('POST', '/token/init', params, { headers: auth });
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(r.body.result.error.message).toMatch(msg);
    }
    expect(Object.keys(h.store.data.tokens)).toHaveLength(0);
  });

  it('an admin-given otpkey (migration from privacyIDEA) produces RFC 4226 values', async () => {
    h = await makeHarness({ sms: { text: '{otp}' } });
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/user/', { user: 'alice' }, { headers: auth });
    const seed = Buffer.from('12345678901234567890').toString('hex');
    await h.call('POST', '/token/init', { type: 'sms', user: 'alice', pin: '1', phone: '+4917612345678', otpkey: seed }, { headers: auth });
    await h.call('POST', '/validate/check', { user: 'alice', pass: '1' });
    await h.sms.waitForSent(1);
    // The first challenge uses counter 1 (privacyIDEA advances the counter before sending).
    expect(h.sms.sent[0]!.text).toBe('287082');
  });

  it('delete, setpin, and 404 for an unknown serial', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const auth = { Authorization: await h.adminToken() };
    expect((await h.call('POST', `/token/setpin/${serial}`, { otppin: '4321' }, { headers: auth })).body.result.value).toBe(1);
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' })).body.detail.message).toBe('wrong otp pin');
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '4321' })).body.result.authentication).toBe('CHALLENGE');
    expect((await h.call('DELETE', `/token/${serial}`, undefined, { headers: auth })).body.result.value).toBe(1);
    const gone = await h.call('DELETE', `/token/${serial}`, undefined, { headers: auth });
    expect(gone.status).toBe(404);
    expect(gone.body.result.error.code).toBe(601);
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '4321' })).body.detail.message).toBe('The user has no tokens assigned');
  });

  it('triggerchallenge sends the SMS without the PIN and answers the number of challenges', async () => {
    h = await makeHarness();
    await enroll(h);
    const r = await h.call('POST', '/validate/triggerchallenge', { user: 'alice' }, { headers: { Authorization: await h.adminToken() } });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(2);
    expect(r.body.result).toEqual({ status: true, value: 1, authentication: 'CHALLENGE' });
    expect(r.body.detail.transaction_id).toMatch(/^\d{20}$/);
    await h.sms.waitForSent(1);
  });
});

describe('users (contract 5)', () => {
  it('POST, GET, DELETE /user/; deleting a user deletes its tokens', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const auth = { Authorization: await h.adminToken() };
    const list = await h.call('GET', '/user/', undefined, { headers: auth });
    expect(list.body.result.value).toEqual([expect.objectContaining({ username: 'alice', realm: 'default', mobile: '+4917612345678' })]);
    expect((await h.call('POST', '/user/', { user: 'bad user!' }, { headers: auth })).status).toBe(400);
    expect((await h.call('POST', '/user/', { user: 'x', mobile: '12ab' }, { headers: auth })).status).toBe(400);
    expect((await h.call('DELETE', '/user/alice', undefined, { headers: auth })).body.result.value).toBe(true);
    expect(h.store.get('tokens', serial)).toBeUndefined();
    expect((await h.call('DELETE', '/user/alice', undefined, { headers: auth })).status).toBe(400);
    expect((await h.call('GET', '/user/')).status).toBe(401);
  });

  it('bulk import is all or nothing', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken(), 'content-type': 'application/json' };
    const bad = await h.core.app.request('/user/import', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        users: [
          { user: 'a', mobile: '+491' + '1'.repeat(8) },
          { user: 'b', mobile: 'nope' },
        ],
      }),
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(h.store.data.users)).toHaveLength(0);
  });
});

describe('gateway role: /sms/send and /sms/<id>', () => {
  it('queues with an API key (header or basic auth) and reports the state; never shows the text', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    const key = (await h.call('POST', '/apikey/', { name: 'pi' }, { headers: auth })).body.result.value.key as string;
    expect(key).toMatch(/^pi:/);
    const r = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'Code 123456' }, { headers: { 'X-API-Key': key } });
    expect(r.status).toBe(200);
    const id = r.body.result.value.id;
    await h.sms.waitForSent(1);
    const basic = `Basic ${Buffer.from(key).toString('base64')}`;
    const s = await h.call('GET', `/sms/${id}`, undefined, { headers: { Authorization: basic } });
    expect(s.body.result.value.state).toBe('sent');
    expect(JSON.stringify(s.body)).not.toContain('123456');
    expect((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'x' }, { headers: { 'X-API-Key': 'pi:wrong' } })).status).toBe(401);
    expect((await h.call('POST', '/sms/send', { phone: 'abc', text: 'x' }, { headers: { 'X-API-Key': key } })).status).toBe(400);
    expect((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'x'.repeat(1531) }, { headers: { 'X-API-Key': key } })).status).toBe(
      400,
    );
    // An API key is not an admin: it cannot enroll tokens.
    expect((await h.call('GET', '/token/', undefined, { headers: { 'X-API-Key': key } })).status).toBe(401);
  });
});

describe('outbox bounds', () => {
  it('a full queue refuses /sms/send with 503 and a challenge with "could not be sent", queuing nothing', async () => {
    h = await makeHarness({ sms: { maxQueued: 10 } });
    h.sms.health = 'down'; // nothing leaves: the queue only fills
    const serial = await enroll(h);
    const auth = { Authorization: await h.adminToken() };
    for (let i = 0; i < 10; i++) {
      expect((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: `m${i}`, validity: '3600' }, { headers: auth })).status).toBe(200);
    }
    const before = Object.keys(h.store.data.outbox).length;
    const full = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'one too many' }, { headers: auth });
    expect(full.status).toBe(503);
    expect(full.body.result.error.message).toMatch(/queue is full \(10 messages/);
    const login = await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    expect(login.body.result.value).toBe(false);
    expect(login.body.detail.message).toBe('The PIN was correct, but the SMS could not be sent!');
    expect(Object.keys(h.store.data.outbox).length).toBe(before);
    expect(h.store.get('tokens', serial)!.challenge).toBeNull();
  });

  it('final messages are kept at most sms.keepFinalMax, the oldest purged first; unsent ones never', async () => {
    h = await makeHarness({ sms: { keepFinalMax: 10 } });
    const auth = { Authorization: await h.adminToken() };
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) {
      ids.push((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: `m${i}` }, { headers: auth })).body.result.value.id);
      await h.sms.waitForSent(i + 1);
      await new Promise((r) => setTimeout(r, 2)); // distinct creation times
    }
    h.sms.health = 'down';
    const waiting = (await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'waiting' }, { headers: auth })).body.result.value.id;
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.core.deps.dispatcher.purgeOld()).toBe(5);
    const left = Object.keys(h.store.data.outbox);
    expect(left).toHaveLength(11);
    expect(left).toContain(waiting);
    for (const id of ids.slice(0, 5)) expect(left).not.toContain(id);
    for (const id of ids.slice(5)) expect(left).toContain(id);
  });
});

describe('health and status', () => {
  it('/healthz answers 200 when started; /status needs an admin', async () => {
    h = await makeHarness();
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    expect((await h.call('GET', '/status')).status).toBe(401);
    const s = await h.call('GET', '/status', undefined, { headers: { Authorization: await h.adminToken() } });
    expect(s.body.result.value.providers[0]).toMatchObject({ id: 'rec', health: 'ready', breaker: { state: 'closed' } });
    expect(s.body.result.value.queue.depth).toBe(0);
  });

  it('unknown endpoints are 404 in the error envelope', async () => {
    h = await makeHarness();
    const r = await h.call('GET', '/nope');
    expect(r.status).toBe(404);
    expect(r.body.result.error.code).toBe(601);
  });
});

describe('metrics', () => {
  it('/metrics exposes requests by endpoint and result, SMS outcomes, queue and store latency', async () => {
    h = await makeHarness();
    // A PIN no metric value can contain by chance (digits alone turn up in CPU and memory figures).
    const pin = 'pinXq';
    await enroll(h, 'alice', pin);
    await h.call('POST', '/validate/check', { user: 'alice', pass: pin });
    await h.call('POST', '/validate/check', { user: 'alice', pass: '0000' });
    await h.sms.waitForSent(1);
    const res = await h.core.app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/smsotpd_validate_results_total\{route="\/validate\/check",result="CHALLENGE"\} 1/);
    expect(text).toMatch(/smsotpd_validate_results_total\{route="\/validate\/check",result="REJECT"\} 1/);
    expect(text).toMatch(/smsotpd_http_requests_total\{method="POST",route="\/validate\/check",status="200"\} 2/);
    expect(text).toMatch(/smsotpd_sms_attempts_total\{provider="rec",outcome="sent"\} 1/);
    expect(text).toMatch(/smsotpd_queue_depth \d+/);
    expect(text).toMatch(/smsotpd_store_commit_seconds_count \d+/);
    expect(text).not.toContain(pin);
  });
});

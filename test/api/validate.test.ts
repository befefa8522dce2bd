import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { enroll, lastOtp, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const check = (params: Record<string, string>, opts?: { json?: boolean; get?: boolean }) =>
  h.call(opts?.get ? 'GET' : 'POST', '/validate/check', params, { json: opts?.json });

const token = (serial: string) => h.store.get('tokens', serial)!;

/** A hand-made request, for bodies the form/JSON helper cannot produce. */
async function raw(url: string, init: RequestInit): Promise<{ status: number; body: any }> {
  const r = await h.core.app.request(url, init);
  return { status: r.status, body: await r.json() };
}

describe('/validate/check: challenge-response as privacyIDEA answers it', () => {
  it('step 1: the PIN alone creates a challenge and queues the SMS', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    expect(serial).toMatch(/^PISM\d{4}[0-9A-F]{4}$/);
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.status).toBe(200);
    expect(r.body.jsonrpc).toBe('2.0');
    expect(r.body.id).toBe(2);
    expect(r.body.versionnumber).toBe('3.13');
    expect(typeof r.body.time).toBe('number');
    expect(r.body.result).toEqual({ status: true, value: false, authentication: 'CHALLENGE' });
    const d = r.body.detail;
    expect(d.transaction_id).toMatch(/^\d{20}$/);
    expect(d.transaction_ids).toEqual([d.transaction_id]);
    expect(d.message).toBe('Enter the OTP from the SMS:');
    expect(d.messages).toEqual(['Enter the OTP from the SMS:']);
    expect(d.serial).toBe(serial);
    expect(d.type).toBe('sms');
    expect(d.client_mode).toBe('interactive');
    expect(d.preferred_client_mode).toBe('interactive');
    expect(d.attributes.valid_until).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(typeof d.threadid).toBe('number');
    expect(d.multi_challenge).toHaveLength(1);
    expect(d.multi_challenge[0]).toMatchObject({
      transaction_id: d.transaction_id,
      serial,
      type: 'sms',
      client_mode: 'interactive',
      message: 'Enter the OTP from the SMS:',
    });
    // The challenge and its SMS are on disk before the answer; the SMS goes out asynchronously.
    const t = token(serial);
    expect(t.challenge?.transactionId).toBe(d.transaction_id);
    expect(h.store.get('outbox', t.challenge!.messageId)).toBeDefined();
    await h.sms.waitForSent(1);
    expect(h.sms.sent[0]!.to).toBe('+4917612345678');
    expect(h.sms.sent[0]!.text).toMatch(/^Your login code is \d{6}$/);
  });

  it('step 2: transaction_id and the OTP from the SMS are accepted once, never replayed', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const c = await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    const otp = lastOtp(h);
    const r = await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: otp });
    expect(r.body.result).toEqual({ status: true, value: true, authentication: 'ACCEPT' });
    expect(r.body.detail.message).toBe('Found matching challenge');
    expect(r.body.detail.serial).toBe(serial);
    expect(r.body.detail.type).toBeUndefined();
    const again = await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: otp });
    expect(again.body.result.value).toBe(false);
    expect(again.body.result.authentication).toBe('REJECT');
    // PIN+OTP with the used OTP is no way around it either.
    const pinOtp = await check({ user: 'alice', pass: `1234${otp}` });
    expect(pinOtp.body.result.value).toBe(false);
  });

  it('`state` is accepted as transaction_id (FreeRADIUS), and GET with a query string works', async () => {
    h = await makeHarness();
    await enroll(h);
    const c = await check({ user: 'alice', pass: '1234' }, { get: true });
    await h.sms.waitForSent(1);
    const r = await check({ user: 'alice', state: c.body.detail.transaction_id, pass: lastOtp(h) }, { get: true });
    expect(r.body.result.value).toBe(true);
  });

  it('JSON bodies are accepted as privacyIDEA accepts them', async () => {
    h = await makeHarness();
    await enroll(h);
    const c = await check({ user: 'alice', pass: '1234' }, { json: true });
    expect(c.body.result.authentication).toBe('CHALLENGE');
    await h.sms.waitForSent(1);
    const r = await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: lastOtp(h) }, { json: true });
    expect(r.body.result.value).toBe(true);
  });

  it('step 2 with a wrong OTP: "Response did not match the challenge." and the failcounter goes up', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const c = await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    const wrong = lastOtp(h) === '000000' ? '111111' : '000000';
    const r = await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: wrong });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ status: true, value: false, authentication: 'REJECT' });
    expect(r.body.detail).toMatchObject({ message: 'Response did not match the challenge.', serial, type: 'sms' });
    expect(token(serial).failCount).toBe(1);
    // The right OTP still works afterwards and resets the failcounter.
    const ok = await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: lastOtp(h) });
    expect(ok.body.result.value).toBe(true);
    expect(token(serial).failCount).toBe(0);
  });

  it('an unknown transaction_id is "wrong otp pin"', async () => {
    h = await makeHarness();
    await enroll(h);
    const r = await check({ user: 'alice', transaction_id: '12345678901234567890', pass: '123456' });
    expect(r.body.result.value).toBe(false);
    expect(r.body.detail.message).toBe('wrong otp pin');
  });

  it('PIN+OTP in one pass: "matching 1 tokens" for an OTP that was sent; "wrong otp value" otherwise', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    const otp = lastOtp(h);
    const bad = await check({ user: 'alice', pass: `1234${otp === '000000' ? '111111' : '000000'}` });
    expect(bad.body.detail).toMatchObject({ message: 'wrong otp value', serial, type: 'sms', otplen: 6 });
    expect(token(serial).failCount).toBe(1);
    const r = await check({ user: 'alice', pass: `1234${otp}` });
    expect(r.body.result).toEqual({ status: true, value: true, authentication: 'ACCEPT' });
    expect(r.body.detail).toMatchObject({ message: 'matching 1 tokens', serial, type: 'sms', otplen: 6 });
  });

  it('PIN after the OTP when prependPin is false', async () => {
    h = await makeHarness({ token: { prependPin: false } });
    await enroll(h);
    await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    expect((await check({ user: 'alice', pass: `${lastOtp(h)}1234` })).body.result.value).toBe(true);
  });

  it('a wrong PIN is "wrong otp pin", sends nothing, and counts (IncFailCountOnFalsePin)', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const r = await check({ user: 'alice', pass: '9999' });
    expect(r.body.result).toEqual({ status: true, value: false, authentication: 'REJECT' });
    expect(r.body.detail.message).toBe('wrong otp pin');
    expect(token(serial).failCount).toBe(1);
    expect(h.sms.attempts).toHaveLength(0);
  });

  it('a wrong PIN does not count when incFailCountOnFalsePin is off', async () => {
    h = await makeHarness({ token: { incFailCountOnFalsePin: false } });
    const serial = await enroll(h);
    await check({ user: 'alice', pass: '9999' });
    expect(token(serial).failCount).toBe(0);
  });

  it('locks at maxFail: "Failcounter exceeded", no SMS; an admin reset unlocks', async () => {
    h = await makeHarness({ token: { maxFail: 3 } });
    const serial = await enroll(h);
    for (let i = 0; i < 5; i++) await check({ user: 'alice', pass: '0000' });
    expect(token(serial).failCount).toBe(3);
    expect(token(serial).failExceededAt).not.toBeNull();
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.body.result.value).toBe(false);
    expect(r.body.detail.message).toBe('Failcounter exceeded');
    expect(h.sms.attempts).toHaveLength(0);
    const reset = await h.call('POST', '/token/reset', { serial }, { headers: { Authorization: await h.adminToken() } });
    expect(reset.body.result.value).toBe(1);
    expect((await check({ user: 'alice', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
  });

  it('failCounterClearTimeout clears a locked token after the timeout', async () => {
    const clock = new ManualClock(Date.now());
    h = await makeHarness({ token: { maxFail: 2, failCounterClearTimeout: 1 } }, { clock });
    const serial = await enroll(h);
    await check({ user: 'alice', pass: '0000' });
    await check({ user: 'alice', pass: '0000' });
    expect((await check({ user: 'alice', pass: '1234' })).body.detail.message).toBe('Failcounter exceeded');
    clock.advance(61_000);
    expect((await check({ user: 'alice', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
    expect(token(serial).failCount).toBe(0);
  });

  it('a disabled token: "No active challenge response token found", no token details (privacyIDEA 3.11)', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const auth = { Authorization: await h.adminToken() };
    expect((await h.call('POST', `/token/disable/${serial}`, {}, { headers: auth })).body.result.value).toBe(1);
    expect((await h.call('POST', '/token/disable', { serial }, { headers: auth })).body.result.value).toBe(0);
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.body.result.value).toBe(false);
    expect(r.body.detail.message).toBe('No active challenge response token found');
    expect(r.body.detail.serial).toBeUndefined();
    expect(r.body.detail.type).toBeUndefined();
    expect((await h.call('POST', '/token/enable', { serial }, { headers: auth })).body.result.value).toBe(1);
    expect((await check({ user: 'alice', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
  });

  it('a known user without tokens: "The user has no tokens assigned"', async () => {
    h = await makeHarness();
    await h.call('POST', '/user/', { user: 'bob', mobile: '+491701234567' }, { headers: { Authorization: await h.adminToken() } });
    const r = await check({ user: 'bob', pass: '1234' });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ status: true, value: false, authentication: 'REJECT' });
    expect(r.body.detail.message).toBe('The user has no tokens assigned');
  });

  it('an unknown user is error 904 with HTTP 400 (FreeRADIUS maps it to NOTFOUND)', async () => {
    h = await makeHarness();
    const r = await check({ user: 'eve', pass: '1234' });
    expect(r.status).toBe(400);
    expect(r.body.result.status).toBe(false);
    expect(r.body.result.error).toEqual({ code: 904, message: 'The user can not be found in any resolver in this realm!' });
    expect(r.body.versionnumber).toBeUndefined();
  });

  it('neither user nor serial: error 905', async () => {
    h = await makeHarness();
    const r = await check({ pass: '1234' });
    expect(r.status).toBe(400);
    expect(r.body.result.error).toEqual({ code: 905, message: 'You need to specify a serial, user or credential_id.' });
  });

  it("checks by serial alone, and refuses a serial that is not the user's", async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    await enroll(h, 'bob', '5678', '+491701234567');
    expect((await check({ serial, pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
    const r = await check({ user: 'bob', serial, pass: '5678' });
    expect(r.status).toBe(400);
    expect(r.body.result.error.message).toBe('Given serial does not belong to given user!');
    expect((await check({ serial: 'NOPE0001', pass: '1234' })).body.detail.message).toBe('No suitable token found for authentication.');
  });

  it('user@realm is split; an unknown realm is part of the login', async () => {
    h = await makeHarness();
    await enroll(h);
    expect((await check({ user: 'alice@default', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
    expect((await check({ user: 'alice@elsewhere', pass: '1234' })).body.result.error.code).toBe(904);
  });
});

describe('decisions that differ from privacyIDEA', () => {
  it('expiry is enforced on every path, PIN+OTP included', async () => {
    const clock = new ManualClock(Date.now());
    h = await makeHarness({ token: { challengeValidity: 60 } }, { clock });
    const serial = await enroll(h);
    const c = await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    clock.advance(61_000);
    const late = await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: lastOtp(h) });
    expect(late.body.result.value).toBe(false);
    expect(late.body.detail.message).toBe('The challenge has expired.');
    // Right but late costs no failcount; PIN+OTP after expiry is refused too.
    expect(token(serial).failCount).toBe(0);
    expect((await check({ user: 'alice', pass: `1234${lastOtp(h)}` })).body.detail.message).toBe('wrong otp value');
  });

  it('blocking window: a second PIN request inside it sends no second SMS and returns the outstanding transaction', async () => {
    const clock = new ManualClock(Date.now());
    h = await makeHarness({}, { clock });
    await enroll(h);
    const a = await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    const b = await check({ user: 'alice', pass: '1234' });
    expect(b.body.detail.transaction_id).toBe(a.body.detail.transaction_id);
    clock.advance(61_000);
    const c = await check({ user: 'alice', pass: '1234' });
    expect(c.body.detail.transaction_id).not.toBe(a.body.detail.transaction_id);
    await h.sms.waitForSent(2);
    expect(h.sms.sent).toHaveLength(2);
    // Only the newest SMS works (privacyIDEA without concurrent challenges).
    const old = await check({ user: 'alice', transaction_id: a.body.detail.transaction_id, pass: '000000' });
    expect(old.body.result.value).toBe(false);
    expect((await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: lastOtp(h) })).body.result.value).toBe(true);
  });

  it('when no provider can deliver: "The PIN was correct, but the SMS could not be sent!" and no challenge', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    h.sms.health = 'down';
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ status: true, value: false, authentication: 'REJECT' });
    expect(r.body.detail).toMatchObject({ message: 'The PIN was correct, but the SMS could not be sent!', multi_challenge: [], transaction_ids: [] });
    expect(token(serial).challenge).toBeNull();
    expect(Object.keys(h.store.data.outbox)).toHaveLength(0);
    const e = await check({ user: 'alice', pass: '1234', exception: '1' });
    expect(e.status).toBe(500);
    expect(e.body.result.error.code).toBe(-500);
  });

  it("dynamic_phone takes the user's mobile at send time", async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/user/', { user: 'carol', mobile: '+491511111111' }, { headers: auth });
    const t = await h.call('POST', '/token/init', { type: 'sms', user: 'carol', pin: '1111', dynamic_phone: '1' }, { headers: auth });
    expect(t.status).toBe(200);
    await h.call('POST', '/user/', { user: 'carol', mobile: '+491522222222' }, { headers: auth });
    await check({ user: 'carol', pass: '1111' });
    await h.sms.waitForSent(1);
    expect(h.sms.sent[0]!.to).toBe('+491522222222');
  });

  it('several tokens of one user share one transaction id and each gets its SMS', async () => {
    h = await makeHarness();
    await enroll(h);
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/token/init', { type: 'sms', user: 'alice', pin: '1234', phone: '+491709999999' }, { headers: auth });
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.body.detail.multi_challenge).toHaveLength(2);
    expect(new Set(r.body.detail.transaction_ids).size).toBe(1);
    await h.sms.waitForSent(2);
    const otp = h.sms.sent.find((m) => m.to === '+491709999999')!.text.match(/\d{6}/)![0];
    expect((await check({ user: 'alice', transaction_id: r.body.detail.transaction_id, pass: otp })).body.result.value).toBe(true);
  });

  it('the SMS limit per token stops SMS bombing with a clear message', async () => {
    const clock = new ManualClock(Date.now());
    h = await makeHarness({ limits: { smsPerWindow: 2, smsWindow: 600 }, token: { blockingWindow: 0 } }, { clock });
    await enroll(h);
    for (let i = 0; i < 2; i++) {
      expect((await check({ user: 'alice', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
      clock.advance(1000);
    }
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.body.result.value).toBe(false);
    expect(r.body.detail.message).toBe('SMS limit reached: at most 2 SMS per 10 minutes for this token.');
    clock.advance(601_000);
    expect((await check({ user: 'alice', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
  });

  it('per-client rate limit on /validate/check answers 429 with Retry-After', async () => {
    h = await makeHarness({ limits: { validatePerSecond: 0.1, validateBurst: 3 } });
    await enroll(h);
    for (let i = 0; i < 3; i++) expect((await check({ user: 'alice', pass: '9999' })).status).toBe(200);
    const r = await check({ user: 'alice', pass: '9999' });
    expect(r.status).toBe(429);
    expect(r.body.result.error.message).toMatch(/^Too many requests from 127\.0\.0\.1/);
  });
});

describe('bad input is an error, not a login attempt, and changes nothing', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, RegExp]> = [
    [
      'duplicated parameter',
      () =>
        raw('/validate/check', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'user=alice&pass=1234&pass=1234',
        }),
      400,
      /given more than once/,
    ],
    [
      'parameter in query and body',
      () =>
        raw('/validate/check?pass=1234', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'user=alice&pass=1234',
        }),
      400,
      /given more than once/,
    ],
    ['oversized pass', () => check({ user: 'alice', pass: '1'.repeat(129) }), 400, /'pass' is too long/],
    ['1 MiB body', () => check({ user: 'alice', pass: '1'.repeat(1 << 20) }), 413, /too large/],
    [
      'non-scalar JSON value',
      () => raw('/validate/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"alice","pass":{"a":1}}' }),
      400,
      /must be a string/,
    ],
    [
      'broken JSON',
      () => raw('/validate/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":' }),
      400,
      /not valid JSON/,
    ],
    [
      'non-UTF-8 form bytes',
      () =>
        raw('/validate/check', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=alice&pass=%FF%FE' }),
      400,
      /not UTF-8/,
    ],
    [
      'unsupported content type',
      () => raw('/validate/check', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' }),
      415,
      /Unsupported content type/,
    ],
    ['user with %', () => check({ user: 'ali%ce', pass: '1234' }), 400, /Invalid user/],
    ['serial with *', () => check({ serial: 'PISM*', pass: '1234' }), 400, /Invalid serial/],
    ['transaction_id and state disagree', () => check({ user: 'alice', transaction_id: '1', state: '2', pass: '123456' }), 400, /differ/],
  ];
  for (const [name, run, status, message] of cases) {
    it(name, async () => {
      h = await makeHarness();
      const serial = await enroll(h);
      const before = JSON.stringify(h.store.data);
      const r = await run();
      expect(r.status).toBe(status);
      expect(r.body.result.status).toBe(false);
      expect(r.body.result.error.message).toMatch(message);
      expect(JSON.stringify(h.store.data)).toBe(before);
      expect(token(serial).failCount).toBe(0);
      expect(h.sms.attempts).toHaveLength(0);
    });
  }
});

/** Issue 13, second table: answers measured against privacyIDEA 3.11.5, one test per difference found. */
import { afterEach, describe, expect, it } from 'vitest';
import { enroll, lastOtp, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});
const check = (p: Record<string, string>) => h.call('POST', '/validate/check', p);

describe('privacyIDEA 3.11.5 answers', () => {
  it('error.message carries no code prefix; the code is in error.code only', async () => {
    h = await makeHarness();
    const r = await h.call('POST', '/auth', { username: 'admin', password: 'wrong password' });
    expect(r.body.result.error).toEqual({ code: 4031, message: 'Authentication failure. Wrong credentials' });
    const p = await check({ pass: '1' });
    expect(p.body.result.error).toEqual({ code: 905, message: 'You need to specify a serial, user or credential_id.' });
  });

  it('a user whose only token is disabled: "No active challenge response token found", no serial or type', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    await h.call('POST', '/token/disable', { serial }, { headers: { Authorization: await h.adminToken() } });
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.body.result).toEqual({ status: true, value: false, authentication: 'REJECT' });
    expect(r.body.detail).toEqual({
      message: 'No active challenge response token found',
      messages: [],
      multi_challenge: [],
      transaction_ids: [],
      threadid: expect.any(Number),
    });
  });

  it('a locked token answers with messages, multi_challenge and transaction_ids', async () => {
    h = await makeHarness({ token: { maxFail: 2 } });
    await enroll(h);
    await check({ user: 'alice', pass: '0000' });
    await check({ user: 'alice', pass: '0000' });
    const r = await check({ user: 'alice', pass: '1234' });
    expect(r.body.detail).toEqual({
      message: 'Failcounter exceeded',
      messages: [],
      multi_challenge: [],
      transaction_ids: [],
      threadid: expect.any(Number),
    });
  });

  it('triggerchallenge for a user without a token carries the empty lists', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/user/', { user: 'bob', mobile: '+4917612345678' }, { headers: auth });
    const r = await h.call('POST', '/validate/triggerchallenge', { user: 'bob' }, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ status: true, value: 0, authentication: 'REJECT' });
    expect(r.body.detail).toEqual({ messages: [], multi_challenge: [], transaction_ids: [], threadid: expect.any(Number) });
  });

  it('a replayed PIN+OTP: "wrong otp value. previous otp used again"', async () => {
    h = await makeHarness();
    await enroll(h);
    await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(1);
    const otp = lastOtp(h);
    expect((await check({ user: 'alice', pass: `1234${otp}` })).body.result.value).toBe(true);
    const again = await check({ user: 'alice', pass: `1234${otp}` });
    expect(again.body.result.value).toBe(false);
    expect(again.body.detail.message).toBe('wrong otp value. previous otp used again');
  });

  it('GET /validate/polltransaction answers false / pending, as privacyIDEA does for SMS tokens', async () => {
    h = await makeHarness();
    await enroll(h);
    const tid = (await check({ user: 'alice', pass: '1234' })).body.detail.transaction_id as string;
    for (const r of [
      await h.call('GET', '/validate/polltransaction', { transaction_id: tid }),
      await h.call('GET', `/validate/polltransaction/${tid}`),
    ]) {
      expect(r.status).toBe(200);
      expect(r.body.result).toEqual({ status: true, value: false, authentication: 'REJECT' });
      expect(r.body.detail.challenge_status).toBe('pending');
    }
    expect((await h.call('GET', '/validate/polltransaction')).status).toBe(400);
  });

  it('a JSON pass that is a number is a 400, and nothing is counted', async () => {
    h = await makeHarness();
    const serial = await enroll(h, 'alice', '1234');
    const r = await h.core.app.request('/validate/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"alice","pass":1234}',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).result.error.message).toBe("Parameter 'pass' must be a string.");
    expect(h.store.get('tokens', serial)!.failCount).toBe(0);
    expect(h.sms.attempts).toHaveLength(0);
    // The PIN 0123 made a number by a client is 123: once read as the wrong PIN "123" and counted.
    const zero = await enroll(h, 'bob', '0123', '+4917612345679');
    const z = await h.core.app.request('/validate/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"bob","pass":123}',
    });
    expect(z.status).toBe(400);
    expect(h.store.get('tokens', zero)!.failCount).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { userKey } from '../../src/token/users.js';
import { makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const mobileOf = (login: string) => h.store.get('users', userKey('default', login))?.mobile;

describe('phone numbers through the API are stored and sent in E.164', () => {
  it('with sms.defaultRegion DE: trunk (0), national and plus-less input all become +49...', async () => {
    h = await makeHarness({ sms: { defaultRegion: 'DE' } });
    const auth = { Authorization: await h.adminToken() };
    for (const [user, mobile] of [
      ['alice', '+49 (0)176 12345678'],
      ['bob', '0176-1234-5678'],
      ['carol', '4917612345678'],
    ] as const) {
      const r = await h.call('POST', '/user/', { user, mobile }, { headers: auth });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(mobileOf(user)).toBe('+4917612345678');
    }
    const t = await h.call('POST', '/token/init', { type: 'sms', user: 'alice', pin: '1234', phone: '0176 1234 5678' }, { headers: auth });
    expect(t.status).toBe(200);
    expect(h.store.get('tokens', t.body.detail.serial)?.phone).toBe('+4917612345678');

    const key = (await h.call('POST', '/apikey/', { name: 'pi' }, { headers: auth })).body.result.value.key as string;
    const s = await h.call('POST', '/sms/send', { phone: '0176/12345678', text: 'Code 123456' }, { headers: { 'X-API-Key': key } });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expect(h.store.get('outbox', s.body.result.value.id)?.to).toBe('+4917612345678');
  });

  it('without a region, a national number is refused with the rule, and nothing is stored', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    const r = await h.call('POST', '/user/', { user: 'alice', mobile: '0176 12345678' }, { headers: auth });
    expect(r.status).toBe(400);
    expect(r.body.result.error.message).toMatch(/Invalid mobile number: a national number \(leading 0\) needs sms\.defaultRegion/);
    expect(mobileOf('alice')).toBeUndefined();
    // International input needs no region.
    expect((await h.call('POST', '/user/', { user: 'alice', mobile: '+49 (0)176 12345678' }, { headers: auth })).status).toBe(200);
    expect(mobileOf('alice')).toBe('+4917612345678');
  });

  it('impossible numbers are refused by name; the old mangling (+49017...) no longer happens', async () => {
    h = await makeHarness({ sms: { defaultRegion: 'DE' } });
    const auth = { Authorization: await h.adminToken() };
    const short = await h.call('POST', '/user/', { user: 'alice', mobile: '+49 1' }, { headers: auth });
    expect(short.status).toBe(400);
    expect(short.body.result.error.message).toMatch(/Invalid mobile number: the number is too short/);
    const cc = await h.call('POST', '/token/init', { type: 'sms', user: 'x', phone: '+999 1234567' }, { headers: auth });
    expect(cc.status).toBe(400);
    const letters = await h.call('POST', '/user/', { user: 'alice', mobile: '0176 CALL ME' }, { headers: auth });
    expect(letters.body.result.error.message).toMatch(/Invalid mobile number: use digits, spaces/);
    expect(mobileOf('alice')).toBeUndefined();
  });
});

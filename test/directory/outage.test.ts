import { describe, expect, it } from 'vitest';
import { ldapResolver, useDirectory } from '../helpers/directory.js';
import { lastOtp, makeHarness } from '../helpers/harness.js';
import { SERVICE_PW, slapdMissing, type Slapd } from '../helpers/slapd.mjs';

/** The directory server stops in the middle of a run, and comes back. */
describe.skipIf(!!slapdMissing)('directory outage', () => {
  /** The realm `corp` of the test slapd; the password checked there (userstore); the look-ups cached `cacheTimeout` s. */
  const config = (s: Slapd, cacheTimeout: number) => ({
    resolvers: { corp: ldapResolver(s, { TIMEOUT: 2, CACHE_TIMEOUT: cacheTimeout }) },
    realms: { corp: { resolvers: ['corp'], otppin: 'userstore' } },
    defaultRealm: 'corp',
  });
  const d = useDirectory({ config: (s) => config(s, 0) });

  it('answers ERR907, counts no failure, shows it in /status, and recovers when the server is back', async () => {
    const auth = { Authorization: await d.h.adminToken() };
    const init = await d.h.call('POST', '/token/init', { type: 'sms', user: 'alice', dynamic_phone: '1' }, { headers: auth });
    expect(init.status).toBe(200);
    const serial = init.body.detail.serial as string;
    const ok1 = await d.h.call('POST', '/validate/check', { user: 'alice', pass: 'alice-pw' });
    expect(ok1.body.result.authentication).toBe('CHALLENGE');

    await d.s.stop();
    const before = d.h.store.get('tokens', serial)!;
    for (const pass of ['alice-pw', 'wrong']) {
      const r = await d.h.call('POST', '/validate/check', { user: 'alice', pass });
      expect(r.status).toBe(400);
      expect(r.body.result.status).toBe(false);
      expect(r.body.result.error.code).toBe(907);
      expect(r.body.result.error.message).toMatch(/user store "corp" could not be reached/);
    }
    const after = d.h.store.get('tokens', serial)!;
    expect(after.failCount).toBe(before.failCount);
    expect(after.countAuth).toBe(before.countAuth);
    const st = await d.h.call('GET', '/status', undefined, { headers: auth });
    const dir = st.body.result.value.directory[0];
    expect(dir.up).toBe(false);
    expect(dir.lastError.message).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(st.body)).not.toContain(SERVICE_PW);
    const metrics = await (await d.h.core.app.request('/metrics')).text();
    expect(metrics).toMatch(/smsotpd_directory_up\{resolver="corp"\} 0/);

    await d.s.start();
    const back = await d.h.call('POST', '/validate/check', { user: 'alice', pass: 'alice-pw' });
    expect(back.body.result.authentication).toBe('CHALLENGE');
    expect(d.h.core.deps.directory.health()[0]!.up).toBe(true);
  });
  it('a user who got the SMS before the directory went down answers from the look-up cache', async () => {
    const h2 = await makeHarness(config(d.s, 120));
    try {
      const init = await h2.call(
        'POST',
        '/token/init',
        { type: 'sms', user: 'bob', dynamic_phone: '1' },
        { headers: { Authorization: await h2.adminToken() } },
      );
      expect(init.status).toBe(200);
      const step1 = await h2.call('POST', '/validate/check', { user: 'bob', pass: 'bob-pw' });
      expect(step1.body.result.authentication).toBe('CHALLENGE');
      await h2.sms.waitForSent(1);
      await d.s.stop();
      const step2 = await h2.call('POST', '/validate/check', { user: 'bob', pass: lastOtp(h2), transaction_id: step1.body.detail.transaction_id });
      expect(step2.body.result.value).toBe(true);
      // A new login needs the password checked by the directory: that one is ERR907.
      const again = await h2.call('POST', '/validate/check', { user: 'bob', pass: 'bob-pw' });
      expect(again.body.result.error.code).toBe(907);
    } finally {
      await d.s.start();
      await h2.close();
    }
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ldapResolver, useDirectory } from '../helpers/directory.js';
import { makeHarness } from '../helpers/harness.js';
import { SERVICE_PW, freePort, slapdMissing } from '../helpers/slapd.mjs';
import { createLogger } from '../../src/util/logger.js';

/** Whatever goes wrong with the directory, no log line carries BINDPW or a user's password. */
describe.skipIf(!!slapdMissing)('directory logs', () => {
  const d = useDirectory();

  it('never carry the service account password or a directory password', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const dead = await freePort();
    const h = await makeHarness(
      {
        log: { level: 'trace' },
        resolvers: {
          corp: ldapResolver(d.s, { LDAPURI: `ldap://127.0.0.1:${dead}, ${d.s.url}`, CACHE_TIMEOUT: 0 }),
        },
        realms: { corp: { resolvers: ['corp'], otppin: 'userstore' } },
      },
      { logger: createLogger({ level: 'trace', destination: sink }) },
    );
    try {
      const auth = { Authorization: await h.adminToken() };
      await h.call('POST', '/token/init', { type: 'sms', user: 'alice', realm: 'corp', dynamic_phone: '1' }, { headers: auth });
      await h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
      await h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'wrong-secret-pw' });
      await d.s.stop(); // connections fail, are retried and logged
      await h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
      await h.call('GET', '/directory/test', { realm: 'corp', user: 'alice' }, { headers: auth });
      await d.s.start();
      await h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
    } finally {
      await h.close();
    }
    const out = lines.join('');
    expect(out).toContain('directory server does not answer');
    expect(out).toContain('directory answers again');
    for (const secret of [SERVICE_PW, 'alice-pw', 'wrong-secret-pw']) expect(out).not.toContain(secret);
  });
});

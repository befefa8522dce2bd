import { describe, expect, it } from 'vitest';
import { Attribute, Change } from 'ldapts';
import { ldapResolver, rootClient, useDirectory } from '../helpers/directory.js';
import { enroll, lastOtp, makeHarness, type Harness } from '../helpers/harness.js';
import { BASE, PEOPLE, SERVICE_PW, slapdMissing, freePort, type Slapd } from '../helpers/slapd.mjs';
import { ManualClock } from '../../src/util/clock.js';
import type { LdapResolver } from '../../src/directory/ldap-resolver.js';

/** A resolver definition for the test slapd, privacyIDEA's option names. */
function resolver(s: Slapd, extra: Record<string, unknown> = {}) {
  return ldapResolver(s, {
    LOGINNAMEATTRIBUTE: 'uid',
    LDAPSEARCHFILTER: '(objectClass=inetOrgPerson)(employeeType=staff)',
    USERINFO: '{"givenname": "givenName", "surname": "sn", "mobile": "mobile", "email": "mail"}',
    TIMEOUT: 3,
    CACHE_TIMEOUT: 120,
    ...extra,
  });
}

function config(s: Slapd, extra: Record<string, unknown> = {}, realm: Record<string, unknown> = {}) {
  return {
    resolvers: { corp: resolver(s, extra) },
    realms: { corp: { resolvers: ['corp'], otppin: 'userstore', ...realm }, mixed: { resolvers: ['local', 'corp'] } },
  };
}

async function initDirectoryToken(h: Harness, user: string, realm = 'corp') {
  const r = await h.call(
    'POST',
    '/token/init',
    { type: 'sms', user, realm, dynamic_phone: '1' },
    { headers: { Authorization: await h.adminToken() } },
  );
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.detail.serial as string;
}

const ldapOf = (h: Harness, name = 'corp') => h.core.deps.directory.ldapResolvers().find((r) => r.name === name) as LdapResolver;

describe.skipIf(!!slapdMissing)(`LDAP realm against a real slapd${slapdMissing ? ` (skipped: ${slapdMissing})` : ''}`, () => {
  const d = useDirectory({ root: true, config: (s) => config(s) });

  it('logs in with the directory password, then the SMS to the first mobile number, normalised', async () => {
    const serial = await initDirectoryToken(d.h, 'alice');
    const step1 = await d.h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
    expect(step1.status).toBe(200);
    expect(step1.body.result.authentication).toBe('CHALLENGE');
    await d.h.sms.waitForSent(1);
    expect(d.h.sms.sent.at(-1)!.to).toBe('+491701111111');
    const step2 = await d.h.call('POST', '/validate/check', {
      user: 'alice@corp',
      pass: lastOtp(d.h),
      transaction_id: step1.body.detail.transaction_id,
    });
    expect(step2.body.result.authentication).toBe('ACCEPT');
    expect(step2.body.detail.serial).toBe(serial);
    // No PIN is stored under userstore.
    expect(d.h.store.get('tokens', serial)!.pinHash).toBeNull();
    // The token is bound to the entryUUID, not the login.
    expect(d.h.store.get('tokens', serial)!.user).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a wrong password is a failed login; an empty one never reaches a bind', async () => {
    const serial = d.h.core.deps.tokenAdmin
      ? (await d.h.call('GET', '/token/', { user: 'alice', realm: 'corp' }, { headers: { Authorization: await d.h.adminToken() } })).body.result.value
          .tokens[0].serial
      : '';
    const before = d.h.store.get('tokens', serial)!.failCount;
    const wrong = await d.h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'not-her-password' });
    expect(wrong.body.result.value).toBe(false);
    expect(wrong.body.result.authentication).toBe('REJECT');
    expect(d.h.store.get('tokens', serial)!.failCount).toBe(before + 1);
    const binds = ldapOf(d.h).counters.binds;
    const empty = await d.h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: '' });
    expect(empty.body.result.authentication).toBe('REJECT');
    expect(ldapOf(d.h).counters.binds).toBe(binds);
    await d.h.call('POST', '/token/reset', { serial }, { headers: { Authorization: await d.h.adminToken() } });
  });

  it('filter metacharacters in the user name never match anything', async () => {
    const directory = d.h.core.deps.directory;
    for (const evil of ['*', '*)(uid=*', 'alice)(uid=*', 'a*', '\\', 'al\\2aice', '*)(|(uid=*', 'alice*']) {
      expect(await directory.find(evil, 'corp'), evil).toBeNull();
      const r = await d.h.call('POST', '/validate/check', { user: evil, realm: 'corp', pass: 'x' });
      expect(r.body.result.error.code, evil).toBe(904);
    }
    // A NUL (or any control character) is refused before any query.
    const searches = ldapOf(d.h).counters.searches;
    for (const evil of ['alice\u0000', 'alice\u0000)(uid=*', '\u0000']) {
      await expect(directory.find(evil, 'corp')).rejects.toMatchObject({ code: 905 });
    }
    expect(ldapOf(d.h).counters.searches).toBe(searches);
    // A literal star in a real name is found as exactly that name.
    const star = await directory.find('a*b', 'corp');
    expect(star?.login).toBe('a*b');
  });

  it('a user outside the base or the filter is unknown; login matching ignores case', async () => {
    const directory = d.h.core.deps.directory;
    expect(await directory.find('eve', 'corp')).toBeNull(); // ou=elsewhere
    expect(await directory.find('robo', 'corp')).toBeNull(); // employeeType=robot
    expect((await directory.find('BOB', 'corp'))?.login).toBe('bob');
    const r = await d.h.call('POST', '/validate/check', { user: 'eve', realm: 'corp', pass: 'eve-pw' });
    expect(r.status).toBe(400);
    expect(r.body.result.error.code).toBe(904);
  });

  it('user@realm and REALM\\user split only at a known realm; the local default realm keeps working', async () => {
    const directory = d.h.core.deps.directory;
    expect(directory.split('alice@corp')).toEqual({ login: 'alice', realm: 'corp' });
    expect(directory.split('CORP\\alice')).toEqual({ login: 'alice', realm: 'corp' });
    expect(directory.split('alice@example.org')).toEqual({ login: 'alice@example.org', realm: 'default' });
    expect(directory.split('alice@corp', 'default')).toEqual({ login: 'alice@corp', realm: 'default' });
    const serial = await enroll(d.h, 'zoe', '9999', '+4917600000001');
    const step1 = await d.h.call('POST', '/validate/check', { user: 'zoe', pass: '9999' });
    expect(step1.body.result.authentication).toBe('CHALLENGE');
    await d.h.sms.waitForSent(2);
    const step2 = await d.h.call('POST', '/validate/check', { user: 'zoe', pass: lastOtp(d.h), transaction_id: step1.body.detail.transaction_id });
    expect(step2.body.detail.serial).toBe(serial);
    expect(step2.body.result.value).toBe(true);
  });

  it('lists the realm users from the directory, paged; directory test shows the mapped attributes', async () => {
    const auth = { Authorization: await d.h.adminToken() };
    const all = await d.h.call('GET', '/user/', { realm: 'corp' }, { headers: auth });
    expect(all.body.result.value.map((u: { username: string }) => u.username)).toEqual(['a*b', 'alice', 'bob', 'carol', 'dave']);
    const page2 = await d.h.call('GET', '/user/', { realm: 'corp', page: '2', pagesize: '2' }, { headers: auth });
    expect(page2.body.result.value.map((u: { username: string }) => u.username)).toEqual(['bob', 'carol']);
    expect(all.body.result.value[1]).toMatchObject({
      username: 'alice',
      resolver: 'corp',
      mobile: '+491701111111',
      givenname: 'Alice',
      editable: false,
    });

    const t = await d.h.call('GET', '/directory/test', { realm: 'corp', user: 'alice' }, { headers: auth });
    expect(t.status).toBe(200);
    const v = t.body.result.value;
    expect(v.resolvers[0]).toMatchObject({ resolver: 'corp', ok: true, uri: d.s.url });
    expect(v.user.found).toBe(true);
    expect(v.user.attributes).toContainEqual({ field: 'mobile', attribute: 'mobile', value: ['+49 170 1111111', '+491702222222'] });
    expect(v.user.filters[0].filter).toBe('(&(objectClass=inetOrgPerson)(employeeType=staff)(uid=alice))');
    const status = await d.h.call('GET', '/status', undefined, { headers: auth });
    expect(status.body.result.value.directory[0]).toMatchObject({ resolver: 'corp', up: true, failover: false });
    expect(JSON.stringify(status.body)).not.toContain(SERVICE_PW);
  });

  it('a rename keeps the tokens: they are bound to the entryUUID', async () => {
    const serial = await initDirectoryToken(d.h, 'bob');
    await d.root.modifyDN(`uid=bob,${PEOPLE}`, 'uid=robert');
    ldapOf(d.h).clearCache();
    const step1 = await d.h.call('POST', '/validate/check', { user: 'robert', realm: 'corp', pass: 'bob-pw' });
    expect(step1.body.result.authentication).toBe('CHALLENGE');
    expect(step1.body.detail.serial).toBe(serial);
    const old = await d.h.call('POST', '/validate/check', { user: 'bob', realm: 'corp', pass: 'bob-pw' });
    expect(old.body.result.error.code).toBe(904);
    // Token lists show the current login; user_id is the entryUUID the token is bound to.
    const list = await d.h.call('GET', '/token/', { serial }, { headers: { Authorization: await d.h.adminToken() } });
    expect(list.body.result.value.tokens[0]).toMatchObject({ username: 'robert', resolver: 'corp', user_realm: 'corp' });
    expect(list.body.result.value.tokens[0].user_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses local users in a directory-only realm, and changes nothing', async () => {
    const auth = { Authorization: await d.h.adminToken() };
    const before = Object.keys(d.h.store.data.users).length;
    const r = await d.h.call('POST', '/user/', { user: 'mallory', realm: 'corp', mobile: '+4917600000009' }, { headers: auth });
    expect(r.status).toBe(400);
    expect(r.body.result.error.message).toMatch(/takes its users from the directory/);
    expect(Object.keys(d.h.store.data.users)).toHaveLength(before);
  });

  it('a realm of the local table and the directory asks them in order', async () => {
    const auth = { Authorization: await d.h.adminToken() };
    expect((await d.h.call('POST', '/user/', { user: 'alice', realm: 'mixed', mobile: '+4917600000042' }, { headers: auth })).status).toBe(200);
    const directory = d.h.core.deps.directory;
    expect(await directory.find('alice', 'mixed')).toMatchObject({ resolver: 'local', mobile: '+4917600000042' });
    // `a*b` is no valid local login, but a directory user of that name is found.
    expect(await directory.find('a*b', 'mixed')).toMatchObject({ resolver: 'corp', login: 'a*b' });
    expect(await directory.find('carol', 'mixed')).toMatchObject({ resolver: 'corp' });
    expect(await directory.find('nobody', 'mixed')).toBeNull();
  });

  it('the console sees the directory realms with their health, and searches them (metacharacters literal)', async () => {
    const realms = d.h.core.deps.realms!;
    expect(realms.list().find((r) => r.name === 'corp')).toMatchObject({ kind: 'directory', resolvers: ['corp'], health: { ok: true } });
    expect((await realms.search!('corp', 'ali', 10)).map((u) => u.login)).toEqual(['alice']);
    expect((await realms.search!('corp', 'Bak', 10)).map((u) => u.login)).toEqual(['robert']); // bob, renamed, is still a Baker
    expect((await realms.search!('corp', '*', 10)).map((u) => u.login)).toEqual(['a*b']);
    expect(await realms.search!('corp', ')(uid=', 10)).toEqual([]);
  });

  it('the metrics name the resolver and say it is up', async () => {
    const text = await (await d.h.core.app.request('/metrics')).text();
    expect(text).toMatch(/smsotpd_directory_up\{resolver="corp"\} 1/);
    expect(text).toMatch(/smsotpd_directory_binds_total\{resolver="corp"\} \d+/);
  });
});

describe.skipIf(!!slapdMissing)('LDAPS, failover and the look-up cache', () => {
  const d = useDirectory();

  it('LDAPS with the site CA file works; a wrong CA is a clear resolver error (ERR907)', async () => {
    const good = await makeHarness(config(d.s, { LDAPURI: d.s.tlsUrl, TLS_CA_FILE: d.s.caFile }));
    try {
      expect((await good.core.deps.directory.find('alice', 'corp'))?.login).toBe('alice');
      const serial = await initDirectoryToken(good, 'alice');
      const ok1 = await good.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
      expect(ok1.body.result.authentication).toBe('CHALLENGE');
      expect(serial).toBeTruthy();
    } finally {
      await good.close();
    }
    const bad = await makeHarness(config(d.s, { LDAPURI: d.s.tlsUrl, TLS_CA_FILE: d.s.otherCaFile }));
    try {
      const r = await bad.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
      expect(r.status).toBe(400);
      expect(r.body.result.status).toBe(false);
      expect(r.body.result.error.code).toBe(907);
      expect(r.body.result.error.message).toMatch(/could not be reached.*(self-signed|certificate)/i);
      expect(bad.core.deps.directory.health()[0]).toMatchObject({ up: false });
    } finally {
      await bad.close();
    }
  });

  it('START_TLS upgrades ldap:// with the site CA; with a wrong CA it fails with ERR907', async () => {
    const good = await makeHarness(config(d.s, { START_TLS: true, TLS_CA_FILE: d.s.caFile }));
    try {
      expect((await good.core.deps.directory.find('bob', 'corp'))?.login).toBe('bob');
      await initDirectoryToken(good, 'bob');
      const r = await good.call('POST', '/validate/check', { user: 'bob', realm: 'corp', pass: 'bob-pw' });
      expect(r.body.result.authentication).toBe('CHALLENGE');
    } finally {
      await good.close();
    }
    const bad = await makeHarness(config(d.s, { START_TLS: 'True', TLS_CA_FILE: d.s.otherCaFile }));
    try {
      await expect(bad.core.deps.directory.find('bob', 'corp')).rejects.toMatchObject({ code: 907 });
    } finally {
      await bad.close();
    }
  });

  it('otppin none: an empty pass sends the SMS, the OTP alone logs in; a non-empty PIN part is refused', async () => {
    const h = await makeHarness(config(d.s, {}, { otppin: 'none' }));
    try {
      const serial = await initDirectoryToken(h, 'carol');
      const withPin = await h.call('POST', '/validate/check', { user: 'carol', realm: 'corp', pass: 'carol-pw' });
      expect(withPin.body.result.value).toBe(false);
      expect(withPin.body.result.authentication).toBe('REJECT');
      const step1 = await h.call('POST', '/validate/check', { user: 'carol', realm: 'corp', pass: '' });
      expect(step1.body.result.authentication).toBe('CHALLENGE');
      await h.sms.waitForSent(1);
      const step2 = await h.call('POST', '/validate/check', {
        user: 'carol',
        realm: 'corp',
        pass: lastOtp(h),
        transaction_id: step1.body.detail.transaction_id,
      });
      expect(step2.body.result.value).toBe(true);
      expect(step2.body.detail.serial).toBe(serial);
      expect(ldapOf(h).counters.binds).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('TLS_VERIFY is on by default: ldaps without the CA fails', async () => {
    const h = await makeHarness(config(d.s, { LDAPURI: d.s.tlsUrl }));
    try {
      await expect(h.core.deps.directory.find('alice', 'corp')).rejects.toMatchObject({ code: 907 });
    } finally {
      await h.close();
    }
  });

  it('fails over to the second URI when the first does not answer', async () => {
    const dead = await freePort();
    const h = await makeHarness(config(d.s, { LDAPURI: `ldap://127.0.0.1:${dead}, ${d.s.url}` }));
    try {
      expect((await h.core.deps.directory.find('carol', 'corp'))?.login).toBe('carol');
      const health = h.core.deps.directory.health()[0]!;
      expect(health).toMatchObject({ up: true, uri: d.s.url, failover: true });
      expect(health.lastError?.message).toContain(`127.0.0.1:${dead}`);
      // The password check fails over as well.
      await initDirectoryToken(h, 'carol');
      const r = await h.call('POST', '/validate/check', { user: 'carol', realm: 'corp', pass: 'carol-pw' });
      expect(r.body.result.authentication).toBe('CHALLENGE');
    } finally {
      await h.close();
    }
  });

  it('caches look-ups for CACHE_TIMEOUT (fake clock), then reads the directory again', async () => {
    const clock = new ManualClock(Date.now());
    const h = await makeHarness(config(d.s, { CACHE_TIMEOUT: 60 }), { clock });
    const root = await rootClient(d.s);
    try {
      const directory = h.core.deps.directory;
      expect((await directory.find('dave', 'corp'))?.mobile).toBeNull();
      const searches = ldapOf(h).counters.searches;
      await root.modify(
        `uid=dave,${PEOPLE}`,
        new Change({ operation: 'add', modification: new Attribute({ type: 'mobile', values: ['0049 170 9999999'] }) }),
      );
      expect((await directory.find('dave', 'corp'))?.mobile).toBeNull();
      expect(ldapOf(h).counters.searches).toBe(searches);
      clock.advance(59_000);
      expect((await directory.find('DAVE', 'corp'))?.mobile).toBeNull();
      clock.advance(2_000);
      expect((await directory.find('dave', 'corp'))?.mobile).toBe('+491709999999'); // E.164, like every number
      expect(ldapOf(h).counters.searches).toBe(searches + 1);
    } finally {
      await root.unbind();
      await h.close();
    }
  });

  it('binds anonymously only when BINDDN is empty, and then sees nothing here (the ACL hides people)', async () => {
    const h = await makeHarness(config(d.s, { BINDDN: '', BINDPW: '' }));
    try {
      expect(await h.core.deps.directory.find('alice', 'corp')).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('a wrong service account password is a resolver error naming BINDDN, never the password', async () => {
    const h = await makeHarness(config(d.s, { BINDPW: 'wrong-secret-xyz' }));
    try {
      const r = await h.call('POST', '/validate/check', { user: 'alice', realm: 'corp', pass: 'alice-pw' });
      expect(r.body.result.error.code).toBe(907);
      expect(r.body.result.error.message).toContain('BINDDN');
      expect(JSON.stringify(r.body)).not.toContain('wrong-secret-xyz');
    } finally {
      await h.close();
    }
  });
});

void BASE;

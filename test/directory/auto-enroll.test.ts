import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Attribute, Change } from 'ldapts';
import { ldapResolver, useDirectory } from '../helpers/directory.js';
import { makeHarness } from '../helpers/harness.js';
import { GROUPS, PEOPLE, slapdMissing } from '../helpers/slapd.mjs';
import { parseConfig } from '../../src/config/load.js';

describe.skipIf(!!slapdMissing)('auto-enrolment of a group', () => {
  const d = useDirectory({
    root: true,
    config: (s) => ({
      resolvers: { corp: ldapResolver(s, { LDAPSEARCHFILTER: '(objectClass=inetOrgPerson)' }) },
      realms: { vpn: { resolvers: ['corp'], otppin: 'userstore', autoEnroll: { group: `cn=vpn-users,${GROUPS}`, every: 900 } } },
    }),
  });
  const sync = async (dryRun: boolean) => {
    const r = await d.h.call(
      'POST',
      '/directory/sync',
      { realm: 'vpn', ...(dryRun ? { dry_run: '1' } : {}) },
      { headers: { Authorization: await d.h.adminToken() } },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.result.value as {
      actions: Array<{ action: string; user: string; serial?: string; reason: string }>;
      members: number;
      dryRun: boolean;
    };
  };
  const tokensOf = () => Object.values(d.h.store.data.tokens).filter((t) => t.realm === 'vpn');
  const summary = (actions: Array<{ action: string; user: string }>) => actions.map((a) => `${a.action} ${a.user}`).sort();

  it('a dry run says what it would do and changes nothing', async () => {
    const r = await sync(true);
    expect(r.dryRun).toBe(true);
    // alice and bob directly, carol through the nested group; dave is in another group.
    expect(summary(r.actions)).toEqual(['enroll alice', 'enroll bob', 'enroll carol']);
    expect(r.members).toBe(3);
    expect(tokensOf()).toHaveLength(0);
  });

  it('enrolls the members without a token: dynamic_phone, no PIN; a second pass does nothing', async () => {
    const r = await sync(false);
    expect(summary(r.actions)).toEqual(['enroll alice', 'enroll bob', 'enroll carol']);
    const tokens = tokensOf();
    expect(tokens).toHaveLength(3);
    for (const t of tokens) {
      expect(t).toMatchObject({ dynamicPhone: true, pinHash: null, active: true, phone: null });
      expect(t.user).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await sync(false)).actions).toEqual([]);
    const audit = readFileSync(path.join(d.h.dir, 'audit.log'), 'utf8');
    expect(audit.match(/"action":"directory sync enroll"/g)).toHaveLength(3);
    // The new token works with the directory password.
    const login = await d.h.call('POST', '/validate/check', { user: 'carol@vpn', pass: 'carol-pw' });
    expect(login.body.result.authentication).toBe('CHALLENGE');
  });

  it('disables (never deletes) the tokens of members who left or vanished; skips members without a mobile', async () => {
    await d.root.modify(`cn=vpn-users,${GROUPS}`, [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [`uid=bob,${PEOPLE}`] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`uid=dave,${PEOPLE}`] }) }),
    ]);
    const carolUid = (await d.h.core.deps.directory.find('carol', 'vpn'))!.uid;
    expect(tokensOf().some((t) => t.user === carolUid)).toBe(true);
    await d.root.del(`uid=carol,${PEOPLE}`);
    const dry = await sync(true);
    // A vanished user is named by the id the token is bound to: the directory no longer knows the login.
    expect(summary(dry.actions)).toEqual(['disable bob', `disable ${carolUid}`, 'skip dave'].sort());
    expect(tokensOf().every((t) => t.active)).toBe(true);
    const r = await sync(false);
    expect(summary(r.actions)).toEqual(['disable bob', `disable ${carolUid}`, 'skip dave'].sort());
    expect(r.actions.find((a) => a.user === 'bob')!.reason).toMatch(/no longer a member/);
    expect(r.actions.find((a) => a.action === 'disable' && a.reason.includes('no longer in the directory'))).toBeTruthy();
    expect(r.actions.find((a) => a.user === 'dave')!.reason).toMatch(/no mobile/);
    const tokens = tokensOf();
    expect(tokens).toHaveLength(3);
    expect(tokens.filter((t) => !t.active)).toHaveLength(2);
    const audit = readFileSync(path.join(d.h.dir, 'audit.log'), 'utf8');
    expect(audit.match(/"action":"directory sync disable"/g)).toHaveLength(2);
    // A disabled member's login is refused.
    const bob = await d.h.call('POST', '/validate/check', { user: 'bob@vpn', pass: 'bob-pw' });
    expect(bob.body.result.value).toBe(false);
  });

  it('a member who returns gets the token auto-enrolment disabled back', async () => {
    await d.root.modify(
      `cn=vpn-users,${GROUPS}`,
      new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`uid=bob,${PEOPLE}`] }) }),
    );
    const r = await sync(false);
    expect(summary(r.actions)).toEqual(['enable bob', 'skip dave']);
    expect(tokensOf().filter((t) => t.active)).toHaveLength(2);
  });

  it('autoEnroll by filter: the members are who the filter (and LDAPSEARCHFILTER) select', async () => {
    const h2 = await makeHarness({
      resolvers: { corp: ldapResolver(d.s, { LDAPSEARCHFILTER: '(objectClass=inetOrgPerson)' }) },
      realms: { robots: { resolvers: ['corp'], otppin: 'none', autoEnroll: { filter: '(employeeType=robot)', every: 900 } } },
    });
    try {
      const r = await h2.core.deps.autoEnroll.sync('robots');
      expect(r.actions.map((a) => `${a.action} ${a.user}`)).toEqual(['enroll robo']);
      expect(r.actions[0]!.reason).toBe('matches the autoEnroll filter');
      expect(Object.values(h2.store.data.tokens)).toHaveLength(1);
    } finally {
      await h2.close();
    }
  });

  it('an unknown group is a clear error and changes nothing', async () => {
    const h2 = await makeHarness({
      resolvers: { corp: ldapResolver(d.s) },
      realms: { vpn: { resolvers: ['corp'], otppin: 'userstore', autoEnroll: { group: `cn=nope,${GROUPS}`, every: 900 } } },
    });
    try {
      const r = await h2.call('POST', '/directory/sync', { realm: 'vpn' }, { headers: { Authorization: await h2.adminToken() } });
      expect(r.status).toBe(400);
      expect(r.body.result.error.message).toMatch(/group cn=nope.* does not exist/);
      expect(Object.keys(h2.store.data.tokens)).toHaveLength(0);
    } finally {
      await h2.close();
    }
  });
});

describe('directory config', () => {
  const base = { resolvers: { corp: { type: 'ldap', LDAPURI: 'ldaps://dc1.corp.example', LDAPBASE: 'dc=corp,dc=example' } } };
  it('refuses userstore with the local table, autoEnroll without a PIN policy, unknown resolvers, "local" as a name', () => {
    expect(() => parseConfig({ ...base, realms: { r: { resolvers: ['local', 'corp'], otppin: 'userstore' } } })).toThrow(
      /userstore.*LDAP resolvers only/,
    );
    expect(() => parseConfig({ ...base, realms: { r: { resolvers: ['corp'], autoEnroll: { group: 'cn=g,dc=corp,dc=example' } } } })).toThrow(
      /no PIN/,
    );
    expect(() => parseConfig({ ...base, realms: { r: { resolvers: ['nope'] } } })).toThrow(/no resolver "nope"/);
    expect(() => parseConfig({ resolvers: { local: base.resolvers.corp } })).toThrow(/built-in local user table/);
    expect(() =>
      parseConfig({ ...base, realms: { r: { resolvers: ['corp'], otppin: 'userstore', autoEnroll: { group: 'cn=g', filter: '(a=b)' } } } }),
    ).toThrow(/either "group"/);
    expect(() => parseConfig({ defaultRealm: 'a', token: { defaultRealm: 'b' } })).toThrow(/disagree/);
  });
  it('takes privacyIDEA booleans and defaults TLS_VERIFY on', () => {
    const c = parseConfig({ resolvers: { corp: { ...base.resolvers.corp, START_TLS: 'True', NOREFERRALS: '1' } } });
    expect(c.resolvers.corp).toMatchObject({
      START_TLS: true,
      NOREFERRALS: true,
      TLS_VERIFY: true,
      CACHE_TIMEOUT: 120,
      TIMEOUT: 5,
      SIZELIMIT: 500,
      UIDTYPE: 'DN',
    });
  });
});

/** AD's attributes on OpenLDAP (a test schema): userAccountControl and a binary objectGUID. */
describe.skipIf(!!slapdMissing)('AD-like accounts: objectGUID ids, userAccountControl disabled', () => {
  const ALICE = '00112233-4455-6677-8899-aabbccddeeff';
  const MALLORY = 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f';
  const d = useDirectory({
    slapd: {
      users: [
        { uid: 'alice', password: 'alice-pw', mobile: ['+491701111111'], uac: 512, guid: ALICE },
        { uid: 'mallory', password: 'mallory-pw', mobile: ['+491702222222'], uac: 514, guid: MALLORY },
      ],
      groups: { 'vpn-users': [`uid=alice,${PEOPLE}`, `uid=mallory,${PEOPLE}`] },
    },
    root: true,
    config: (s) => ({
      resolvers: { ad: ldapResolver(s, { UIDTYPE: 'objectGUID', CACHE_TIMEOUT: 0 }) },
      // walk: OpenLDAP has no in-chain rule (auto would pick inChain for objectGUID).
      realms: { corp: { resolvers: ['ad'], otppin: 'userstore', autoEnroll: { group: `cn=vpn-users,${GROUPS}`, every: 900, nested: 'walk' } } },
    }),
  });

  it('binds tokens to the GUID string, finds the user by its binary value, skips a disabled account, disables a token when the account is disabled', async () => {
    const u = await d.h.core.deps.directory.find('alice', 'corp');
    expect(u).toMatchObject({ uid: ALICE, disabled: false });
    expect((await d.h.core.deps.directory.findById(ALICE, 'corp'))?.login).toBe('alice');
    expect((await d.h.core.deps.directory.find('mallory', 'corp'))?.disabled).toBe(true);

    const first = await d.h.core.deps.autoEnroll.sync('corp');
    expect(first.actions.map((a) => `${a.action} ${a.user}`)).toEqual(['enroll alice']);
    const token = Object.values(d.h.store.data.tokens)[0]!;
    expect(token.user).toBe(ALICE);
    const login = await d.h.call('POST', '/validate/check', { user: 'alice@corp', pass: 'alice-pw' });
    expect(login.body.result.authentication).toBe('CHALLENGE');

    await d.root.modify(
      `uid=alice,${PEOPLE}`,
      new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['514'] }) }),
    );
    const second = await d.h.core.deps.autoEnroll.sync('corp');
    expect(second.actions).toMatchObject([{ action: 'disable', user: 'alice', serial: token.serial, reason: 'account disabled in the directory' }]);
    expect(d.h.store.get('tokens', token.serial)!.active).toBe(false);
  });
});

/**
 * Property: every path that takes a name treats any string as data. Whatever the name
 * (`__proto__`, `constructor`, control characters, 300 characters, an empty string), the answer
 * is a 2xx or a 4xx with the rule; what was created is listed and deletable; no prototype changes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAME_RULES } from '../../src/token/names.js';
import { makeHarness, type Harness } from '../helpers/harness.js';

const builtIns = [
  ...new Set([
    ...Object.getOwnPropertyNames(Object.prototype),
    ...Object.getOwnPropertyNames(Function.prototype),
    '__proto__',
    'prototype',
    'length',
    'name',
  ]),
];
const hostileName = fc.oneof(
  fc.constantFrom(...builtIns),
  fc.constantFrom(...builtIns).map((n) => `${n}@default`),
  fc.stringMatching(/^[A-Za-z0-9._@-]{1,64}$/),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

let h: Harness;
let auth: Record<string, string>;
beforeAll(async () => {
  h = await makeHarness({
    limits: { validatePerSecond: 100_000, validateBurst: 1_000_000 },
    auth: { freeFailures: 1000, blockAfterFailures: 100_000 },
  });
  auth = { Authorization: await h.adminToken() };
});
afterAll(async () => {
  await h.close();
});

const enc = encodeURIComponent;
const ruleMessages = Object.values(NAME_RULES).map((r) => `Invalid ${r.what}: ${r.rule}.`);
const pristine = Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/** 2xx or a 4xx error envelope; a name refusal names its rule. */
function sane(r: { status: number; body: any }, what: string): void {
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
  if (r.status >= 400 && r.body) {
    expect(r.body.result.status).toBe(false);
    const m = r.body.result.error.message as string;
    if (m.startsWith('Invalid ')) expect(ruleMessages, what).toContain(m);
  }
}

function invariants(): void {
  for (const c of ['tokens', 'users', 'admins', 'apikeys', 'outbox', 'meta'] as const) expect(Object.getPrototypeOf(h.store.data[c])).toBeNull();
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(',')).toBe(pristine);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

describe('hostile names on every name-taking path', () => {
  it('admins: create, log in, list, delete', async () => {
    await fc.assert(
      fc.asyncProperty(hostileName, async (name) => {
        const add = await h.call('POST', '/admin', { username: name, password: 'long enough pw' }, { headers: auth });
        sane(add, 'POST /admin');
        const login = await h.call('POST', '/auth', { username: name, password: 'long enough pw', realm: '' });
        sane(login, 'POST /auth');
        const list = (await h.call('GET', '/admin', undefined, { headers: auth })).body.result.value as string[];
        if (add.status === 200 && name !== 'admin') {
          expect(login.status).toBe(200);
          expect(list).toContain(name);
          const del = await h.call('DELETE', `/admin/${enc(name)}`, undefined, { headers: auth });
          if (del.status !== 404) {
            sane(del, 'DELETE /admin');
            expect((await h.call('GET', '/admin', undefined, { headers: auth })).body.result.value).not.toContain(name);
            expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: login.body.result.value.token } })).status).toBe(401);
          }
        } else if (add.status !== 200) {
          expect(list).not.toContain(name);
          expect(login.status).toBe(401);
        }
        invariants();
      }),
      { numRuns: 60 },
    );
  });

  it('API keys: create, use, list, delete', async () => {
    await fc.assert(
      fc.asyncProperty(hostileName, async (name) => {
        const add = await h.call('POST', '/apikey', { name }, { headers: auth });
        sane(add, 'POST /apikey');
        const use = await h.call('GET', '/sms/nonexistent', undefined, { headers: { 'X-API-Key': `${name.replace(/[^\x20-\x7e]/g, '')}:guess` } });
        sane(use, 'X-API-Key');
        if (add.status === 200) {
          expect((await h.call('GET', '/apikey', undefined, { headers: auth })).body.result.value.map((k: { name: string }) => k.name)).toContain(
            name,
          );
          const del = await h.call('DELETE', `/apikey/${enc(name)}`, undefined, { headers: auth });
          if (del.status !== 404) {
            expect(del.body.result.value).toBe(true);
            expect(
              (await h.call('GET', '/apikey', undefined, { headers: auth })).body.result.value.map((k: { name: string }) => k.name),
            ).not.toContain(name);
          }
        }
        invariants();
      }),
      { numRuns: 40 },
    );
  });

  it('users and tokens: create, list, validate, enable/disable/reset/setpin, delete; import', async () => {
    await fc.assert(
      fc.asyncProperty(hostileName, hostileName, async (user, serial) => {
        const u = await h.call('POST', '/user/', { user, mobile: '+4917612345678' }, { headers: auth });
        sane(u, 'POST /user/');
        const imp = await h.call('POST', '/user/import', { users: [{ user }] } as never, { headers: auth, json: true });
        sane(imp, 'POST /user/import');
        sane(await h.call('GET', '/user/', { username: user }, { headers: auth }), 'GET /user/');
        const t = await h.call('POST', '/token/init', { type: 'sms', user, serial, pin: '1234', phone: '+4917612345678' }, { headers: auth });
        sane(t, 'POST /token/init');
        sane(await h.call('GET', '/token/', { serial, user }, { headers: auth }), 'GET /token/');
        sane(await h.call('POST', '/validate/check', { user, pass: '0000' }), 'check user');
        sane(await h.call('POST', '/validate/check', { serial, pass: '0000' }), 'check serial');
        sane(await h.call('POST', '/validate/triggerchallenge', { user }, { headers: auth }), 'triggerchallenge');
        for (const op of ['disable', 'enable', 'reset'])
          sane(await h.call('POST', `/token/${op}/${enc(serial)}`, {}, { headers: auth }), `token ${op}`);
        sane(await h.call('POST', `/token/setpin/${enc(serial)}`, { otppin: '5678' }, { headers: auth }), 'setpin');
        // An empty serial is no serial: one is generated.
        const made = t.status === 200 ? (t.body.detail.serial as string) : serial;
        if (t.status === 200) {
          if (serial !== '') expect(made).toBe(serial);
          expect(h.store.get('tokens', made)?.serial).toBe(made);
          expect((await h.call('GET', '/token/', { serial: made }, { headers: auth })).body.result.value.count).toBe(1);
        }
        sane(await h.call('DELETE', `/token/${enc(made)}`, undefined, { headers: auth }), 'DELETE /token');
        if (t.status === 200) expect(h.store.get('tokens', made)).toBeUndefined();
        const del = await h.call('DELETE', `/user/${enc(user)}`, undefined, { headers: auth });
        sane(del, 'DELETE /user');
        expect((await h.call('GET', '/token/', undefined, { headers: auth })).status).toBe(200);
        invariants();
      }),
      { numRuns: 60 },
    );
  });
});

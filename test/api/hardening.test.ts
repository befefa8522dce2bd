/**
 * Issue 13, first table: one test per finding of the outside attack run. Each failed on the
 * code before the fix (see the commit that added it).
 */
import { createAdaptorServer } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { enroll, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const auditLines = () =>
  readFileSync(path.join(h.dir, 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function raw(url: string, init: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await h.core.app.request(url, init, { incoming: { socket: { remoteAddress: '127.0.0.1' } } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

describe('POST /auth is throttled', () => {
  it('wrong admin passwords: 429 with Retry-After after auth.blockAfterFailures, audited; the right password waits too', async () => {
    h = await makeHarness({ auth: { freeFailures: 9, blockAfterFailures: 10 } });
    await h.core.deps.accounts.addAdmin('admin', 'correct horse battery');
    for (let i = 0; i < 10; i++) expect((await h.call('POST', '/auth', { username: 'admin', password: `guess ${i}xx` })).status).toBe(401);
    const blocked = await raw('/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=admin&password=correct+horse+battery',
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(800);
    expect(blocked.body.result.error.message).toMatch(/^Too many failed authentications \(10\); retry in \d+ s\.$/);
    const throttled = auditLines().filter((e) => e.action === 'POST /auth' && String(e.reason).startsWith('throttled'));
    expect(throttled).toHaveLength(1);
    expect(throttled[0]!.client).toBe('127.0.0.1');
  });

  it('per admin name as well as per address: another address cannot guess the same admin', async () => {
    h = await makeHarness({ auth: { freeFailures: 9, blockAfterFailures: 10 }, trustedProxies: ['127.0.0.1'] });
    await h.core.deps.accounts.addAdmin('admin', 'correct horse battery');
    const from = (ip: string, password: string) => h.call('POST', '/auth', { username: 'admin', password }, { headers: { 'X-Forwarded-For': ip } });
    for (let i = 0; i < 10; i++) await from(`192.0.2.${i}`, `guess ${i}xx`);
    expect((await from('198.51.100.1', 'guess again')).status).toBe(429);
    // Another admin name from a fresh address is unaffected.
    expect(
      (await h.call('POST', '/auth', { username: 'other', password: 'whatever1' }, { headers: { 'X-Forwarded-For': '198.51.100.2' } })).status,
    ).toBe(401);
  });

  it('API-key failures on /sms/send are throttled the same way', async () => {
    h = await makeHarness({ auth: { freeFailures: 9, blockAfterFailures: 10 } });
    const secret = await h.core.deps.accounts.addApiKey('pi');
    for (let i = 0; i < 10; i++) {
      expect((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'x' }, { headers: { 'X-API-Key': `pi:wrong${i}` } })).status).toBe(
        401,
      );
    }
    const r = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'x' }, { headers: { 'X-API-Key': `pi:${secret}` } });
    expect(r.status).toBe(429);
  });

  it('forged or stale JWTs on admin routes count per address', async () => {
    h = await makeHarness({ auth: { freeFailures: 9, blockAfterFailures: 10 } });
    for (let i = 0; i < 10; i++)
      expect((await h.call('GET', '/backup', undefined, { headers: { Authorization: `forged.${i}.jwt` } })).status).toBe(401);
    expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: 'forged.x.jwt' } })).status).toBe(429);
  });
});

describe('names that are built-in object properties are plain names', () => {
  const hostile = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

  it('an admin named __proto__ is listed and deletable; a deleted admin toString keeps no working JWT', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    for (const name of hostile) {
      expect((await h.call('POST', '/admin', { username: name, password: 'long enough pw' }, { headers: auth })).status).toBe(200);
    }
    expect((await h.call('GET', '/admin', undefined, { headers: auth })).body.result.value).toEqual(['admin', ...hostile].sort());
    const jwt = (await h.call('POST', '/auth', { username: 'toString', password: 'long enough pw' })).body.result.value.token;
    expect((await h.call('GET', '/token/', undefined, { headers: { Authorization: jwt } })).status).toBe(200);
    expect((await h.call('DELETE', '/admin/toString', undefined, { headers: auth })).body.result.value).toBe(true);
    expect((await h.call('GET', '/backup', undefined, { headers: { Authorization: jwt } })).status).toBe(401);
    expect((await h.call('DELETE', '/admin/__proto__', undefined, { headers: auth })).body.result.value).toBe(true);
    expect((await h.call('GET', '/admin', undefined, { headers: auth })).body.result.value).not.toContain('__proto__');
    expect(Object.getPrototypeOf(h.store.data.admins)).toBeNull();
  });

  it('POST /token/disable/valueOf is a 404 and writes nothing; GET /token/ stays 200', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    // A real token beside it: the listing sorts by serial, which a record without one broke (500).
    const serial = await enroll(h);
    for (const name of hostile) {
      const r = await h.call('POST', `/token/disable/${name}`, {}, { headers: auth });
      expect([400, 404]).toContain(r.status);
    }
    expect(Object.keys(h.store.data.tokens)).toEqual([serial]);
    const list = await h.call('GET', '/token/', undefined, { headers: auth });
    expect(list.status).toBe(200);
    expect(list.body.result.value.count).toBe(1);
  });

  it('unauthenticated /auth and /validate/check with user constructor: a plain refusal, no 500', async () => {
    h = await makeHarness();
    for (const name of hostile) {
      expect((await h.call('POST', '/auth', { username: name, password: 'whatever1' })).status).toBe(401);
      expect((await h.call('POST', '/validate/check', { user: name, pass: '1234' })).status).toBe(400);
    }
  });
});

describe('limits on every input', () => {
  it('POST /user/import with a 16 MiB body: 413 with a clear error, nothing imported', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    // Within what the import took before (16 MiB, 100,000 rows), so that code read and stored all of it.
    const users = Array.from({ length: 100_000 }, (_, i) => ({
      user: `user${i}`,
      mobile: '+4917612345678',
      givenname: 'G'.repeat(80),
      surname: 'Surname',
    }));
    const body = JSON.stringify({ users });
    expect(body.length).toBeGreaterThan(15 * 1024 * 1024);
    expect(body.length).toBeLessThanOrEqual(16 * 1024 * 1024);
    const r = await raw('/user/import', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    expect(r.status).toBe(413);
    expect(r.body.result.error.message).toBe('Request body too large (at most 4194304 bytes).');
    expect(Object.keys(h.store.data.users)).toHaveLength(0);
  });

  it('an import over the row cap is refused with the count; a row that is not an object is a 400, not a 500', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken(), 'content-type': 'application/json' };
    const many = JSON.stringify({ users: Array.from({ length: 20_001 }, (_, i) => ({ user: `u${i}` })) });
    const r = await raw('/user/import', { method: 'POST', headers: auth, body: many });
    expect(r.status).toBe(400);
    expect(r.body.result.error.message).toBe('At most 20000 users per import (this one has 20001): split the file.');
    const nul = await raw('/user/import', { method: 'POST', headers: auth, body: '{"users":[null]}' });
    expect(nul.status).toBe(400);
    expect(nul.body.result.error.message).toBe('users[0] must be an object.');
  });

  it('a body over the limit is answered 413 and read into nothing: the connection stays open for the next request', async () => {
    h = await makeHarness();
    const server = createAdaptorServer({ fetch: h.core.app.fetch }) as Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      // Cutting the connection after the 413 while the client still writes makes the client's
      // kernel answer with a reset and drop the 413 unread (measured: EPIPE for a 4 MiB chunked
      // body from Node's client). A connection that still answers a second request proves the
      // rest was read, not cut.
      const chunk = 'a'.repeat(16 * 1024);
      const chunked = `${(16 * 1024).toString(16)}\r\n${chunk}\r\n`.repeat(64) + '0\r\n\r\n';
      const declared = 'b'.repeat(1024 * 1024);
      const wire =
        'POST /validate/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n' +
        chunked +
        `POST /validate/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${declared.length}\r\n\r\n` +
        declared +
        'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let got = '';
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => (got += d));
        socket.on('error', reject);
        socket.on('close', () => resolve(got));
        socket.write(wire);
      });
      const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      expect(statuses).toEqual([413, 413, 200]);
      expect(answer).toContain('Request body too large (at most 65536 bytes).');
    } finally {
      server.close();
    }
  });

  it('/sms/send counts encoded parts: a UCS-2 text over 10 parts is refused before it is queued', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    const ucs2 = 'Ж'.repeat(671);
    const r = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: ucs2 }, { headers: auth });
    expect(r.status).toBe(400);
    expect(r.body.result.error.message).toBe("Parameter 'text' needs 11 SMS parts in UCS-2 (at most 10: 670 characters).");
    expect(Object.keys(h.store.data.outbox)).toHaveLength(0);
    expect((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'Ж'.repeat(670) }, { headers: auth })).status).toBe(200);
    expect((await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'a'.repeat(1530) }, { headers: auth })).status).toBe(200);
  });
});

describe('lockout and SMS bombing', () => {
  it('10 wrong PINs lock the token for token.failCounterClearTimeout (default 5 minutes), not until an admin resets it', async () => {
    const clock = new ManualClock(Date.now());
    h = await makeHarness({}, { clock });
    await enroll(h);
    for (let i = 0; i < 10; i++) await h.call('POST', '/validate/check', { user: 'alice', pass: '0000' });
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' })).body.detail.message).toBe('Failcounter exceeded');
    clock.advance(5 * 60_000);
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' })).body.result.authentication).toBe('CHALLENGE');
  });

  it('the SMS limit counts per phone number: two tokens on one number share limits.smsPerWindow', async () => {
    h = await makeHarness({ limits: { smsPerWindow: 3 }, token: { blockingWindow: 0 } });
    await enroll(h, 'alice', '1111', '+4917612345678');
    await enroll(h, 'bob', '2222', '+4917612345678');
    const answers: string[] = [];
    for (let i = 0; i < 2; i++) {
      answers.push((await h.call('POST', '/validate/check', { user: 'alice', pass: '1111' })).body.result.authentication);
      answers.push((await h.call('POST', '/validate/check', { user: 'bob', pass: '2222' })).body.result.authentication);
    }
    expect(answers).toEqual(['CHALLENGE', 'CHALLENGE', 'CHALLENGE', 'REJECT']);
    const last = await h.call('POST', '/validate/check', { user: 'bob', pass: '2222' });
    expect(last.body.detail.message).toBe('SMS limit reached: at most 3 SMS per 15 minutes to this phone number.');
  });

  it('a token without a PIN needs nopin=1; an empty pass triggers only such a token', async () => {
    h = await makeHarness();
    const auth = { Authorization: await h.adminToken() };
    await h.call('POST', '/user/', { user: 'alice', mobile: '+4917612345678' }, { headers: auth });
    const missing = await h.call('POST', '/token/init', { type: 'sms', user: 'alice', phone: '+4917612345678' }, { headers: auth });
    expect(missing.status).toBe(400);
    expect(missing.body.result.error.message).toBe("Missing parameter: 'pin' (a token without a PIN needs nopin=1).");
    // A token stored without a PIN by an older version (no noPin flag) is not triggered by an empty pass.
    const t = await h.call('POST', '/token/init', { type: 'sms', user: 'alice', phone: '+4917612345678', nopin: '1' }, { headers: auth });
    const serial = t.body.detail.serial as string;
    const { noPin: _n, ...legacy } = h.store.get('tokens', serial)!;
    await h.store.commit([{ c: 'tokens', k: serial, v: legacy }]);
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '' })).body.result.authentication).toBe('REJECT');
    expect(h.sms.attempts).toHaveLength(0);
    expect((await h.call('POST', '/token/setpin', { serial, nopin: '1' }, { headers: auth })).status).toBe(200);
    expect((await h.call('POST', '/validate/check', { user: 'alice', pass: '' })).body.result.authentication).toBe('CHALLENGE');
    expect((await h.call('POST', '/token/setpin', { serial, otppin: '' }, { headers: auth })).status).toBe(400);
  });
});

describe('JSON bodies', () => {
  it('a duplicated key is refused like a duplicated form field, and nothing is counted', async () => {
    h = await makeHarness();
    const serial = await enroll(h);
    const r = await raw('/validate/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"alice","pass":"0000","pass":"1234"}',
    });
    expect(r.status).toBe(400);
    expect(r.body.result.error.message).toBe("Parameter 'pass' given more than once.");
    const escaped = await raw('/validate/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"alice","pass":"1234","p\\u0061ss":"0"}',
    });
    expect(escaped.status).toBe(400);
    expect(h.store.get('tokens', serial)!.failCount).toBe(0);
    expect(h.sms.attempts).toHaveLength(0);
  });
});

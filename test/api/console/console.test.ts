import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSealedBackup } from '../../../src/util/sealed-backup.js';
import { ManualClock } from '../../../src/util/clock.js';
import { enroll, makeHarness, type Harness } from '../../helpers/harness.js';
import { ConsoleClient } from './client.js';

const PAGES = ['Users', 'Tokens', 'Messages', 'Audit', 'Modems', 'System'];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(raw: Record<string, unknown> = {}, clock?: ManualClock) {
  h = await makeHarness(raw, { clock });
  await h.core.deps.accounts.addAdmin('admin', 'correct horse battery');
  return h;
}

const auditLines = (hh: Harness) =>
  readFileSync(path.join(hh.dir, 'audit.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('console: login, cookies and headers', () => {
  it('shows the login form with strict security headers and a login CSRF cookie (no Secure on plain http)', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    const r = await c.get('/');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/<label>User<input name="username"/);
    expect(r.text).toMatch(/<label>Password<input name="password" type="password"/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const cookie = r.setCookies.find((x) => x.startsWith('smsotpd_login='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('over HTTPS the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh, 'https://localhost');
    const r = await c.login();
    expect(r.status).toBe(303);
    const cookie = r.setCookies.find((x) => x.startsWith('__Host-smsotpd_session='))!;
    expect(cookie).toBeDefined();
    for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) expect(cookie).toContain(flag);
    const home = await c.get('/');
    expect(home.text).toContain('<h1>Overview</h1>');
    for (const p of PAGES) expect(home.text).toMatch(new RegExp(`<a href="/console/${p.toLowerCase()}"[^>]*>${p}</a>`));
  });

  it('behind a trusted TLS proxy (X-Forwarded-Proto: https) the cookie is Secure and the https Origin is its own', async () => {
    const hh = await setup({ trustedProxies: ['127.0.0.1'] });
    const c = new ConsoleClient(hh, 'http://localhost');
    const viaProxy = { 'x-forwarded-proto': 'https' };
    const page = await c.request('GET', '/', undefined, viaProxy);
    expect(page.setCookies.some((x) => x.startsWith('__Host-smsotpd_login=') && x.includes('Secure'))).toBe(true);
    const r = await c.post(
      '/console/login',
      { username: 'admin', password: 'correct horse battery', _csrf: ConsoleClient.csrfOf(page.text) },
      { ...viaProxy, origin: 'https://localhost' },
    );
    expect(r.status).toBe(303);
    expect(r.setCookies.find((x) => x.startsWith('__Host-smsotpd_session='))).toContain('Secure');
    // The same header from a client that is not a trusted proxy changes nothing.
    const direct = await makeHarness();
    try {
      const p2 = await new ConsoleClient(direct).request('GET', '/', undefined, viaProxy);
      expect(p2.setCookies.some((x) => x.startsWith('smsotpd_login=') && !x.includes('Secure'))).toBe(true);
    } finally {
      await direct.close();
    }
  });

  it('refuses a wrong password (401, audited, no session) and a login without the form token', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    const r = await c.login('admin', 'wrong password');
    expect(r.status).toBe(401);
    expect(r.text).toContain('Wrong user or password.');
    expect(c.cookies.has('smsotpd_session')).toBe(false);
    const noToken = await new ConsoleClient(hh).post('/console/login', { username: 'admin', password: 'correct horse battery' });
    expect(noToken.status).toBe(403);
    expect(auditLines(hh).some((e) => e.action === 'console: login' && e.result === false && e.administrator === 'admin')).toBe(true);
    expect(JSON.stringify(auditLines(hh))).not.toContain('wrong password');
  });

  it('throttles repeated failures with 429 and Retry-After, even for the right password; /auth failures count too', async () => {
    const clock = new ManualClock(Date.now());
    const hh = await setup({ auth: { freeFailures: 5, blockAfterFailures: 6, failureWindow: 600 } }, clock);
    const c = new ConsoleClient(hh);
    for (let i = 0; i < 5; i++) expect((await c.login('admin', `wrong ${i}`)).status).toBe(401);
    // The sixth failure goes through POST /auth: one throttle for both login paths.
    expect((await hh.call('POST', '/auth', { username: 'admin', password: 'wrong 5' })).status).toBe(401);
    const r = await c.login('admin', 'correct horse battery');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(r.text).toContain('Too many failed logins');
    expect(c.cookies.has('smsotpd_session')).toBe(false);
    expect(auditLines(hh).some((e) => e.action === 'console: login' && /^throttled/.test(String(e.reason)))).toBe(true);
    clock.advance(601_000);
    expect((await c.login()).status).toBe(303);
  });

  it('ends a session after the idle timeout and after the absolute timeout', async () => {
    const clock = new ManualClock(Date.now());
    const hh = await setup({ console: { idleMinutes: 10, maxHours: 1 } }, clock);
    const c = new ConsoleClient(hh);
    await c.login();
    clock.advance(9 * 60_000);
    expect((await c.get('/console/users')).status).toBe(200);
    clock.advance(10 * 60_000);
    const idle = await c.get('/console/users');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toMatch(/^\/\?ended=idle/);

    await c.login();
    for (let i = 0; i < 6; i++) {
      clock.advance(9 * 60_000);
      expect((await c.get('/console/tokens')).status).toBe(200);
    }
    clock.advance(9 * 60_000);
    const expired = await c.get('/console/tokens');
    expect(expired.headers.get('location')).toMatch(/^\/\?ended=expired/);
    const login = await c.get(expired.headers.get('location')!);
    expect(login.text).toContain('maximum length');
  });

  it('logs out: the old cookie no longer works', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const token = c.cookies.get('smsotpd_session')!;
    const r = await c.post('/console/logout', { _csrf: await c.csrf() });
    expect(r.status).toBe(303);
    c.cookies.set('smsotpd_session', token);
    expect((await c.get('/console/users')).status).toBe(303);
  });
});

describe('console: CSRF and cross-site posts', () => {
  it('refuses a post without the CSRF token, with a wrong one, from another origin or marked cross-site; nothing changes', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const csrf = await c.csrf();
    const add = { login: 'mallory', mobile: '+4917600000000' };
    const attempts = [
      await c.post('/console/users/save', add),
      await c.post('/console/users/save', { ...add, _csrf: 'x'.repeat(csrf.length) }),
      await c.post('/console/users/save', { ...add, _csrf: csrf }, { origin: 'https://evil.example' }),
      await c.post('/console/users/save', { ...add, _csrf: csrf }, { origin: 'http://localhost', 'sec-fetch-site': 'cross-site' }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(403);
      expect(r.text).toContain('Nothing was changed');
    }
    expect(hh.core.deps.users.get('mallory', 'default')).toBeUndefined();
    expect(auditLines(hh).filter((e) => e.action === 'console: refused /console/users/save' && e.result === false)).toHaveLength(4);
    const ok = await c.post('/console/users/save', { ...add, _csrf: csrf });
    expect(ok.status).toBe(303);
    expect(hh.core.deps.users.get('mallory', 'default')?.mobile).toBe('+4917600000000');
    expect(auditLines(hh).find((e) => e.action === 'console: user add')).toMatchObject({ administrator: 'admin', user: 'mallory', result: true });
  });

  it('refuses a cross-site login post before looking at the password', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    const page = await c.get('/');
    const r = await c.post(
      '/console/login',
      { username: 'admin', password: 'correct horse battery', _csrf: ConsoleClient.csrfOf(page.text) },
      { origin: 'https://evil.example' },
    );
    expect(r.status).toBe(403);
    expect(c.cookies.has('smsotpd_session')).toBe(false);
  });

  it('every form on every page carries the CSRF token', async () => {
    const hh = await setup();
    await enroll(hh);
    const c = new ConsoleClient(hh);
    await c.login();
    const serial = (await hh.core.deps.tokenAdmin.list({ page: 1, pagesize: 1 })).tokens[0]!.token.serial;
    for (const p of ['/', ...PAGES.map((x) => `/console/${x.toLowerCase()}`), `/console/tokens/view?serial=${serial}`]) {
      const html = (await c.get(p)).text;
      const forms = html.match(/<form[^>]*method="post"[^>]*>[\s\S]*?<\/form>/g) ?? [];
      for (const f of forms) expect(f, `${p}: ${f.slice(0, 80)}`).toMatch(/name="_csrf" value="[^"]{20,}"/);
    }
  });
});

describe('console: pages and actions', () => {
  it('enrols, disables (next login refused), enables, resets and deletes a token, each audited with the admin', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const csrf = await c.csrf();
    await c.post('/console/users/save', { login: 'bob', mobile: '+4917611111111', _csrf: csrf });
    const r = await c.post('/console/tokens/enrol', { user: 'bob', numbermode: 'dynamic', pin: '4321', otplen: '6', _csrf: csrf });
    expect(r.status).toBe(303);
    const serial = hh.core.deps.tokenAdmin.ofUser('bob', 'default')[0]!.serial;
    const view = await c.get(r.headers.get('location')!);
    expect(view.text).toContain(`Token ${serial} enrolled for bob@default.`);

    expect((await hh.call('POST', '/validate/check', { user: 'bob', pass: '4321' })).body.result.authentication).toBe('CHALLENGE');
    await c.post('/console/tokens/disable', { serial, _csrf: csrf });
    const refused = await hh.call('POST', '/validate/check', { user: 'bob', pass: '4321' });
    expect(refused.body.result.value).toBe(false);
    expect(refused.body.result.authentication).not.toBe('CHALLENGE');
    await c.post('/console/tokens/enable', { serial, _csrf: csrf });
    await c.post('/console/tokens/reset', { serial, _csrf: csrf });
    const bad = await c.post('/console/tokens/delete', { serial, confirm: 'nope', _csrf: csrf });
    expect((await c.get(bad.headers.get('location')!)).text).toContain('type the serial exactly');
    expect(hh.core.deps.tokenAdmin.ofUser('bob', 'default')).toHaveLength(1);
    await c.post('/console/tokens/delete', { serial, confirm: serial, _csrf: csrf });
    expect(hh.core.deps.tokenAdmin.ofUser('bob', 'default')).toHaveLength(0);
    const actions = auditLines(hh)
      .filter((e) => String(e.action).startsWith('console: token'))
      .map((e) => `${e.action} ${e.administrator} ${e.result}`);
    expect(actions).toEqual([
      'console: token enrol admin true',
      'console: token disable admin true',
      'console: token enable admin true',
      'console: token reset failcounter admin true',
      'console: token delete admin true',
    ]);
  });

  it('shows a domain error as a message and changes nothing (invalid number)', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const r = await c.post('/console/users/save', { login: 'carol', mobile: 'call me', _csrf: await c.csrf() });
    const page = await c.get(r.headers.get('location')!);
    expect(page.text).toContain('Not saved: Invalid mobile number');
    expect(hh.core.deps.users.get('carol', 'default')).toBeUndefined();
  });

  it('previews a CSV import row by row and imports only the good rows', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const csrf = await c.csrf();
    const csv = 'user,mobile,givenname\nann,+4917622222222,Ann\nb@d!,+4917633333333,Bad\ncid,12,Cid\nann,+4917644444444,Twice\ndee,,Dee\n';
    const fd = new FormData();
    fd.set('_csrf', csrf);
    fd.set('file', new Blob([csv], { type: 'text/csv' }), 'users.csv');
    const preview = await c.post('/console/users/import', fd);
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('2 rows ready, 3 with errors');
    expect(preview.text).toMatch(/<td>3<\/td><td>b@d!<\/td>[\s\S]*?Invalid user/);
    expect(preview.text).toMatch(/<td>4<\/td><td>cid<\/td>[\s\S]*?Invalid mobile number/);
    expect(preview.text).toContain('the same user as line 2');
    expect(hh.core.deps.users.list()).toHaveLength(0);
    const commit = await c.post('/console/users/import/commit', { csv, _csrf: csrf });
    const after = await c.get(commit.headers.get('location')!);
    expect(after.text).toContain('2 users imported; 3 rows with errors left out.');
    expect(hh.core.deps.users.list().map((u) => u.login)).toEqual(['ann', 'dee']);
    expect(hh.core.deps.users.get('ann', 'default')?.mobile).toBe('+4917622222222');
  });

  it('a CSV without a user column is refused as a whole', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const r = await c.post('/console/users/import', { csv: 'name,phone\nx,1\n', _csrf: await c.csrf() });
    expect(r.text).toContain('needs a &quot;user&quot;');
    expect(r.text).not.toContain('Import 0');
  });

  it('creates an API key shown once, revokes it', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const csrf = await c.csrf();
    const r = await c.post('/console/system/apikey', { name: 'pi', _csrf: csrf });
    const key = /<code class="secret">(pi:[^<]+)<\/code>/.exec(r.text)?.[1];
    expect(key).toBeDefined();
    const again = await c.get('/console/system');
    expect(again.text).not.toContain(key!.slice(3));
    expect((await hh.call('POST', '/sms/send', { phone: '+4917600000001', text: 'hi' }, { headers: { 'X-API-Key': key! } })).status).toBe(200);
    await c.post('/console/system/apikey/revoke', { name: 'pi', _csrf: csrf });
    expect((await hh.call('POST', '/sms/send', { phone: '+4917600000001', text: 'hi' }, { headers: { 'X-API-Key': key! } })).status).toBe(401);
  });

  it('downloads a backup sealed with the passphrase; a short or mistyped passphrase makes none', async () => {
    const hh = await setup();
    await enroll(hh);
    const c = new ConsoleClient(hh);
    await c.login();
    const csrf = await c.csrf();
    const short = await c.post('/console/system/backup', { passphrase: 'short', again: 'short', _csrf: csrf });
    expect(short.status).toBe(303);
    const differ = await c.post('/console/system/backup', { passphrase: 'a long passphrase', again: 'a long passphrasf', _csrf: csrf });
    expect(differ.status).toBe(303);
    const r = await c.post('/console/system/backup', { passphrase: 'a long passphrase', again: 'a long passphrase', _csrf: csrf });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="smsotpd-backup-/);
    const sealed = JSON.parse(r.text);
    expect(r.text).not.toContain('alice');
    const backup = JSON.parse(await openSealedBackup(sealed, 'a long passphrase'));
    expect(Object.values(backup.state.users).map((u: any) => u.login)).toEqual(['alice']);
    await expect(openSealedBackup(sealed, 'another passphrase')).rejects.toThrow(/wrong passphrase/);
  });

  it('shows the config with secrets redacted', async () => {
    const hh = await setup({
      sms: {
        providers: [
          {
            id: 'gw',
            type: 'http',
            URL: 'https://user:hunter22@gw.example/send',
            PARAMETER: { password: 'p4ssw0rd-param', from: 'smsotpd' },
            headers: { Authorization: 'Bearer s3cret-header' },
          },
          { id: 'mail', type: 'smtp', MAILTO: 'sms@gw.example', MAILSERVER: 'smtp.example', MAILSENDER: 'o@example', MAILPASSWORD: 'mail-secret-9' },
        ],
      },
    });
    const c = new ConsoleClient(hh);
    await c.login();
    const page = (await c.get('/console/system')).text;
    expect(page).toContain('gw.example');
    for (const secret of ['hunter22', 'p4ssw0rd-param', 's3cret-header', 'mail-secret-9']) expect(page).not.toContain(secret);
    expect(page).toContain('(redacted)');
  });

  it('searches the audit log and exports CSV with formulas defused', async () => {
    const hh = await setup();
    hh.core.deps.audit.write({ action: 'POST /validate/check', user: '=HYPERLINK("x")', client: '10.1.2.3', result: false });
    hh.core.deps.audit.write({ action: 'POST /validate/check', user: 'alice', client: '10.9.9.9', result: true });
    const c = new ConsoleClient(hh);
    await c.login();
    const failures = await c.get('/console/audit?result=fail&action=validate');
    expect(failures.text).toContain('10.1.2.3');
    expect(failures.text).not.toContain('10.9.9.9');
    const byClient = await c.get('/console/audit?client=10.9');
    expect(byClient.text).toContain('10.9.9.9');
    expect(byClient.text).not.toContain('10.1.2.3');
    const csv = await c.get('/console/audit.csv?action=validate');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toMatch(/^time,action,result,administrator,user/);
    expect(lines).toHaveLength(3);
    expect(csv.text).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('masks numbers in lists and finds messages by user and state', async () => {
    const hh = await setup();
    await enroll(hh);
    const c = new ConsoleClient(hh);
    await c.login();
    await hh.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    await hh.call('POST', '/sms/send', { phone: '+4915599999999', text: 'other' }, { headers: { Authorization: await hh.adminToken() } });
    const all = await c.get('/console/messages');
    expect(all.text).toContain('+49*********78');
    expect(all.text).not.toContain('+4917612345678');
    const alice = await c.get('/console/messages?user=alice');
    expect(alice.text).toContain('+49*********78');
    expect(alice.text).not.toContain('+49*********99');
    const none = await c.get('/console/messages?state=expired');
    expect(none.text).toContain('no messages match');
    const users = await c.get('/console/users');
    expect(users.text).toContain('+49*********78');
    expect(users.text).not.toContain('+4917612345678');
  });

  it('renders every page for a logged-in admin, with its navigation entry marked current', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    for (const p of PAGES) {
      const r = await c.get(`/console/${p.toLowerCase()}`);
      expect(r.status, p).toBe(200);
      expect(r.text).toContain(`<h1>${p}</h1>`);
      expect(r.text).toContain(`<a href="/console/${p.toLowerCase()}" aria-current="page">${p}</a>`);
    }
  });

  it('the overview shows each queue figure once', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    await c.login();
    const labels = [...(await c.get('/')).text.matchAll(/<span class="l">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(labels).toEqual(['waiting', 'oldest', 'sent', 'duplicates', 'delivered', 'undelivered', 'expired / failed', 'tokens', 'users', 'uptime']);
  });

  it('a live refresh after the session ended answers 401 (the script reloads to the login form)', async () => {
    const hh = await setup();
    const c = new ConsoleClient(hh);
    const r = await c.request('GET', '/console/messages', undefined, { 'X-Console-Live': '1' });
    expect(r.status).toBe(401);
  });
});

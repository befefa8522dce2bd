import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoPaths, readTlsMaterial } from '../../src/tls/certificate.js';
import { createListener } from '../../src/tls/server.js';
import { makeHarness, type Harness } from '../helpers/harness.js';
import { CHROMIUM, chromiumMissing } from '../helpers/chromium.js';

if (chromiumMissing) console.warn(chromiumMissing);
const SHOTS = !!process.env.UPDATE_SCREENSHOTS;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The console in headless Chromium over HTTPS with the appliance's own auto certificate, trusted
 * by its public key (Chromium's SPKI pin list), not by ignoring certificate errors.
 * `UPDATE_SCREENSHOTS=1 npx vitest run test/e2e` refreshes docs/console-*.png.
 */
describe.skipIf(chromiumMissing !== null)('console in headless Chromium over HTTPS', () => {
  let h: Harness;
  let server: import('node:http').Server;
  let attacker: HttpServer;
  let base: string;
  let attackerBase: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const errors: string[] = [];
  let attackerHtml = '';

  beforeAll(async () => {
    h = await makeHarness(
      { token: { maxFail: 3 }, sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 50 }] } },
      { providers: 'from-config' },
    );
    await h.core.deps.accounts.addAdmin('admin', 'correct horse battery');
    const l = await createListener((req, env) => h.core.app.fetch(req, env), 'auto', h.dir, '127.0.0.1');
    server = l.server;
    // What serve wires: the console shows the certificate the listener serves.
    h.core.deps.tls = () => l.tls!.current();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Another site (another host name and scheme) that posts to the console.
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerHtml));
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerBase = `http://localhost:${(attacker.address() as AddressInfo).port}`;

    const cert = new X509Certificate(readFileSync(autoPaths(h.dir).cert));
    const spki = createHash('sha256')
      .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64');
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(path.join(tmpdir(), 'smsotpd-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--ignore-certificate-errors-spki-list=${spki}`,
      ],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    // The refused logins and posts below answer 401/403/429 on purpose; anything else is a defect.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|403|429)/.test(m.text())) errors.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    attacker?.close();
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function axe(name: string) {
    await page.evaluate(axeSource);
    const r = await page.evaluate(async () => {
      // Runs in the page: the browser's globals, not Node's.
      const g = globalThis as unknown as {
        document: unknown;
        axe: { run(ctx: unknown, o: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> };
      };
      const res = await g.axe.run(g.document, { resultTypes: ['violations'] });
      return res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
    });
    const serious = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, `${name}: ${JSON.stringify(serious)}`).toEqual([]);
    if (SHOTS) {
      mkdirSync('docs', { recursive: true });
      writeFileSync(`docs/console-${name}.png`, await page.screenshot({ fullPage: true }));
    }
  }

  const flash = () => page.locator('.flash').first().textContent();

  it('serves the auto certificate the browser pins, and logs in (after a refused password)', async () => {
    const res = await page.goto(base);
    expect(res?.status()).toBe(200);
    const details = await res!.securityDetails();
    expect(details?.protocol).toMatch(/TLS 1\.[23]/);
    expect(details?.subjectName).toBe(readTlsMaterial('auto', h.dir).subject.replace(/^CN=/, '').split(',')[0]);
    await axe('login');
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong user or password.');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === '__Host-smsotpd_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    const nav = page.getByRole('navigation', { name: 'Console' });
    for (const name of ['Users', 'Tokens', 'Messages', 'Audit', 'Modems', 'System'])
      await expect(nav.getByRole('link', { name, exact: true }).count()).resolves.toBe(1);
  });

  it('shows the modem ready on Modems', async () => {
    await page.getByRole('link', { name: 'Modems', exact: true }).click();
    await page.getByRole('heading', { name: 'Modems', level: 1 }).waitFor();
    for (let i = 0; i < 40 && !(await page.locator('.pill:has-text("ready")').count()); i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    expect(await page.locator('.pill:has-text("ready")').count()).toBeGreaterThan(0);
    await page.goto(base);
    await axe('overview');
    await page.goto(`${base}/console/modems`);
    await axe('modems');
  });

  it('adds a user and enrols a token with the keyboard and labels only', async () => {
    await page.goto(`${base}/console/users`);
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Mobile number').fill('+4917612345678');
    await page.getByLabel('Given name').fill('Alice');
    await page.getByLabel('Surname').fill('Liddell');
    await page.getByLabel('Surname').press('Enter');
    expect(await flash()).toContain('User alice@default added.');
    expect(await page.locator('table').first().textContent()).toContain('+49*********78');
    await axe('users');

    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    await page.getByLabel('User', { exact: true }).fill('alice');
    await page.getByLabel("The user's mobile number").check();
    await page.getByLabel('PIN (optional)').fill('1234');
    await page.getByRole('button', { name: 'Enrol token' }).click();
    expect(await flash()).toMatch(/Token PISM\w+ enrolled for alice@default\./);
    await axe('token');
    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    await axe('tokens');
  });

  it('a login through the API shows its SMS in Messages, refreshed live', async () => {
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    expect(await page.locator('#outbox-live').textContent()).toContain('no messages yet');
    const r = await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    expect(r.body.result.authentication).toBe('CHALLENGE');
    // No reload: the live refresh swaps the table in (sent, or delivered once the simulator reports).
    await page.locator('#outbox-live .pill', { hasText: /^(sent|delivered)$/ }).waitFor({ timeout: 30_000 });
    const row = await page.locator('#outbox-live tbody tr').first().textContent();
    expect(row).toContain('+49*********78');
    expect(row).toContain('login');
    expect(row).not.toContain('+4917612345678');
    await axe('messages');
  });

  it('disables the token: the next login is refused; a locked token is reset and works again', async () => {
    const serial = h.core.deps.tokenAdmin.ofUser('alice', 'default')[0]!.serial;
    await page.goto(`${base}/console/tokens/view?serial=${serial}`);
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    expect(await flash()).toContain(`Token ${serial} disabled`);
    const refused = await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    expect(refused.body.result.value).toBe(false);
    expect(refused.body.result.authentication).not.toBe('CHALLENGE');
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    expect(await flash()).toContain('enabled');

    for (let i = 0; i < 3; i++) await h.call('POST', '/validate/check', { user: 'alice', pass: 'wrong' });
    const locked = await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    expect(locked.body.result.authentication).not.toBe('CHALLENGE');
    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    expect(await page.locator('tbody tr', { hasText: serial }).locator('.pill').textContent()).toBe('locked');
    await page.getByRole('button', { name: `Reset failcounter ${serial}` }).click();
    expect(await flash()).toContain(`Failcounter of ${serial} reset.`);
    const again = await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    expect(again.body.result.authentication).toBe('CHALLENGE');
  });

  it('imports a CSV with a bad row: the preview names it, the good rows are imported', async () => {
    const csv = path.join(profile, 'users.csv');
    writeFileSync(
      csv,
      'user,mobile,givenname,surname\nbob,+4917611111111,Bob,Builder\ncarol,not-a-number,Carol,King\ndave,+4917622222222,Dave,Grohl\n',
    );
    await page.goto(`${base}/console/users`);
    await page.getByLabel('CSV file').setInputFiles(csv);
    await page.getByRole('button', { name: 'Preview import' }).click();
    await page.getByRole('heading', { name: '2 rows ready, 1 with errors' }).waitFor();
    expect(await page.locator('tr', { hasText: 'carol' }).textContent()).toContain('Invalid mobile number');
    await axe('import');
    await page.getByRole('button', { name: 'Import 2 users' }).click();
    expect(await flash()).toContain('2 users imported; 1 row with errors left out.');
    expect(h.core.deps.users.list().map((u) => u.login)).toEqual(['alice', 'bob', 'dave']);
  });

  it('refuses a form post without its CSRF token and a cross-site post; nothing changes', async () => {
    await page.goto(`${base}/console/users`);
    await page.locator('form[action="/console/users/save"] input[name="_csrf"]').evaluate((el) => (el as unknown as { remove(): void }).remove());
    await page.getByLabel('User name').fill('mallory');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('heading', { name: 'Request refused' }).waitFor();
    expect(await page.textContent('main')).toContain('no valid CSRF token');

    await page.goto(`${base}/console/users`);
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    // Even with the token (leaked, say), a post from another site changes nothing.
    attackerHtml = `<!doctype html><form id="f" method="post" action="${base}/console/users/save"><input name="_csrf" value="${csrf}"><input name="login" value="mallory"></form><script>document.getElementById('f').submit()</script>`;
    await page.goto(attackerBase);
    await page.waitForURL((u) => u.origin === base, { timeout: 15_000 });
    await page.waitForLoadState();
    expect(await page.textContent('main')).toMatch(/Request refused|Log in to continue|smsotpd administrator/);
    expect(h.core.deps.users.get('mallory', 'default')).toBeUndefined();
    const refusals = readFileSync(path.join(h.dir, 'audit.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('refused /console/users/save'));
    expect(refusals.length).toBeGreaterThanOrEqual(1);
  });

  it('Audit and System pages pass the accessibility check; errors stayed away', async () => {
    await page.goto(`${base}/console/audit`);
    expect(await page.textContent('main')).toContain('console: token disable');
    await axe('audit');
    await page.goto(`${base}/console/system`);
    expect(await page.textContent('main')).toContain(readTlsMaterial('auto', h.dir).fingerprint);
    await axe('system');
    // The overview again, now with sends, users and tokens (the screenshot in docs/).
    await page.goto(base);
    expect(await page.locator('#recent tbody tr').count()).toBeGreaterThan(0);
    await axe('overview');
    expect(errors, errors.join('\n')).toEqual([]);
  });
});

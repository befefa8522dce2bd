import { createAdaptorServer } from '@hono/node-server';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../helpers/harness.js';
import { ReportingProvider } from '../../helpers/reporting-provider.js';
import { CHROMIUM, chromiumMissing } from '../../helpers/chromium.js';

// The status page grew into the console: its overview shows the counts, Messages the states.
describe.skipIf(chromiumMissing !== null)('console: delivery counts on the overview, states in Messages, in headless Chromium', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  const pool = new ReportingProvider('pool', ['m1']);

  beforeAll(async () => {
    h = await makeHarness({}, { providers: [pool] });
    await h.core.deps.accounts.addAdmin('admin', 'correct horse battery');
    server = createAdaptorServer({ fetch: (req: Request, env: Record<string, unknown>) => h.core.app.fetch(req, env) }) as unknown as Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await h?.close();
  });

  it('shows delivered and undelivered messages, and filters by state', async () => {
    const auth = { Authorization: await h.adminToken() };
    for (const phone of ['+4917612345678', '+4915199988877']) await h.call('POST', '/sms/send', { phone, text: 'hello' }, { headers: auth });
    await pool.waitForSent(2);
    const sentAll = async () => Object.values(h.store.data.outbox).every((r) => r.state === 'sent');
    while (!(await sentAll())) await new Promise((r) => setTimeout(r, 10));
    pool.report({ reference: 0, recipient: pool.sent[0]!.msg.to });
    pool.report({ reference: 1, recipient: pool.sent[1]!.msg.to, outcome: 'undelivered', status: 0x46 });
    await h.core.deps.dispatcher.delivery.drain();

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(base);
      await page.getByLabel('User').fill('admin');
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForSelector('#c-dlv:text("1")');
      expect(await page.textContent('#c-undlv')).toBe('1');
      expect(await page.getAttribute('#recent .pill:text-is("delivered")', 'class')).toBe('pill ok');
      expect(await page.getAttribute('#recent .pill:text-is("undelivered")', 'class')).toBe('pill bad');
      await page.getByRole('link', { name: 'Messages', exact: true }).click();
      expect(await page.getAttribute('.pill:text-is("delivered")', 'class')).toBe('pill ok');
      expect(await page.getAttribute('.pill:text-is("undelivered")', 'class')).toBe('pill bad');
      await page.selectOption('select[name=state]', 'undelivered');
      await page.locator('form:has(select[name=state]) button[type=submit]').first().click();
      expect(await page.locator('tbody .pill').allTextContents()).toEqual(['undelivered']);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

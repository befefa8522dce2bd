import { createAdaptorServer } from '@hono/node-server';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll, makeHarness, type Harness } from '../helpers/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`status page browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)('status page in headless Chromium', () => {
  let h: Harness;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    h = await makeHarness({ sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 50 }] } }, { providers: 'from-config' });
    await h.core.deps.accounts.addAdmin('admin', 'correct horse battery');
    server = createAdaptorServer({
      fetch: (req: Request, env: Record<string, unknown>) => h.core.app.fetch(req, env),
    }) as unknown as Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await h?.close();
  });

  it('logs in, shows the modem, and shows a send appear', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // The wrong-password attempt below is meant to be refused with 401; anything else is a defect.
      page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });
      await page.goto(base);
      await page.fill('#user', 'admin');
      await page.fill('#pass', 'wrong password');
      await page.click('button[type=submit]');
      await page.waitForSelector('#err:has-text("Wrong credentials")');
      await page.fill('#pass', 'correct horse battery');
      await page.click('button[type=submit]');
      await page.waitForSelector('#modems tr td:has-text("sim")');
      await page.waitForSelector('#modems .pill:has-text("ready")', { timeout: 20_000 });

      await enroll(h);
      const r = await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
      expect(r.body.result.authentication).toBe('CHALLENGE');
      await page.waitForSelector('#recent .pill:has-text("sent")', { timeout: 20_000 });
      const row = await page.textContent('#recent tr');
      expect(row).toContain('+49*********78');
      expect(row).not.toContain('+4917612345678');
      expect(errors, errors.join("\n")).toEqual([]);
      // `UPDATE_SCREENSHOT=1 npx vitest run test/api/status-page.test.ts` refreshes docs/status-page.png.
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.length).toBeGreaterThan(10_000);
      if (process.env.UPDATE_SCREENSHOT) {
        mkdirSync('docs', { recursive: true });
        writeFileSync('docs/status-page.png', shot);
      }
    } finally {
      await browser.close();
    }
  });
});

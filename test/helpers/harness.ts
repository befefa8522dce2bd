import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createCore, type Core } from '../../src/core.js';
import type { SmsProvider } from '../../src/sms/provider.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import type { Clock } from '../../src/util/clock.js';
import { RecordingProvider } from './recording-provider.js';

export interface Harness {
  dir: string;
  config: Config;
  store: Store;
  core: Core;
  providers: SmsProvider[];
  sms: RecordingProvider;
  /** Calls the app like a LAN client would (form body by default). */
  call(
    method: string,
    url: string,
    params?: Record<string, string>,
    opts?: { json?: boolean; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  /** An admin JWT obtained through /auth. */
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'smsotpd-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function makeHarness(
  raw: Record<string, unknown> = {},
  opts: { providers?: SmsProvider[] | 'from-config'; dir?: string; clock?: Clock; logger?: Logger } = {},
): Promise<Harness> {
  const dir = opts.dir ?? tempDir();
  const config = parseConfig({ dataDir: dir, ...raw, sms: { retryBaseMs: 20, retryMaxMs: 200, ...(raw.sms as object) } });
  config.dataDir = dir;
  const store = await openStore({ dataDir: dir, logger: silentLogger });
  const sms = new RecordingProvider();
  const providers =
    opts.providers === 'from-config'
      ? await (await import('../../src/sms/providers/index.js')).createProviders(config, { logger: silentLogger, dataDir: dir })
      : (opts.providers ?? [sms]);
  const core = createCore({ config, store, logger: opts.logger ?? silentLogger, providers, clock: opts.clock });
  await core.start();
  let token: string | null = null;
  const h: Harness = {
    dir,
    config,
    store,
    core,
    providers,
    sms,
    async call(method, url, params, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      let body: string | undefined;
      if (params && method !== 'GET' && method !== 'DELETE') {
        if (o.json) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(params);
        } else {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          body = new URLSearchParams(params).toString();
        }
      } else if (params) {
        url += `${url.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;
      }
      const res = await core.app.request(url, { method, headers, body }, { incoming: { socket: { remoteAddress: '127.0.0.1' } } });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async adminToken() {
      if (token) return token;
      if (!store.get('admins', 'admin')) await core.deps.accounts.addAdmin('admin', 'correct horse battery');
      const r = await h.call('POST', '/auth', { username: 'admin', password: 'correct horse battery' });
      token = r.body.result.value.token as string;
      return token;
    },
    async close() {
      await core.stop();
      await store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Enrolls a user with one SMS token through the admin API; returns the serial. */
export async function enroll(
  h: Harness,
  user = 'alice',
  pin = '1234',
  phone = '+4917612345678',
  extra: Record<string, string> = {},
): Promise<string> {
  const auth = { Authorization: await h.adminToken() };
  const u = await h.call('POST', '/user/', { user, mobile: phone }, { headers: auth });
  if (u.status !== 200) throw new Error(`user add failed: ${JSON.stringify(u.body)}`);
  const t = await h.call('POST', '/token/init', { type: 'sms', user, pin, phone, ...extra }, { headers: auth });
  if (t.status !== 200) throw new Error(`token init failed: ${JSON.stringify(t.body)}`);
  return t.body.detail.serial as string;
}

/** The OTP in the newest SMS the recording provider accepted. */
export function lastOtp(h: Harness): string {
  const m = h.sms.sent.at(-1);
  if (!m) throw new Error('no SMS sent');
  const otp = /(\d{6,8})/.exec(m.text)?.[1];
  if (!otp) throw new Error(`no OTP in "${m.text}"`);
  return otp;
}

import { createAdaptorServer } from '@hono/node-server';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modemUssd, printable, smsInbox } from '../../src/cli/delivery-commands.js';
import { CliError, socketPath } from '../../src/cli/client.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createCore, type Core } from '../../src/core.js';
import { acquireLock, type LockHandle } from '../../src/store/lock.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/harness.js';
import { ReportingProvider } from '../helpers/reporting-provider.js';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'dist/cli/smsotpd.cjs');

/** The real CLI binary (its argument parsing and error printing). */
function cli(args: string[], cfg: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args, '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out: out.trim(), err: err.trim() }));
  });
}

function configIn(dir: string): { config: Config; file: string } {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ dataDir: dir, log: { level: 'silent' } }));
  return { config: { ...parseConfig({ dataDir: dir }), dataDir: dir }, file };
}

describe('smsotpd modem ussd / sms inbox without a daemon', () => {
  let dir: string;
  let config: Config;
  let file: string;
  beforeAll(() => {
    if (!existsSync(bin)) throw new Error('dist/ is missing: run npm run build (npm test does)');
    dir = tempDir();
    ({ config, file } = configIn(dir));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('modem ussd says plainly that the daemon is not running', async () => {
    const r = await cli(['modem', 'ussd', 'hat', '*100#'], file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`smsotpd: the daemon is not running on ${dir}: USSD goes through the modems it drives (start it: smsotpd serve)`);
    expect(r.err.split('\n')).toHaveLength(1);
  });

  it('modem ussd rejects a bad code or modem id before anything else', async () => {
    await expect(modemUssd(config, ['hat', '*100#";AT+CFUN=0'], {})).rejects.toThrow('invalid USSD code: use only digits, *, # and + (e.g. *100#)');
    await expect(modemUssd(config, ['hat', '1'.repeat(33)], {})).rejects.toThrow('USSD code too long (at most 32 characters)');
    await expect(modemUssd(config, ['../x', '*100#'], {})).rejects.toThrow('invalid modem id');
    await expect(modemUssd(config, ['hat'], {})).rejects.toThrow('usage: smsotpd modem ussd MODEM_ID CODE');
    await expect(modemUssd(config, ['hat', '*100#'], { timeout: '99' })).rejects.toThrow('--timeout must be a whole number from 1 to 25');
  });

  it('sms inbox reads the store in-process, and the usage lists both commands', async () => {
    const r = await cli(['sms', 'inbox'], file);
    expect(r).toMatchObject({ code: 0, out: 'the inbox is empty' });
    const help = await cli(['--help'], file);
    expect(help.out).toContain('modem ussd MODEM_ID CODE');
    expect(help.out).toContain('sms inbox');
  });
});

describe('smsotpd modem ussd / sms inbox through the control socket', () => {
  let dir: string;
  let config: Config;
  let file: string;
  let lock: LockHandle;
  let store: Store;
  let core: Core;
  let control: Server;
  const pool = new ReportingProvider('hat', ['hat']);

  beforeAll(async () => {
    dir = tempDir();
    ({ config, file } = configIn(dir));
    // What `serve` does: the lock, the store, the core, the control socket.
    lock = acquireLock(dir);
    store = await openStore({ dataDir: dir });
    core = createCore({ config, store, logger: silentLogger, providers: [pool] });
    await core.start();
    control = createAdaptorServer({ fetch: (req: Request, env: Record<string, unknown>) => core.app.fetch(req, { ...env, local: true }) }) as Server;
    await new Promise<void>((r) => control.listen(socketPath(config), r));
    chmodSync(socketPath(config), 0o600);
  });
  afterAll(async () => {
    await new Promise((r) => control.close(r));
    await core.stop();
    await store.close();
    lock.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the network's answer, terminal controls escaped", async () => {
    pool.ussdScript.set('*100#', 'Balance 4.20 EUR\u001b[2J\nvalid to 31.12.');
    const lines: string[] = [];
    expect(await modemUssd(config, ['hat', '*100#'], {}, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['Balance 4.20 EUR\\u001b[2J\\nvalid to 31.12.']);
  });

  it('the real CLI through the socket: answer on stdout, unknown modem as one line', async () => {
    pool.ussdScript.set('*101#', 'Credit: 10 min');
    expect(await cli(['modem', 'ussd', 'hat', '*101#'], file)).toMatchObject({ code: 0, out: 'Credit: 10 min' });
    const unknown = await cli(['modem', 'ussd', 'sim7600', '*100#'], file);
    expect(unknown).toMatchObject({ code: 1, err: 'smsotpd: no modem "sim7600" (modems: hat)' });
  });

  it('a modem that does not answer is a timeout error, not a hang', async () => {
    pool.ussdScript.set('*102#', 'hang');
    const err = await modemUssd(config, ['hat', '*102#'], { timeout: '1' }).catch((e) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err.message).toBe('no USSD answer from modem "hat" within 1 s');
  });

  it('a refusal by the network is its own error', async () => {
    await expect(modemUssd(config, ['hat', '*555#'], {})).rejects.toThrow(
      'USSD on modem "hat" failed: the network refused the USSD request (+CUSD: 4)',
    );
  });

  it('sms inbox lists what the modem received, newest first, escaped, and pages', async () => {
    await pool.receive({ from: '+491771234567', text: 'first', t: Date.UTC(2026, 11, 4, 1) });
    await pool.receive({ from: 'Operator', text: 'Your plan\nends \u001b]0;owned\u0007 soon', t: Date.UTC(2026, 11, 4, 2) });
    const lines: string[] = [];
    await smsInbox(config, {}, (l) => lines.push(l));
    expect(lines).toEqual([
      '2026-12-04T02:00:00.000Z\tOperator\that\tYour plan\\nends \\u001b]0;owned\\u0007 soon',
      '2026-12-04T01:00:00.000Z\t+491771234567\that\tfirst',
    ]);
    const paged: string[] = [];
    await smsInbox(config, { page: '2', pagesize: '1', json: true }, (l) => paged.push(l));
    expect(JSON.parse(paged.join('\n'))).toMatchObject({ count: 2, current: 2, next: null, messages: [{ text: 'first' }] });
  });
});

/** The real daemon with its default simulated modem, driven by the real CLI. */
describe('against the running daemon and its simulated modem', () => {
  let dir: string;
  let cfg: string;
  let daemon: ChildProcess;

  beforeAll(async () => {
    dir = tempDir();
    cfg = path.join(dir, 'config.json');
    const port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(cfg, JSON.stringify({ listen: { host: '127.0.0.1', port }, dataDir: path.join(dir, 'var'), log: { level: 'warn' } }));
    daemon = spawn(process.execPath, [bin, 'serve', '--config', cfg], { stdio: 'ignore' });
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        )) || undefined,
    );
  });
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('modem ussd prints the balance; an unknown modem is one line naming the modems', async () => {
    // The simulated modem takes a moment to boot and register after the daemon is up.
    const ok = await until(async () => {
      const r = await cli(['modem', 'ussd', 'sim', '*100#'], cfg);
      return r.code === 0 ? r : undefined;
    });
    expect(ok.out).toBe('Your balance is 12.34 EUR, valid until 2027-01-31.');
    expect(await cli(['modem', 'ussd', 'nope', '*100#'], cfg)).toMatchObject({ code: 1, err: 'smsotpd: no modem "nope" (modems: sim)' });
  });

  it("a test SMS becomes delivered from the simulated network's status report; the inbox is empty", async () => {
    const q = await cli(['sms', 'send', '--to', '+4917612345678', '--text', 'hello'], cfg);
    expect(q.code, q.err).toBe(0);
    const id = /queued as (\S+)/.exec(q.out)![1]!;
    // A loaded machine can make one CLI call fail (its control-socket request times out): that is
    // asked again, and the last failure is named if the message never becomes delivered.
    let last = '';
    const shown = await until(async () => {
      const r = await cli(['sms', 'show', id], cfg);
      last = r.code === 0 ? r.out : `exit ${r.code}: ${r.err}`;
      if (r.code !== 0) return undefined;
      const v = JSON.parse(r.out);
      return v.state === 'delivered' ? v : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last answer: ${last}`);
    });
    expect(shown.report).toMatchObject({ modem: 'sim', status: 0 });
    expect(await cli(['sms', 'inbox'], cfg)).toMatchObject({ code: 0, out: 'the inbox is empty' });
    // until()'s 30 s plus one CLI call's own 30 s socket timeout: a message that never becomes
    // delivered fails with its last answer, not with vitest's bare test timeout.
  }, 70_000);
});

async function until<T>(fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('printable', () => {
  it('escapes C0, C1 and bidi controls and leaves other text alone', () => {
    expect(printable('a\tb\u0085c\u202ed\u2067e ü €')).toBe('a\\tb\\u0085c\\u202ed\\u2067e ü €');
  });
});

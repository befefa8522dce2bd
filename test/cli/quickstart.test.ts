import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'dist/cli/smsotpd.cjs');

function cli(args: string[], cfg: string, input?: string) {
  const r = spawnSync(process.execPath, [main, ...args, '--config', cfg], { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The README's walk-through against the real daemon process: start, `admin add` (password on
 * stdin) while it runs, enroll, trigger, read the OTP the simulated modem recorded, answer.
 */
describe('quick start, end to end through the CLI and the daemon', () => {
  let dir: string;
  let cfg: string;
  let daemon: ChildProcess;
  let base: string;
  let stderr = ''; // everything the daemon printed

  beforeAll(async () => {
    if (!existsSync(main)) throw new Error('dist/ is missing: run npm run build (npm test does)');
    dir = tempDir();
    cfg = path.join(dir, 'config.json');
    const port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(cfg, JSON.stringify({ listen: { host: '127.0.0.1', port }, dataDir: path.join(dir, 'var'), log: { level: 'warn' } }));
    base = `http://127.0.0.1:${port}`;
    // Executed as `npx smsotpd serve` runs it: through its interpreter line (runtime flags and all).
    daemon = spawn(main, ['serve', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
    });
    // pino writes JSON lines to stdout; errors from Node itself go to stderr.
    daemon.stdout!.on('data', (d) => (stderr += d));
    daemon.stderr!.on('data', (d) => (stderr += d));
    await waitFor(async () => {
      try {
        // Read the body: an unread one keeps the socket out of the pool until some GC, and undici
        // then reuses it after the daemon's 5 s keep-alive closed it ("other side closed").
        const r = await fetch(`${base}/healthz`);
        await r.arrayBuffer();
        return r.status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    });
  });
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
    }
  });

  it('gives the old entry, dist/cli/main.js, the same interpreter line as the launcher (runtime flags)', () => {
    const firstLine = (f: string) => readFileSync(f, 'utf8').split('\n', 1)[0];
    expect(firstLine(path.join(root, 'dist/cli/main.js'))).toBe(firstLine(main));
    expect(firstLine(main)).toMatch(/^#!\/usr\/bin\/env -S .*node /);
  });

  it('runs with one libuv thread per core (at least 2), as its launcher sets', async () => {
    // Discriminates on any machine without exactly 4 cores (libuv's own default).
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(new RegExp(`^smsotpd_thread_pool_size ${Math.max(2, availableParallelism())}$`, 'm'));
  });

  it('logs in with the OTP the simulated modem recorded', async () => {
    // The CLI runs synchronously here and blocks this process for seconds: a pooled keep-alive
    // connection the daemon closed meanwhile (its 5 s idle timeout) would be reused unseen, so
    // each login step gets a connection of its own, as separate clients would.
    const post = async (body: Record<string, string>) =>
      (await undiciFetch(`${base}/validate/check`, { method: 'POST', body: new URLSearchParams(body), dispatcher: new Agent() })).json();
    expect(cli(['admin', 'add', 'admin'], cfg, 'a-long-admin-password\n')).toMatchObject({ code: 0, out: 'admin admin created' });
    expect(cli(['user', 'add', 'alice', '--mobile', '+4917612345678'], cfg).code).toBe(0);
    const init = cli(['token', 'init', '--user', 'alice', '--phone', '+4917612345678', '--pin-stdin'], cfg, '1234\n');
    expect(init.code, init.err).toBe(0);
    expect(init.out).toMatch(/^PISM/);

    const step1: any = await post({ user: 'alice', pass: '1234' });
    expect(step1.result.authentication).toBe('CHALLENGE');
    const record = path.join(dir, 'var', 'sim-sms.jsonl');
    const sms = await waitFor(() => {
      if (!existsSync(record)) return undefined;
      const lines = readFileSync(record, 'utf8').trim().split('\n').filter(Boolean);
      return lines.length ? JSON.parse(lines.at(-1)!) : undefined;
    });
    expect(sms).toMatchObject({ to: '+4917612345678', modem: expect.any(String) });
    expect(typeof sms.t).toBe('number');
    const otp = /(\d{6})/.exec(sms.text)![1]!;
    const step2: any = await post({ user: 'alice', transaction_id: step1.detail.transaction_id, pass: otp });
    expect(step2.result).toEqual({ status: true, value: true, authentication: 'ACCEPT' });
  });

  it('CLI errors are clear and change nothing', () => {
    const bad = cli(['token', 'init', '--user', 'nobody', '--phone', '+4917612345678', '--no-pin'], cfg);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/ERR904/);
    expect(cli(['frobnicate'], cfg).err).toMatch(/unknown command/);
    const noPw = cli(['admin', 'add', 'x'], cfg, '');
    expect(noPw.code).toBe(1);
    expect(noPw.err).toMatch(/no password on standard input/);
  });

  it('backup works while the daemon runs; SIGTERM stops it cleanly', async () => {
    const file = path.join(dir, 'backup.json');
    const b = cli(['backup', file], cfg);
    expect(b.code, b.err).toBe(0);
    const content = JSON.parse(readFileSync(file, 'utf8'));
    expect(content.format).toBe('smsotpd-backup');
    expect(Object.keys(content.state.tokens)).toHaveLength(1);
    daemon.kill('SIGTERM');
    const code = await new Promise((r) => daemon.once('exit', r));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/"level":50/);
    // With the daemon gone, restore works on the data dir directly and keeps the old files aside.
    const r = cli(['restore', file], cfg);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/restored 1 tokens and 1 users/);
    expect(cli(['token', 'list'], cfg).out).toMatch(/^PISM\S+\talice@default\t\+4917612345678\tactive/);
  });
});

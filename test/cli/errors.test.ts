import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'dist/cli/smsotpd.cjs');

/** The CLI as an admin runs it (a real process on the built dist/), without a daemon. */
function cli(args: string[], o: { cfg?: string; input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [main, ...args, ...(o.cfg ? ['--config', o.cfg] : [])], {
    input: o.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, SMSOTPD_DEBUG: '', ...o.env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const oneLine = (s: string) => {
  expect(s.trim().split('\n'), s).toHaveLength(1);
  expect(s).not.toMatch(/^\s+at /m);
  expect(s).toMatch(/^smsotpd: /);
};

let dir: string;
let cfg: string;
beforeEach(() => {
  dir = tempDir('smsotpd-cli-');
  cfg = path.join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ listen: { host: '127.0.0.1', port: 5000 }, dataDir: path.join(dir, 'var'), log: { level: 'warn' } }));
});

describe('help and version', () => {
  it('`<command> --help` prints that command only; an unknown one is an error', () => {
    const r = cli(['user', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}user add NAME/m);
    expect(r.out).toMatch(/^ {2}user import FILE\.csv/m);
    expect(r.out).not.toMatch(/token init|apikey|serve/);
    const t = cli(['token', '--help']);
    expect(t.out).toMatch(/--no-pin/); // the continuation line of token init comes with it
    const bad = cli(['frobnicate', '--help']);
    expect(bad.code).toBe(1);
    oneLine(bad.err);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(new RegExp(`^smsotpd ${version.replace(/\./g, '\\.')} \\(Node\\.js v\\d+`));
  });
});

describe('failures are one line, the stack only with --debug', () => {
  it('user import of a missing file', () => {
    const r = cli(['user', 'import', path.join(dir, 'nope.csv')], { cfg });
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toContain(`cannot read ${path.join(dir, 'nope.csv')}: no such file or directory`);
    const d = cli(['user', 'import', path.join(dir, 'nope.csv'), '--debug'], { cfg });
    expect(d.err).toMatch(/^\s+at /m);
    expect(cli(['user', 'import', path.join(dir, 'nope.csv')], { cfg, env: { SMSOTPD_DEBUG: '1' } }).err).toMatch(/^\s+at /m);
  });

  it('serve on a data dir that cannot be made', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    writeFileSync(cfg, JSON.stringify({ listen: { host: '127.0.0.1', port: 5000 }, dataDir: path.join(file, 'var') }));
    const r = cli(['serve'], { cfg });
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toContain(`data directory ${path.join(file, 'var')}`);
    expect(r.err).toContain('not a directory');
  });

  it('modem probe on a refused tcp:// address', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = cli(['modem', 'probe', `tcp://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toContain(`tcp://127.0.0.1:${port}`);
    expect(r.err).toMatch(/refused/i);
  });

  it('an unknown option is a usage error (exit 2), one line', () => {
    const r = cli(['user', 'list', '--frobnicate'], { cfg });
    expect(r.code).toBe(2);
    oneLine(r.err);
  });
});

describe('user import names the CSV line and the user of a refused row, and imports nothing', () => {
  it('a bad user name on line 3', () => {
    const csv = path.join(dir, 'users.csv');
    writeFileSync(csv, 'user,mobile\nalice,+4917612345678\nbob smith,+4917612345679\ncarol,+4917612345670\n');
    const r = cli(['user', 'import', csv], { cfg });
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toContain('CSV line 3 (user "bob smith")');
    expect(r.err).toMatch(/Invalid user/);
    expect(r.err).toContain('Nothing was imported');
    expect(JSON.parse(cli(['user', 'list'], { cfg }).out)).toEqual([]);
  });

  it('a bad mobile number on line 2 names the rule', () => {
    const csv = path.join(dir, 'users.csv');
    writeFileSync(csv, 'user,mobile\nalice,12\n');
    const r = cli(['user', 'import', csv], { cfg });
    expect(r.code).toBe(1);
    expect(r.err).toContain('CSV line 2 (user "alice")');
    expect(r.err).toMatch(/Invalid mobile number: \S+/);
  });
});

describe('no silent no-ops', () => {
  it('user add --mobile "" is refused and the old number kept', () => {
    expect(cli(['user', 'add', 'bob', '--mobile', '+4917612345678'], { cfg }).code).toBe(0);
    const r = cli(['user', 'add', 'bob', '--mobile', ''], { cfg });
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toContain('--mobile is empty');
    expect(r.out).not.toContain('saved');
    const users = JSON.parse(cli(['user', 'list'], { cfg }).out) as Array<{ username: string; mobile: string }>;
    expect(users.find((u) => u.username === 'bob')?.mobile).toBe('+4917612345678');
  });

  it('token init without a PIN refuses unless --no-pin is given', () => {
    expect(cli(['user', 'add', 'bob', '--mobile', '+4917612345678'], { cfg }).code).toBe(0);
    const r = cli(['token', 'init', '--user', 'bob', '--dynamic-phone'], { cfg });
    expect(r.code).toBe(1);
    expect(r.err).toContain('--no-pin');
    expect(cli(['token', 'list'], { cfg }).out.trim()).toBe('');
    const both = cli(['token', 'init', '--user', 'bob', '--dynamic-phone', '--no-pin', '--pin-stdin'], { cfg, input: '1234\n' });
    expect(both.code).toBe(1);
    const ok = cli(['token', 'init', '--user', 'bob', '--dynamic-phone', '--no-pin'], { cfg });
    expect(ok.code, ok.err).toBe(0);
    expect(cli(['token', 'list'], { cfg }).out).toMatch(/^\S+\tbob@/m);
  });
});

describe('with the daemon down', () => {
  it('status exits 3 and says so; doctor fails (exit 1) with the fix', () => {
    const s = cli(['status'], { cfg });
    expect(s.code).toBe(3);
    expect(JSON.parse(s.out)).toMatchObject({ ready: false });
    expect(s.err).toContain('the daemon is not running');
    const d = cli(['doctor'], { cfg });
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/^FAIL daemon: not running/m);
    expect(d.out).toContain('fix: sudo systemctl start smsotpd');
  });
});

// Helpers shared by the benchmark scripts.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = (p) => import(path.join(root, 'dist', p));

/** Polls `fn` until true; throws after `ms`. */
export async function until(fn, ms) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const quantile = (values, p) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(p * values.length))];

/** A core on a fresh temp data dir with the given providers config; `providers` built from it. */
export async function benchCore(providersConfig, extra = {}) {
  const { parseConfig } = await dist('config/load.js');
  const { openStore } = await dist('store/store.js');
  const { createCore } = await dist('core.js');
  const { createProviders } = await dist('sms/providers/index.js');
  const { buildQueuedMessage } = await dist('sms/outbox.js');
  const { silentLogger } = await dist('util/logger.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-bench-'));
  const config = parseConfig({ dataDir: dir, ...extra, sms: { providers: providersConfig, ...(extra.sms ?? {}) } });
  const store = await openStore({ dataDir: dir });
  const providers = await createProviders(config, { logger: silentLogger, dataDir: dir });
  const core = createCore({ config, store, logger: silentLogger, providers });
  await core.start();
  const queue = async (text, validityMs = 3_600_000, to = '+4917612345678') => {
    const now = Date.now();
    const { record, change } = buildQueuedMessage({ to, text, expiresAt: now + validityMs, origin: 'api' }, now, (s) => core.secrets.encrypt(s));
    await store.commit([change]);
    core.deps.dispatcher.enqueued(record.id);
    return record.id;
  };
  const close = async () => {
    await core.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, core, store, providers, queue, close };
}

/**
 * How `npx smsotpd serve` starts the daemon: the environment and node flags of dist/cli/smsotpd.cjs's
 * `#!/usr/bin/env -S ...` line, then that launcher itself, so benchmarks measure the runtime users get. `extraNodeArgs`
 * (profiling flags, say) go after them.
 */
export function daemonCommand(args, extraNodeArgs = []) {
  const main = path.join(root, 'dist/cli/smsotpd.cjs');
  const line = readFileSync(main, 'utf8').split('\n', 1)[0];
  const words = line
    .replace(/^#!\s*\S*env\s+-S\s+/, '')
    .split(/\s+/)
    .filter(Boolean);
  const env = { ...process.env };
  while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [k, ...v] = words.shift().split('=');
    env[k] = v.join('=');
  }
  if (words.shift() !== 'node') throw new Error(`unexpected interpreter line in ${main}: ${line}`);
  return { command: process.execPath, args: [...words, ...extraNodeArgs, main, ...args], env };
}

/** A loopback port free at the moment of asking. */
export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', () => r(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
  await new Promise((r) => s.close(r));
  return port;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ). */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * User + system CPU time (ms) from /proc: of process `pid` with all its threads, or of its thread `tid`.
 * The cost of the work, which the shared machine's load moves far less than wall-clock rates.
 */
export function cpuMs(pid, tid) {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * (1000 / CLOCK_TICKS);
}

/** The mobile number of the benchmarks' user `i` (and of its token). */
export const phoneOf = (i) => `+4917${String(10_000_000 + i)}`;

/**
 * `n` users user0, user1, … with one SMS token each (PIN `pin`, fixed number phoneOf(i)), written straight
 * into a new store in `dir`, in commits of 1,000: enrolling them through the API would take longer than the
 * benchmark. Returns the token seeds.
 */
export async function populate(dir, n, pin) {
  const { openStore } = await dist('store/store.js');
  const { loadOrCreateSecrets } = await dist('token/secrets.js');
  const { userKey } = await dist('token/users.js');
  const secrets = loadOrCreateSecrets(dir);
  const store = await openStore({ dataDir: dir });
  const pinHash = await secrets.hash(pin);
  const seeds = [];
  const now = Date.now();
  for (let start = 0; start < n; start += 1000) {
    const changes = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const login = `user${i}`;
      const phone = phoneOf(i);
      const seed = randomBytes(20).toString('hex');
      seeds.push(seed);
      changes.push({
        c: 'users',
        k: userKey('default', login),
        v: { login, realm: 'default', mobile: phone, givenname: '', surname: '', createdAt: now },
      });
      const serial = `PISM${String(i).padStart(8, '0')}`;
      changes.push({
        c: 'tokens',
        k: serial,
        v: {
          serial,
          type: 'sms',
          description: '',
          user: login,
          realm: 'default',
          keyEnc: secrets.encrypt(seed),
          hashlib: 'sha1',
          otpLength: 6,
          counter: 0,
          pinHash,
          phone,
          dynamicPhone: false,
          active: true,
          failCount: 0,
          maxFail: 10,
          failExceededAt: null,
          countAuth: 0,
          countAuthSuccess: 0,
          createdAt: now,
          recentChallenges: [],
          challenge: null,
        },
      });
    }
    await store.commit(changes);
  }
  await store.close();
  return seeds;
}

/**
 * What the login benchmarks set beside the listener: no blocking window or rate limit in the load's way, and
 * SMS to 16 simulated modems at 100 ms each, so the queue drains while the logins run without thousands of
 * zero-delay AT exchanges competing for the measured CPU.
 */
export const LOGIN_SETTINGS = {
  token: { blockingWindow: 0 },
  limits: { smsPerWindow: 10_000, validatePerSecond: 1e5, validateBurst: 1e6 },
  sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 100, count: 16 }] },
};

/**
 * Writes <dir>/config.json: a daemon on 127.0.0.1:`port` (more `listen` settings merged in), warnings only; returns its path.
 * @param {string} dir
 * @param {number} port
 * @param {{ listen?: Record<string, unknown>, [key: string]: unknown }} [settings]
 */
export function writeConfig(dir, port, { listen, ...settings } = {}) {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ listen: { host: '127.0.0.1', port, ...listen }, dataDir: dir, log: { level: 'warn' }, ...settings }));
  return file;
}

const fetchStatus = async (url) => (await fetch(url)).status;

/**
 * Starts `smsotpd serve --config cfg` as users do and waits up to 30 s for `${base}/healthz` to answer 200
 * (`status` asks it: fetch unless given; a self-signed HTTPS daemon needs its own). `startupMs` runs from the
 * spawn to that answer; `stop()` ends the daemon and waits for it.
 * @param {string} cfg
 * @param {string} base
 * @param {{ nodeArgs?: string[], stderr?: 'inherit' | 'ignore', status?: (url: string) => Promise<number | undefined> }} [opts]
 */
export async function startDaemon(cfg, base, { nodeArgs = [], stderr = 'inherit', status = fetchStatus } = {}) {
  const t0 = performance.now();
  const run = daemonCommand(['serve', '--config', cfg], nodeArgs);
  const child = spawn(run.command, run.args, { env: run.env, stdio: ['ignore', 'ignore', stderr] });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  for (;;) {
    if ((await status(`${base}/healthz`).catch(() => 0)) === 200) break;
    if (performance.now() - t0 > 30_000) {
      await stop();
      throw new Error('daemon did not become healthy within 30 s');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, startupMs: performance.now() - t0, stop };
}

/** An autocannon run against `url`: `connections` open at once, one request in flight on each. */
export const load = (url, connections, opts) =>
  new Promise((resolve, reject) => autocannon({ url, connections, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res))));

export const form = (o) => new URLSearchParams(o).toString();
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * An autocannon request for step 1 of a login (first factor -> challenge, SMS queued): `pick()` chooses each
 * request's user, `login(i)` gives user `i`'s { user, pass }; `onChallenge(i, transactionId)` hears of each challenge.
 */
export function step1Request(pick, login, onChallenge) {
  return {
    method: 'POST',
    path: '/validate/check',
    headers: FORM_HEADERS,
    setupRequest: (req, ctx) => {
      ctx.i = pick();
      return { ...req, body: form(login(ctx.i)) };
    },
    onResponse: (status, body, ctx) => {
      if (status !== 200) return;
      const d = JSON.parse(body);
      if (d.result?.authentication === 'CHALLENGE') onChallenge(ctx.i, d.detail.transaction_id);
    },
  };
}

/**
 * Step 2: each user's newest challenge in `tids` (user index -> transaction id) answered once, `answer(i)`
 * giving user `i`'s { user, pass } (the OTP from its SMS); then `tids` is emptied. `latencies`, when given,
 * gets each answer's time. `seconds` runs from the first request sent to the last answer: autocannon's own
 * start and stop are not the server's time.
 */
export async function answerAll({ url, connections, tids, answer, latencies }) {
  const ready = tids.map((t, i) => (t ? i : -1)).filter((i) => i >= 0);
  let k = 0;
  let ok = 0;
  let tFirst = /** @type {number | null} */ (null);
  let tLast = 0;
  const res = await load(url, connections, {
    amount: ready.length,
    requests: [
      {
        method: 'POST',
        path: '/validate/check',
        headers: FORM_HEADERS,
        setupRequest: (req, ctx) => {
          tFirst ??= performance.now();
          // One request in flight per connection (no pipelining): its context times it.
          ctx.sent = performance.now();
          const i = ready[k++ % ready.length];
          const { user, pass } = answer(i);
          return { ...req, body: form({ user, transaction_id: tids[i], pass }) };
        },
        onResponse: (status, body, ctx) => {
          tLast = performance.now();
          latencies?.push(tLast - ctx.sent);
          if (status === 200 && JSON.parse(body).result?.value === true) ok++;
        },
      },
    ],
  });
  tids.fill(null);
  return { res, ok, seconds: (tLast - (tFirst ?? tLast)) / 1000 };
}

/**
 * The newest OTP per number from <dir>/sim-sms.jsonl (what the simulated modems sent, as a user reads it),
 * once it holds at least `atLeast` SMS and has stopped growing.
 */
export async function latestOtps(dir, atLeast) {
  const file = path.join(dir, 'sim-sms.jsonl');
  let last = -1;
  for (let i = 0; i < 1200; i++) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      /* not yet written */
    }
    const lines = text.split('\n').filter(Boolean);
    if (lines.length >= atLeast && lines.length === last) {
      const map = new Map();
      for (const line of lines) {
        const r = JSON.parse(line);
        map.set(r.to, /(\d{6})/.exec(r.text)[1]);
      }
      return map;
    }
    last = lines.length;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the simulated modem did not record every SMS');
}

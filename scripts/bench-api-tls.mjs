// Step 2 of a login (transaction_id + OTP, fsynced) through the real daemon over HTTPS with the
// auto certificate beside the same over plain HTTP: 2,000 tokens, concurrency 16, keep-alive
// connections (what RADIUS/PAM/Keycloak clients hold), passes alternating between the two so the
// machine's drift hits both alike. Also the cost of a new TLS connection (handshake per request).
// Prints a markdown section on stdout; `npm run bench -- api` (or `-- api-tls`) runs it.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import autocannon from 'autocannon';
import { daemonCommand, dist, quantile } from './bench-util.mjs';

const { openStore } = await dist('store/store.js');
const { loadOrCreateSecrets } = await dist('token/secrets.js');
const { userKey } = await dist('token/users.js');

/** CPU time (ms, all threads) of a process from /proc: the cost per answer, which the shared machine's load moves far less than wall-clock rates. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * (1000 / CLOCK_TICKS);
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const N = Number(process.env.BENCH_TLS_TOKENS ?? 2000);
const PASSES = Number(process.env.BENCH_TLS_PASSES ?? 6);
const CONCURRENCY = 16;
const PIN = '4711';
const phoneOf = (i) => `+4917${String(10_000_000 + i)}`;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', () => r(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
  await new Promise((r) => s.close(r));
  return port;
}

async function populate(dir) {
  const secrets = loadOrCreateSecrets(dir);
  const store = await openStore({ dataDir: dir });
  const pinHash = await secrets.hash(PIN);
  const now = Date.now();
  const changes = [];
  for (let i = 0; i < N; i++) {
    const login = `user${i}`;
    changes.push({
      c: 'users',
      k: userKey('default', login),
      v: { login, realm: 'default', mobile: phoneOf(i), givenname: '', surname: '', createdAt: now },
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
        keyEnc: secrets.encrypt(randomBytes(20).toString('hex')),
        hashlib: 'sha1',
        otpLength: 6,
        counter: 0,
        pinHash,
        phone: phoneOf(i),
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
  await store.close();
}

async function startDaemon(tls) {
  const dir = mkdtempSync(path.join(tmpdir(), `smsotpd-bench-${tls ? 'https' : 'http'}-`));
  await populate(dir);
  const port = await freePort();
  const cfg = path.join(dir, 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      listen: { host: '127.0.0.1', port, ...(tls ? { tls: 'auto' } : {}) },
      dataDir: dir,
      log: { level: 'warn' },
      token: { blockingWindow: 0 },
      limits: { smsPerWindow: 10_000, validatePerSecond: 1e5, validateBurst: 1e6 },
      sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 100, count: 16 }] },
    }),
  );
  const run = daemonCommand(['serve', '--config', cfg]);
  const child = spawn(run.command, run.args, { env: run.env, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  for (let t0 = Date.now(); ;) {
    if ((await get(base, '/healthz').catch(() => 0)) === 200) break;
    if (Date.now() - t0 > 30_000) throw new Error('daemon did not become healthy');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { dir, base, child, tls, tids: new Array(N).fill(null), sent: 0 };
}

/** One GET on a fresh connection (no keep-alive): for TLS, a full handshake each time. */
function get(base, p) {
  const tls = base.startsWith('https');
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      `${base}${p}`,
      {
        agent: tls ? new HttpsAgent({ keepAlive: false, rejectUnauthorized: false }) : new HttpAgent({ keepAlive: false }),
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const form = (o) => new URLSearchParams(o).toString();
const headers = { 'content-type': 'application/x-www-form-urlencoded' };
const cannon = (d, opts) =>
  new Promise((resolve, reject) =>
    autocannon({ url: d.base, connections: CONCURRENCY, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res))),
  );

async function challengeAll(d) {
  let j = 0;
  await cannon(d, {
    amount: N,
    requests: [
      {
        method: 'POST',
        path: '/validate/check',
        headers,
        setupRequest: (req, ctx) => {
          ctx.i = j++ % N;
          return { ...req, body: form({ user: `user${ctx.i}`, pass: PIN }) };
        },
        onResponse: (status, body, ctx) => {
          const r = status === 200 ? JSON.parse(body) : null;
          if (r?.result?.authentication === 'CHALLENGE') {
            d.tids[ctx.i] = r.detail.transaction_id;
            d.sent++;
          }
        },
      },
    ],
  });
}

async function latestOtps(d) {
  const file = path.join(d.dir, 'sim-sms.jsonl');
  let last = -1;
  for (let i = 0; i < 1200; i++) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      /* not yet */
    }
    const lines = text.split('\n').filter(Boolean);
    if (lines.length >= d.sent && lines.length === last) {
      const map = new Map();
      for (const l of lines) {
        const r = JSON.parse(l);
        map.set(r.to, /(\d{6})/.exec(r.text)[1]);
      }
      return map;
    }
    last = lines.length;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the simulated modem did not record every SMS');
}

async function answerAll(d, otps, latencies) {
  const ready = d.tids.map((t, i) => (t ? i : -1)).filter((i) => i >= 0);
  let k = 0;
  let ok = 0;
  let tFirst = /** @type {number | null} */ (null);
  let tLast = 0;
  const res = await cannon(d, {
    amount: ready.length,
    requests: [
      {
        method: 'POST',
        path: '/validate/check',
        headers,
        setupRequest: (req, ctx) => {
          tFirst ??= performance.now();
          ctx.sent = performance.now();
          const i = ready[k++ % ready.length];
          return { ...req, body: form({ user: `user${i}`, transaction_id: d.tids[i], pass: otps.get(phoneOf(i)) ?? '000000' }) };
        },
        onResponse: (status, body, ctx) => {
          tLast = performance.now();
          latencies?.push(tLast - ctx.sent);
          if (status === 200 && JSON.parse(body).result?.value === true) ok++;
        },
      },
    ],
  });
  d.tids.fill(null);
  return { total: res.requests.total, non2xx: res.non2xx, ok, seconds: (tLast - (tFirst ?? tLast)) / 1000 };
}

async function handshakes(d, seconds = 3) {
  const times = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await get(d.base, '/healthz');
    times.push(performance.now() - t0);
  }
  return { perSecond: times.length / seconds, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

const loadStart = loadavg()[0];
const daemons = [await startDaemon(false), await startDaemon(true)];
const stats = new Map(daemons.map((d) => [d.tls, { total: 0, ok: 0, non2xx: 0, seconds: 0, cpu: 0, latencies: [], rps: [] }]));
try {
  // Warm-up of both, not measured (JIT, heap): one round of challenges and answers each.
  for (const d of daemons) {
    await challengeAll(d);
    await answerAll(d, await latestOtps(d), null);
  }
  for (let pass = 0; pass < PASSES; pass++) {
    for (const d of pass % 2 ? [...daemons].reverse() : daemons) {
      await challengeAll(d);
      const otps = await latestOtps(d);
      const s = stats.get(d.tls);
      const cpu0 = cpuMs(d.child.pid);
      const r = await answerAll(d, otps, s.latencies);
      s.cpu += cpuMs(d.child.pid) - cpu0;
      s.total += r.total;
      s.ok += r.ok;
      s.non2xx += r.non2xx;
      s.seconds += r.seconds;
      s.rps.push(r.total / r.seconds);
    }
  }
  const hs = new Map();
  for (const d of daemons) hs.set(d.tls, await handshakes(d));

  const f = (x, n = 0) => Number(x).toFixed(n);
  const lines = [
    `${N} tokens, concurrency ${CONCURRENCY}, loopback, every change fsynced before the answer. Two daemons side by side, one with \`listen.tls: "auto"\` (ECDSA P-256 certificate, TLS 1.3, Node's default ciphers) and one on plain HTTP; autocannon keeps its ${CONCURRENCY} connections open (keep-alive), as a RADIUS, PAM or Keycloak client does. Each pass: a round of step-1 logins (not measured), then every challenge answered once (step 2, measured); ${PASSES} passes per protocol after one warm-up round, alternating which protocol goes first so the machine's drift hits both alike.`,
    '',
    '| protocol | daemon CPU per answer | step 2 requests/s | median pass req/s | p50 ms | p99 ms | accepted | per pass req/s |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const tls of [false, true]) {
    const s = stats.get(tls);
    lines.push(
      `| ${tls ? 'HTTPS (keep-alive)' : 'HTTP (keep-alive)'} | ${f(s.cpu / s.total, 3)} ms | ${f(s.total / s.seconds)} | ${f(quantile(s.rps, 0.5))} | ${f(quantile(s.latencies, 0.5), 1)} | ${f(quantile(s.latencies, 0.99), 1)} | ${s.ok}/${s.total}${s.non2xx ? `, ${s.non2xx} non-2xx` : ''} | ${s.rps.map((x) => f(x)).join(', ')} |`,
    );
  }
  const plain = stats.get(false);
  const secure = stats.get(true);
  const cpuDiff = (100 * (secure.cpu / secure.total)) / (plain.cpu / plain.total) - 100;
  lines.push(
    '',
    `CPU per answer (the daemon's user + system time over the measured passes, all threads, from /proc): HTTPS ${f(secure.cpu / secure.total, 3)} ms, plain HTTP ${f(plain.cpu / plain.total, 3)} ms (${cpuDiff >= 0 ? '+' : ''}${f(cpuDiff)} %). Machine load average (1 min) at the start and the end: ${loadStart.toFixed(1)} and ${loadavg()[0].toFixed(1)} on ${cpus().length} cores; with other work on the machine every figure here moves, CPU per answer least. Over all passes HTTPS step 2 ran at ${f((100 * (secure.total / secure.seconds)) / (plain.total / plain.seconds))} % of plain HTTP's rate (median pass: ${f((100 * quantile(secure.rps, 0.5)) / quantile(plain.rps, 0.5))} %). The requests/s column is all answers over all passes' time; single passes are short and move with the shared machine's load, as their spread shows.`,
  );
  lines.push('', '| protocol | new connection + GET /healthz, one at a time | p50 ms | p99 ms |', '|---|---:|---:|---:|');
  for (const tls of [false, true]) {
    const h = hs.get(tls);
    lines.push(`| ${tls ? 'HTTPS (full handshake each)' : 'HTTP'} | ${f(h.perSecond)}/s | ${f(h.p50, 2)} | ${f(h.p99, 2)} |`);
  }
  lines.push(
    '',
    "A client that opens a connection per request pays the handshake (key exchange and an ECDSA signature, on the daemon's one JavaScript thread) every time: where the client can, keep connections open.",
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  for (const d of daemons) {
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
    rmSync(d.dir, { recursive: true, force: true });
  }
}

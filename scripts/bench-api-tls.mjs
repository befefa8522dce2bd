// Step 2 of a login (transaction_id + OTP, fsynced) through the real daemon over HTTPS with the
// auto certificate beside the same over plain HTTP: 2,000 tokens, concurrency 16, keep-alive
// connections (what RADIUS/PAM/Keycloak clients hold), passes alternating between the two so the
// machine's drift hits both alike. Also the cost of a new TLS connection (handshake per request).
// Prints a markdown section on stdout; `npm run bench -- api` (or `-- api-tls`) runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import {
  answerAll,
  cpuMs,
  freePort,
  latestOtps,
  LOGIN_SETTINGS,
  load,
  phoneOf,
  populate,
  quantile,
  startDaemon,
  step1Request,
  writeConfig,
} from './bench-util.mjs';

const N = Number(process.env.BENCH_TLS_TOKENS ?? 2000);
const PASSES = Number(process.env.BENCH_TLS_PASSES ?? 6);
const CONCURRENCY = 16;
const PIN = '4711';

async function launch(tls) {
  const dir = mkdtempSync(path.join(tmpdir(), `smsotpd-bench-${tls ? 'https' : 'http'}-`));
  await populate(dir, N, PIN);
  const port = await freePort();
  const cfg = writeConfig(dir, port, { ...LOGIN_SETTINGS, listen: tls ? { tls: 'auto' } : {} });
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const { child, stop } = await startDaemon(cfg, base, { status: get });
  return { dir, base, child, stop, tls, tids: new Array(N).fill(null), sent: 0 };
}

/** One GET on a fresh connection (no keep-alive): for TLS, a full handshake each time. */
function get(url) {
  const tls = url.startsWith('https');
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      url,
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

async function challengeAll(d) {
  let j = 0;
  await load(d.base, CONCURRENCY, {
    amount: N,
    requests: [
      step1Request(
        () => j++ % N,
        (i) => ({ user: `user${i}`, pass: PIN }),
        (i, tid) => {
          d.tids[i] = tid;
          d.sent++;
        },
      ),
    ],
  });
}

const answer = (d, otps, latencies) =>
  answerAll({
    url: d.base,
    connections: CONCURRENCY,
    tids: d.tids,
    answer: (i) => ({ user: `user${i}`, pass: otps.get(phoneOf(i)) ?? '000000' }),
    latencies,
  });

async function handshakes(d, seconds = 3) {
  const times = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await get(`${d.base}/healthz`);
    times.push(performance.now() - t0);
  }
  return { perSecond: times.length / seconds, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

const loadStart = loadavg()[0];
const daemons = [await launch(false), await launch(true)];
const stats = new Map(daemons.map((d) => [d.tls, { total: 0, ok: 0, non2xx: 0, seconds: 0, cpu: 0, latencies: [], rps: [] }]));
try {
  // Warm-up of both, not measured (JIT, heap): one round of challenges and answers each.
  for (const d of daemons) {
    await challengeAll(d);
    await answer(d, await latestOtps(d.dir, d.sent), null);
  }
  for (let pass = 0; pass < PASSES; pass++) {
    for (const d of pass % 2 ? [...daemons].reverse() : daemons) {
      await challengeAll(d);
      const otps = await latestOtps(d.dir, d.sent);
      const s = stats.get(d.tls);
      const cpu0 = cpuMs(d.child.pid);
      const r = await answer(d, otps, s.latencies);
      s.cpu += cpuMs(d.child.pid) - cpu0;
      s.total += r.res.requests.total;
      s.ok += r.ok;
      s.non2xx += r.res.non2xx;
      s.seconds += r.seconds;
      s.rps.push(r.res.requests.total / r.seconds);
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
    await d.stop();
    rmSync(d.dir, { recursive: true, force: true });
  }
}

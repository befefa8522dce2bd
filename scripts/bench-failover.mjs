// Failover and the gateway role: how fast an SMS leaves through the fallback once the modem is
// known to be down, and how many /sms/send requests per second the daemon queues durably.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchCore, form, FORM_HEADERS, load, phoneOf, quantile as q, root, startDaemon, until, writeConfig } from './bench-util.mjs';

const lines = [];

// 1. Modem failure → fallback. A Kannel-like gateway on loopback records when each SMS arrives.
{
  const arrived = new Map();
  const gw = createServer((req, res) => {
    arrived.set(new URL(req.url, 'http://x').searchParams.get('text'), performance.now());
    res.end('0: Accepted for delivery');
  });
  await new Promise((r) => gw.listen(0, '127.0.0.1', () => r(undefined)));
  const { store, providers, queue, close } = await benchCore([
    { id: 'hat', type: 'simulator', submitMs: 50 },
    {
      id: 'kannel',
      type: 'http',
      URL: `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (gw.address()).port}/cgi-bin/sendsms`,
      SMS_PHONENUMBER_KEY: 'to',
      SMS_TEXT_KEY: 'text',
      RETURN_SUCCESS: 'Accepted',
    },
  ]);
  const pool = providers[0];
  await until(() => pool.available(), 20_000);
  // (a) The modem's port goes away with messages waiting in its queue: from that moment to each
  //     waiting message's arrival at the gateway. (The one in flight is an unknown outcome and
  //     rightly stays with the modem, so it is not counted here.)
  const inflight = [];
  for (let i = 0; i < 20; i++) {
    const sim = pool.simulators[0];
    const modem = pool.modems[0];
    sim.o.submitMs = 400;
    const texts = Array.from({ length: 5 }, (_, k) => `queued ${i}.${k}`);
    const ids = [];
    for (const t of texts) ids.push(await queue(t));
    await until(() => ids.some((id) => store.get('outbox', id).state === 'sending'), 5000);
    await new Promise((r) => setTimeout(r, 100));
    const known = performance.now();
    await modem.o.transport.close();
    await until(() => ids.every((id) => ['sent', 'expired', 'failed'].includes(store.get('outbox', id).state)), 30_000);
    for (const t of texts) if (arrived.has(t)) inflight.push(arrived.get(t) - known);
    sim.o.submitMs = 50;
    await until(() => modem.state === 'ready', 20_000);
  }
  // (b) Messages queued while the modem is known to be down.
  await pool.modems[0].stop();
  const queued = [];
  for (let i = 0; i < 200; i++) {
    const text = `down ${i}`;
    const t0 = performance.now();
    await queue(text);
    await until(() => arrived.has(text), 5000);
    queued.push(arrived.get(text) - t0);
  }
  lines.push(
    'Providers: simulated modem first, a Kannel-like HTTP gateway on loopback second.',
    '',
    '| case | samples | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    `| modem port closes with messages in its queue → each at the gateway | ${inflight.length} | ${q(inflight, 0.5).toFixed(1)} | ${q(inflight, 0.99).toFixed(1)} | ${Math.max(...inflight).toFixed(1)} |`,
    `| modem known down, message queued → SMS at the gateway | ${queued.length} | ${q(queued, 0.5).toFixed(1)} | ${q(queued, 0.99).toFixed(1)} | ${Math.max(...queued).toFixed(1)} |`,
  );
  await close();
  gw.close();
}

// 2. /sms/send into the durable queue, through the real daemon, API key auth, concurrency 16.
{
  const dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-bsend-'));
  const port = 16000 + Math.floor(Math.random() * 1000);
  const cfg = writeConfig(dir, port, {
    limits: { bodyBytes: 65536 },
    sms: { maxQueued: 200_000, providers: [{ id: 'sim', type: 'simulator', submitMs: 1500 }] },
  });
  const main = path.join(root, 'dist/cli/smsotpd.cjs');
  const keyProc = spawn(process.execPath, [main, 'apikey', 'add', 'bench', '--config', cfg], { stdio: ['ignore', 'pipe', 'ignore'] });
  let key = '';
  keyProc.stdout.on('data', (d) => (key += d));
  await new Promise((r) => keyProc.once('exit', r));
  key = key.trim();
  const base = `http://127.0.0.1:${port}`;
  const { stop } = await startDaemon(cfg, base, { stderr: 'ignore' });
  let n = 0;
  const res = await load(base, 16, {
    duration: 10,
    requests: [
      {
        method: 'POST',
        path: '/sms/send',
        headers: { ...FORM_HEADERS, 'x-api-key': key },
        setupRequest: (req) => ({ ...req, body: form({ phone: phoneOf(n++ % 100000), text: `Gateway message ${n}` }) }),
      },
    ],
  });
  await stop();
  rmSync(dir, { recursive: true, force: true });
  // The queue only fills here (a real modem's pace), so the bench lifts sms.maxQueued (default
  // 10,000, beyond which /sms/send answers 503): what is measured is accepting, not refusing.
  lines.push(
    '',
    `\`POST /sms/send\` (API key in X-API-Key, each message fsynced into the outbox before the answer, the simulated modem draining the queue meanwhile at a real modem's pace, 1.5 s per SMS; \`sms.maxQueued\` raised to 200,000 so every message is accepted), concurrency 16, 10 s: **${(res['2xx'] / res.duration).toFixed(0)} messages queued/s**, p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms, non-2xx ${res.non2xx}.`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);

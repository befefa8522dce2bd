// Modem throughput, latency and fault tolerance through the real stack: outbox (fsynced store),
// dispatcher, pool, AT driver, simulated modems. Prints a markdown section on stdout.
import { benchCore, until } from './bench-util.mjs';

async function rig(sim) {
  const r = await benchCore([{ id: 'hat', type: 'simulator', maxAttempts: 100, breakerThreshold: 1000, ...sim }], { sms: { retryBaseMs: 100, retryMaxMs: 1000 } });
  const pool = r.providers[0];
  await until(() => pool.modems.every((m) => m.state === 'ready'), 20_000);
  return { ...r, pool };
}

const lines = [];
const SUBMIT_MS = 1500;

// 1. Throughput at 1.5 s per submit: the ceiling is 40 SMS per minute per modem.
lines.push(`Simulated submit time ${SUBMIT_MS} ms, so the limit is modems × 40 SMS/min. Messages are queued up front (30 s of work) and timed from the first AT+CMGS to the last +CMGS answer.`, '', '| modems | messages | SMS/min | limit | of limit |', '|---:|---:|---:|---:|---:|');
for (const n of [1, 2, 4]) {
  const r = await rig({ count: n, submitMs: SUBMIT_MS });
  const m = 20 * n;
  let first = 0;
  for (const s of r.pool.simulators) {
    const orig = s.o.onCommand;
    s.o.onCommand = (line) => { if (!first && line.startsWith('AT+CMGS')) first = performance.now(); orig?.(line); };
  }
  const ids = [];
  for (let i = 0; i < m; i++) ids.push(await r.queue(`throughput ${i}`));
  await until(() => ids.every((id) => r.store.get('outbox', id).state === 'sent'), 120_000);
  const elapsedMin = (performance.now() - first) / 60_000;
  const rate = m / elapsedMin;
  lines.push(`| ${n} | ${m} | ${rate.toFixed(1)} | ${n * 40} | ${((rate / (n * 40)) * 100).toFixed(1)} % |`);
  await r.close();
}

// 2. Latency from a committed message to its AT+CMGS on an idle modem.
{
  const r = await rig({ count: 1, submitMs: 5 });
  const sim = r.pool.simulators[0];
  let seenAt = 0;
  sim.o.onCommand = (line) => { if (line.startsWith('AT+CMGS')) seenAt = performance.now(); };
  const lat = [];
  for (let i = 0; i < 300; i++) {
    seenAt = 0;
    const t0 = performance.now();
    const id = await r.queue(`latency ${i}`);
    const queuedAt = t0;
    await until(() => r.store.get('outbox', id).state === 'sent', 5000);
    if (i >= 20) lat.push(seenAt - queuedAt); // the first ones warm the JIT
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  lines.push('', `Queued → AT+CMGS on an idle modem (${lat.length} messages, one at a time; includes the fsync of the queued and the sending state): p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat.at(-1).toFixed(2)} ms.`);
  await r.close();
}

// 3. 200 messages with 20 % temporary errors and two spontaneous reboots.
{
  const r = await rig({ count: 1, submitMs: 20, faults: { seed: 7, temporaryErrorRate: 0.2 } });
  const sim = r.pool.simulators[0];
  const ids = [];
  for (let i = 0; i < 200; i++) ids.push(await r.queue(`fault run ${i}`));
  let rebooted = 0;
  const t0 = performance.now();
  await until(() => {
    const sent = ids.filter((id) => r.store.get('outbox', id).state === 'sent').length;
    if ((rebooted === 0 && sent >= 60) || (rebooted === 1 && sent >= 130)) {
      rebooted++;
      sim.reboot();
    }
    return ids.every((id) => ['sent', 'failed', 'expired'].includes(r.store.get('outbox', id).state));
  }, 180_000);
  const texts = sim.accepted.map((a) => a.text);
  const distinct = new Set(texts);
  const delivered = ids.filter((_, i) => distinct.has(`fault run ${i}`)).length;
  const counted = ids.reduce((s, id) => s + r.store.get('outbox', id).duplicates, 0);
  lines.push('', `200 messages, 20 % temporary +CMS errors, 2 spontaneous reboots (simulated submit 20 ms): delivered ${delivered}/200, duplicates ${texts.length - distinct.size} (counted as possible duplicates: ${counted}), lost ${200 - delivered}, temporary errors met ${sim.stats.temporaryErrors}, reboots seen by the driver ${r.pool.modems[0].counters.reboots}, in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  await r.close();
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);

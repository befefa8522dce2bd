// Delivery reports and the inbox: what matching a status report costs with a full outbox
// history, and what storing and listing received SMS costs. The provider is an in-script modem
// pool face (TP-MR per part, status reports, received SMS); dispatcher, store and inbox are real.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dist, quantile as q, until } from './bench-util.mjs';

const { parseConfig } = await dist('config/load.js');
const { openStore } = await dist('store/store.js');
const { createCore } = await dist('core.js');
const { buildQueuedMessage } = await dist('sms/outbox.js');
const { silentLogger } = await dist('util/logger.js');

class BenchPool {
  id = 'pool';
  type = 'bench';
  mr = 0;
  reportListeners = [];
  incomingListeners = [];
  async start() {}
  async stop() {}
  available() {
    return true;
  }
  expectedWaitMs() {
    return 0;
  }
  status() {
    return { id: this.id, type: this.type, health: 'ready', detail: { modems: [{ id: 'm1', state: 'ready' }] } };
  }
  async send() {
    const references = [this.mr];
    this.mr = (this.mr + 1) % 256;
    return { ok: true, references, modemId: 'm1', reportRequested: true, ref: String(references[0]) };
  }
  onDeliveryReport(l) {
    this.reportListeners.push(l);
  }
  onIncoming(l) {
    this.incomingListeners.push(l);
  }
  report(r) {
    for (const l of this.reportListeners)
      l({ providerId: this.id, modemId: 'm1', outcome: 'delivered', status: 0, dischargeTime: Date.now(), receivedAt: Date.now(), ...r });
  }
}

const lines = [];
const dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-bench-'));
const config = parseConfig({ dataDir: dir, sms: { keepFinalMax: 2000 } });
const store = await openStore({ dataDir: dir });
const pool = new BenchPool();
const core = createCore({ config, store, logger: silentLogger, providers: [pool] });
await core.start();
const { dispatcher, inbox } = core.deps;

// A full outbox history: 2,000 sent messages (sms.keepFinalMax's default), 2,000 numbers.
const N = 2000;
const to = (i) => `+49176${String(10_000_000 + i)}`;
const ids = [];
for (let i = 0; i < N; i++) {
  const now = Date.now();
  const { record, change } = buildQueuedMessage(
    { to: to(i), text: `Your login code is ${100000 + i}`, expiresAt: now + 600_000, origin: 'api' },
    now,
    (s) => core.secrets.encrypt(s),
  );
  await store.commit([change]);
  dispatcher.enqueued(record.id);
  ids.push(record.id);
}
await until(() => ids.every((id) => store.get('outbox', id)?.state === 'sent'), 120_000);

// 1. Unmatched reports: the in-memory path (index lookup, recipient compare), no disk.
{
  const M = 50_000;
  const t0 = performance.now();
  for (let i = 0; i < M; i++) pool.report({ reference: i % 256, recipient: '+4915100000000' });
  const us = ((performance.now() - t0) * 1000) / M;
  lines.push(
    `- Unmatched report (index hit, every candidate's recipient compared, ${N} messages tracked): **${us.toFixed(1)} µs** each (${M.toLocaleString('en')} reports).`,
  );
}

// 2. 2,000 delivered reports as one burst (the last 256 messages own the current TP-MRs; the
//    older ones are told apart by recipient): each commit is durable before it counts.
{
  const t0 = performance.now();
  for (let i = 0; i < N; i++) pool.report({ reference: i % 256, recipient: to(i) });
  await dispatcher.delivery.drain();
  const ms = performance.now() - t0;
  const delivered = ids.filter((id) => store.get('outbox', id)?.state === 'delivered').length;
  lines.push(
    `- ${N} delivered reports in one burst: ${delivered}/${N} matched, **${Math.round((N / ms) * 1000).toLocaleString('en')} reports/s** (${ms.toFixed(0)} ms, group-committed fsyncs); tracking index ${dispatcher.delivery.indexSize()} entries.`,
  );
}

// 3. The same as a trickle: one report at a time, each waited for (what a modem's +CDS is).
{
  const more = [];
  for (let i = 0; i < 200; i++) {
    const now = Date.now();
    const { record, change } = buildQueuedMessage({ to: to(i), text: 'x', expiresAt: now + 600_000, origin: 'api' }, now, (s) =>
      core.secrets.encrypt(s),
    );
    await store.commit([change]);
    dispatcher.enqueued(record.id);
    more.push(record.id);
  }
  await until(() => more.every((id) => store.get('outbox', id)?.state === 'sent'), 60_000);
  const lat = [];
  for (const id of more) {
    const r = store.get('outbox', id);
    const t0 = performance.now();
    pool.report({ reference: r.report.parts[0].ref, recipient: r.to });
    await dispatcher.delivery.drain();
    lat.push(performance.now() - t0);
  }
  lines.push(
    `- One report at a time, until durable: p50 **${q(lat, 0.5).toFixed(2)} ms**, p99 ${q(lat, 0.99).toFixed(2)} ms (200 reports; the fsync is most of it).`,
  );
}
lines.push(
  `- Tracking adds ${JSON.stringify(store.get('outbox', ids.at(-1)).report).length} bytes of JSON to a delivered one-part record; the index holds one entry per part of each message sent within sms.reportWindowHours that is still kept.`,
);

// 4. The inbox: 1,000 received SMS of 160 characters stored one after another (each durable),
//    a page of 50 listed (decrypting 50 texts), and the state it adds.
{
  const text =
    'Ihr Guthaben betraegt 4,20 EUR. Gueltig bis 31.12.2026. Aufladen mit *103*Code# oder in der App. Info: 22 22 (kostenlos). Ihr Mobilfunkanbieter. 1234567890';
  const lat = [];
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    await pool.incomingListeners[0]({ providerId: 'pool', modemId: 'm1', from: '+491771234567', text, t: Date.now() });
    lat.push(performance.now() - t0);
  }
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) inbox.list(1 + (i % 20), 50);
  const listMs = (performance.now() - t0) / 100;
  const bytes = JSON.stringify(store.data.inbox).length;
  lines.push(
    `- Inbox: storing a received SMS (160 characters, encrypted, durable): p50 **${q(lat, 0.5).toFixed(2)} ms**, p99 ${q(lat, 0.99).toFixed(2)} ms; listing a page of 50: ${listMs.toFixed(2)} ms; ${inbox.size()} messages (sms.inboxMax) take ${(bytes / 1024).toFixed(0)} KB of state (${Math.round(bytes / inbox.size())} bytes each).`,
  );
}

await core.stop();
await store.close();
lines.push(`- Data dir after the run: state.json ${(statSync(path.join(dir, 'state.json')).size / 1024).toFixed(0)} KB.`);
rmSync(dir, { recursive: true, force: true });
console.log(lines.join('\n'));

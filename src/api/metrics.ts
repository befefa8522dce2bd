import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { threadPoolSize } from '../util/thread-pool.js';
import type { Store } from '../store/types.js';
import type { Dispatcher } from '../sms/dispatcher.js';
import { REPORT_OUTCOMES } from '../sms/delivery.js';
import type { Inbox } from '../sms/inbox.js';

/**
 * Prometheus metrics. Request and login counters are counted as they happen; SMS, queue,
 * provider and modem figures are read from the dispatcher at scrape time, so there is one
 * source of truth and nothing to keep in step.
 */
export interface Metrics {
  registry: Registry;
  request(endpoint: string, result: string): void;
  /** Wraps a store so every commit's latency (including the group-commit wait) is observed. */
  instrumentStore(store: Store): Store;
  attach(dispatcher: Dispatcher, inbox?: Inbox): void;
}

const FAILURE_KINDS = ['temporary', 'permanent', 'unavailable', 'ambiguous'] as const;
const MODEM_STATES = ['booting', 'sim-locked', 'searching', 'registered', 'ready', 'failed', 'recovering', 'offline'];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'smsotpd_process_' });
  let dispatcher: Dispatcher | null = null;
  let inbox: Inbox | null = null;

  const requests = new Counter({ name: 'smsotpd_http_requests_total', help: 'HTTP requests by endpoint and result', labelNames: ['endpoint', 'result'], registers: [registry] });
  const storeWrite = new Histogram({
    name: 'smsotpd_store_commit_seconds',
    help: 'Time from a state change to its being on disk (journal write + fsync, group-committed)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });

  /** A counter whose value is read from elsewhere at scrape time. */
  const derivedCounter = (name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, v: number) => void) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        read((labels, v) => {
          if (v > 0) this.inc(labels, v);
        });
      },
    });
  const derivedGauge = (name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, v: number) => void) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        read((labels, v) => this.set(labels, v));
      },
    });

  const threadPool = new Gauge({ name: 'smsotpd_thread_pool_size', help: "libuv threads: they run the PIN KDF and the journal's fsyncs", registers: [registry] });
  threadPool.set(threadPoolSize());

  derivedCounter('smsotpd_sms_attempts_total', 'SMS attempts by provider and outcome', ['provider', 'outcome'], (set) => {
    for (const p of dispatcher?.status().providers ?? []) {
      set({ provider: p.id, outcome: 'sent' }, p.sent);
      for (const k of FAILURE_KINDS) set({ provider: p.id, outcome: k }, p.failures[k]);
    }
  });
  derivedCounter('smsotpd_sms_messages_total', 'Messages that reached a final state', ['state'], (set) => {
    const c = dispatcher?.counters;
    if (!c) return;
    set({ state: 'sent' }, c.sent);
    set({ state: 'expired' }, c.expired);
    set({ state: 'failed' }, c.failed);
  });
  derivedCounter('smsotpd_sms_retries_total', 'Retries after temporary failures', [], (set) => set({}, dispatcher?.counters.retries ?? 0));
  derivedCounter('smsotpd_sms_duplicates_total', 'Resends after an unknown outcome (possible duplicates)', [], (set) => set({}, dispatcher?.counters.duplicates ?? 0));
  derivedCounter('smsotpd_sms_failovers_total', 'Messages moved to another provider', [], (set) => set({}, dispatcher?.counters.failovers ?? 0));
  derivedGauge('smsotpd_queue_depth', 'Messages waiting or in flight', [], (set) => set({}, dispatcher?.queueDepth() ?? 0));
  derivedGauge('smsotpd_queue_oldest_age_seconds', 'Age of the oldest message not yet final', [], (set) => set({}, (dispatcher?.oldestQueuedAgeMs() ?? 0) / 1000));
  derivedGauge('smsotpd_provider_up', 'Provider health: 1 ready, 0.5 degraded or starting, 0 down', ['provider', 'type'], (set) => {
    for (const p of dispatcher?.status().providers ?? []) set({ provider: p.id, type: p.type }, p.health === 'ready' ? 1 : p.health === 'down' ? 0 : 0.5);
  });
  derivedGauge('smsotpd_provider_breaker_open', 'Circuit breaker open (1) or half-open (0.5)', ['provider'], (set) => {
    for (const p of dispatcher?.status().providers ?? []) set({ provider: p.id }, p.breaker.state === 'open' ? 1 : p.breaker.state === 'half-open' ? 0.5 : 0);
  });
  derivedGauge('smsotpd_modem_signal_dbm', 'Modem signal strength', ['modem'], (set) => {
    for (const m of modemsOf(dispatcher)) if (typeof m.signalDbm === 'number') set({ modem: m.id }, m.signalDbm);
  });
  derivedGauge('smsotpd_modem_state', 'Modem state (1 for the current state)', ['modem', 'state'], (set) => {
    for (const m of modemsOf(dispatcher)) for (const s of MODEM_STATES) set({ modem: m.id, state: s }, m.state === s ? 1 : 0);
  });

  // Delivery reports (contract 8): the delivery ratio is
  // delivery_outcomes_total{outcome="delivered"} / reports_requested_total.
  derivedCounter('smsotpd_sms_delivery_reports_total', 'Status reports by what became of them (one per part)', ['outcome'], (set) => {
    const r = dispatcher?.delivery.counters.reports;
    if (r) for (const k of REPORT_OUTCOMES) set({ outcome: k }, r[k]);
  });
  derivedCounter('smsotpd_sms_reports_requested_total', 'Messages sent with a status report requested', [], (set) => set({}, dispatcher?.delivery.counters.requested ?? 0));
  derivedCounter('smsotpd_sms_delivery_outcomes_total', 'Messages a status report settled, by outcome', ['outcome'], (set) => {
    const c = dispatcher?.delivery.counters;
    if (!c) return;
    set({ outcome: 'delivered' }, c.delivered);
    set({ outcome: 'undelivered' }, c.undelivered);
  });
  const queuedToHandset = new Histogram({
    name: 'smsotpd_sms_queued_to_delivered_seconds',
    help: 'From queueing a message to the handset having it (TP-DT of the last part report, or its arrival)',
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 21600],
    registers: [registry],
  });
  derivedCounter('smsotpd_sms_received_total', 'SMS received and stored in the inbox', [], (set) => set({}, inbox?.counters.received ?? 0));

  return {
    registry,
    request(endpoint, result) {
      requests.inc({ endpoint, result });
    },
    attach(d, i) {
      dispatcher = d;
      inbox = i ?? null;
      d.delivery.onSettled((e) => {
        if (e.state === 'delivered') queuedToHandset.observe(e.queuedToHandsetMs / 1000);
      });
    },
    instrumentStore(store) {
      return {
        get data() {
          return store.data;
        },
        get: (c, k) => store.get(c, k),
        async commit(changes) {
          // performance.now, not startTimer(): this runs for every change, and the timer's
          // labels object and hrtime pairs would be garbage each time.
          const t0 = performance.now();
          try {
            await store.commit(changes);
          } finally {
            storeWrite.observe((performance.now() - t0) / 1000);
          }
        },
        close: () => store.close(),
        stats: () => store.stats(),
      };
    },
  };
}

interface ModemView {
  id: string;
  state?: string;
  signalDbm?: number;
}

/** Modem providers list their modems in `status().detail.modems` (see src/sms/providers/modem.ts). */
function modemsOf(d: Dispatcher | null): ModemView[] {
  const out: ModemView[] = [];
  for (const p of d?.status().providers ?? []) {
    const modems = (p.detail as { modems?: unknown }).modems;
    if (Array.isArray(modems)) for (const m of modems) if (m && typeof m === 'object' && 'id' in m) out.push(m as ModemView);
  }
  return out;
}

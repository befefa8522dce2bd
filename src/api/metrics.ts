import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { threadPoolSize } from '../util/thread-pool.js';
import type { Dispatcher } from '../sms/dispatcher.js';
import { REPORT_OUTCOMES } from '../sms/delivery.js';
import type { Inbox } from '../sms/inbox.js';

/**
 * Prometheus metrics. Request and login counters are counted as they happen; SMS, queue,
 * provider and modem figures are read from the dispatcher at scrape time, so there is one
 * source of truth and nothing to keep in step.
 *
 * Naming (docs/operations.md lists every metric): ours start with `smsotpd_`; Node's process
 * metrics keep their standard names (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`)
 * so stock Node dashboards work. Labels are bounded sets: a route pattern, never a raw path; a
 * gauge is 0 or 1 (state sets rather than fractions). To add one: a derivedCounter/derivedGauge
 * read from its owner at scrape time, or a Histogram observed from an event.
 */
export interface HttpObservation {
  method: string;
  /** The matched route pattern (`/token/:serial`), or `unknown` for no route. */
  route: string;
  status: number;
  seconds: number;
  /** For /validate/*: privacyIDEA's authentication result (ACCEPT, REJECT, CHALLENGE...). */
  authentication?: string;
}

export interface Metrics {
  registry: Registry;
  request(o: HttpObservation): void;
  /** One store commit's latency in seconds, the group-commit wait included (core.ts wires the store to it). */
  observeStoreCommit: (seconds: number) => void;
  attach(dispatcher: Dispatcher, inbox?: Inbox): void;
}

const FAILURE_KINDS = ['temporary', 'permanent', 'unavailable', 'ambiguous'] as const;
const HEALTH_STATES = ['ready', 'degraded', 'starting', 'down'] as const;
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

/**
 * prom-client's event-loop delay gauges read a histogram that it resets on every scrape; a scrape
 * with no sample since the last shows its empty state (min 9223372036.85 s, mean NaN). These
 * keep the standard names, sample every 20 ms, and reset only after a window that had samples.
 */
function eventLoopDelay(registry: Registry): void {
  const h = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  const read: Array<[string, string, () => number]> = [
    ['min', 'minimum', () => h.min],
    ['max', 'maximum', () => h.max],
    ['mean', 'mean', () => h.mean],
    ['stddev', 'standard deviation', () => h.stddev],
    ['p50', '50th percentile', () => h.percentile(50)],
    ['p90', '90th percentile', () => h.percentile(90)],
    ['p99', '99th percentile', () => h.percentile(99)],
  ];
  let last = new Map<string, number>();
  const gauges = read.map(([k, words]) => {
    registry.removeSingleMetric(`nodejs_eventloop_lag_${k}_seconds`);
    return new Gauge({
      name: `nodejs_eventloop_lag_${k}_seconds`,
      help: `The ${words} of the event loop delay since the previous scrape, in seconds.`,
      registers: [registry],
      collect() {
        this.set(last.get(k) ?? 0);
      },
    });
  });
  // One snapshot per scrape, taken by the first gauge collected, so all seven describe one window.
  const snapshot = gauges[0]!;
  const collectFirst = (snapshot as unknown as { collect: () => void }).collect;
  (snapshot as unknown as { collect: () => void }).collect = function (this: Gauge) {
    if (h.count > 0) {
      const next = new Map<string, number>();
      for (const [k, , get] of read) {
        const v = get() / 1e9;
        if (Number.isFinite(v)) next.set(k, v);
      }
      last = next;
      h.reset();
    }
    collectFirst.call(this);
  };
}
// The modem lifecycle's states (src/modem/lifecycle.ts MODEM_STATES; api/ may not import modem/).
const MODEM_STATES = ['off', 'unavailable', 'booting', 'sim', 'sim-locked', 'registering', 'ready', 'sending', 'recovering', 'failed'];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  eventLoopDelay(registry);
  let dispatcher: Dispatcher | null = null;
  let inbox: Inbox | null = null;

  const requests = new Counter({
    name: 'smsotpd_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'smsotpd_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (a login step includes its PIN check and SMS queueing)',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const authentications = new Counter({
    name: 'smsotpd_validate_results_total',
    help: 'Answers of /validate/* by privacyIDEA authentication result (ACCEPT, REJECT, CHALLENGE...)',
    labelNames: ['route', 'result'],
    registers: [registry],
  });
  const queuedToSent = new Histogram({
    name: 'smsotpd_sms_queued_to_sent_seconds',
    help: 'From queueing a message to a provider accepting it (retries and failovers included)',
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const storeWrite = new Histogram({
    name: 'smsotpd_store_commit_seconds',
    help: 'Time from a state change to its being on disk (journal write + fsync, group-committed)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });

  /** A counter whose value is read from elsewhere at scrape time. */
  const derivedCounter = (
    name: string,
    help: string,
    labelNames: string[],
    read: (set: (labels: Record<string, string>, v: number) => void) => void,
  ) =>
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

  const threadPool = new Gauge({
    name: 'smsotpd_thread_pool_size',
    help: "libuv threads: they run the PIN KDF and the journal's fsyncs",
    registers: [registry],
  });
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
  derivedCounter('smsotpd_sms_duplicates_total', 'Resends after an unknown outcome (possible duplicates)', [], (set) =>
    set({}, dispatcher?.counters.duplicates ?? 0),
  );
  derivedCounter('smsotpd_sms_failovers_total', 'Messages moved to another provider', [], (set) => set({}, dispatcher?.counters.failovers ?? 0));
  derivedGauge('smsotpd_queue_depth', 'Messages waiting or in flight', [], (set) => set({}, dispatcher?.queueDepth() ?? 0));
  derivedGauge('smsotpd_queue_oldest_age_seconds', 'Age of the oldest message not yet final', [], (set) =>
    set({}, (dispatcher?.oldestQueuedAgeMs() ?? 0) / 1000),
  );
  derivedGauge('smsotpd_provider_up', 'Provider can send: 1 ready or degraded, 0 down or still starting', ['provider', 'type'], (set) => {
    for (const p of dispatcher?.status().providers ?? [])
      set({ provider: p.id, type: p.type }, p.health === 'ready' || p.health === 'degraded' ? 1 : 0);
  });
  derivedGauge(
    'smsotpd_provider_degraded',
    'Provider sends, but not at full strength (a pool with a modem down): 1, else 0',
    ['provider', 'type'],
    (set) => {
      for (const p of dispatcher?.status().providers ?? []) set({ provider: p.id, type: p.type }, p.health === 'degraded' ? 1 : 0);
    },
  );
  derivedGauge('smsotpd_provider_health', 'Provider health (1 for the current state)', ['provider', 'health'], (set) => {
    for (const p of dispatcher?.status().providers ?? []) for (const h of HEALTH_STATES) set({ provider: p.id, health: h }, p.health === h ? 1 : 0);
  });
  derivedGauge('smsotpd_provider_breaker_state', 'Circuit breaker state (1 for the current state)', ['provider', 'state'], (set) => {
    for (const p of dispatcher?.status().providers ?? [])
      for (const b of BREAKER_STATES) set({ provider: p.id, state: b }, p.breaker.state === b ? 1 : 0);
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
  derivedCounter('smsotpd_sms_reports_requested_total', 'Messages sent with a status report requested', [], (set) =>
    set({}, dispatcher?.delivery.counters.requested ?? 0),
  );
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
    request(o) {
      const method = METHODS.has(o.method) ? o.method : 'other';
      requests.inc({ method, route: o.route, status: String(o.status) });
      requestSeconds.observe({ method, route: o.route }, o.seconds);
      if (o.authentication) authentications.inc({ route: o.route, result: o.authentication });
    },
    attach(d, i) {
      dispatcher = d;
      inbox = i ?? null;
      d.onFinished((rec) => {
        if (rec.state === 'sent' && rec.sentAt !== null) queuedToSent.observe(Math.max(0, rec.sentAt - rec.createdAt) / 1000);
      });
      d.delivery.onSettled((e) => {
        if (e.state === 'delivered') queuedToHandset.observe(e.queuedToHandsetMs / 1000);
      });
    },
    observeStoreCommit: (seconds) => storeWrite.observe(seconds),
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

/**
 * The route label of a request: the pattern of the handler that answered (`/token/:serial`),
 * never the raw path (serials and user names would be unbounded label values). Middleware
 * (`app.use`, method ALL) is skipped, so a request refused by the auth middleware counts under
 * the same route as one answered by the handler; no matching handler is `unknown`.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path.length > 1 ? r.path.replace(/\/+$/, '') : r.path;
  }
  return 'unknown';
}

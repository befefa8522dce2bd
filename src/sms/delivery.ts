import type { OutboxRecord, OutboxReport, OutboxReportPart, Store } from '../store/types.js';
import type { AuditLog } from '../util/audit.js';
import type { Clock } from '../util/clock.js';
import { maskPhone, type Logger } from '../util/logger.js';
import { appendHop } from './outbox.js';
import type { DeliveryReport, SendOk } from './provider.js';
import { sameRecipient } from './recipient.js';

/**
 * Matches status reports (SMS-STATUS-REPORT) to sent outbox messages and moves them on to
 * `delivered` or `undelivered` (contract 8).
 *
 * A report names the modem, the part's TP-MR and the recipient. TP-MR is one octet per SIM and
 * wraps every 256 submits, so a match also needs the recipient (compared normalised) and a time
 * window: the report must come after the attempt that sent the message started, and at most
 * sms.reportWindowHours after it was sent. Of several messages that fit, the one whose attempt
 * the report's TP-SCTS falls on (within a minute) wins, or else the newest: a report never lands
 * on an older message that a newer one with the same reference has superseded, unless the
 * service centre's own time stamp says it is that older one's.
 *
 * A report can overtake the dispatcher: part 1's report may arrive while part 2 is being
 * submitted, or before the `sent` commit lands. Reports that match nothing while their provider
 * has an attempt in flight are held briefly and matched again when a message is registered.
 */

/** What happened to one report. */
export type ReportOutcome = 'delivered' | 'undelivered' | 'pending' | 'unmatched' | 'ignored' | 'malformed';
export const REPORT_OUTCOMES: readonly ReportOutcome[] = ['delivered', 'undelivered', 'pending', 'unmatched', 'ignored', 'malformed'];

/** A message whose delivery became known, for metrics. */
export interface DeliverySettled {
  id: string;
  state: 'delivered' | 'undelivered';
  /** From queueing to the handset (delivered) or to the network giving up (undelivered). */
  queuedToHandsetMs: number;
}

export interface DeliveryCounters {
  /** Reports by what became of them (per part: a 3-part message has 3 reports). */
  reports: Record<ReportOutcome, number>;
  /** Messages sent with a status report requested, and those whose outcome became known. */
  requested: number;
  delivered: number;
  undelivered: number;
}

export interface DeliveryTrackerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  audit?: AuditLog;
  /** sms.reportWindowHours in ms. */
  windowMs: number;
  /** Whether the provider has a submit in flight: a report that matches nothing yet may be its. */
  inFlight(providerId: string): boolean;
}

/** Clocks of the modem and of this host may differ a little; the service centre's more. */
const CLOCK_SKEW_MS = 60_000;
/** Reports held for a message still being sent: at most this many, for at most this long. */
const HELD_MAX = 256;
const HELD_MS = 5 * 60_000;
const FIELD_MAX = 64;

interface Held {
  report: DeliveryReport;
  heldAt: number;
}

const hex = (st: number) => `0x${st.toString(16).padStart(2, '0')}`;

/** TP-ST values by name (3GPP 23.040 9.2.3.15). */
const STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'received by the handset'],
  [0x01, 'forwarded, not confirmed'],
  [0x02, 'replaced by the service centre'],
  [0x20, 'congestion'],
  [0x21, 'handset busy'],
  [0x22, 'no response from the handset'],
  [0x23, 'service rejected'],
  [0x24, 'quality of service not available'],
  [0x25, 'error in the handset'],
  [0x40, 'remote procedure error'],
  [0x41, 'incompatible destination'],
  [0x42, 'connection rejected by the handset'],
  [0x43, 'not obtainable'],
  [0x44, 'quality of service not available'],
  [0x45, 'no interworking available'],
  [0x46, 'validity period expired'],
  [0x47, 'deleted by the sender'],
  [0x48, 'deleted by the service centre'],
  [0x49, 'message does not exist'],
]);

/** 3GPP 23.040 9.2.3.15, for the audit log and the hops of a message. */
export function describeStatus(st: number): string {
  const retried = st >= 0x60 && st <= 0x65 ? `${STATUS_NAMES.get(st - 0x40)}, no more attempts` : undefined;
  const name =
    STATUS_NAMES.get(st) ??
    retried ??
    (st < 0x20 ? 'delivered (service centre specific)' : st < 0x40 ? 'still trying' : st < 0x80 ? 'failed' : 'reserved');
  return `TP-ST ${hex(st)} ${name}`;
}

/** The report, checked field by field; null when a provider handed over something malformed. */
function checked(r: unknown, providerId: string): DeliveryReport | null {
  if (!r || typeof r !== 'object') return null;
  const x = r as Record<string, unknown>;
  const str = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= FIELD_MAX;
  const time = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (x.providerId !== providerId || !str(x.modemId) || !str(x.recipient)) return null;
  if (!Number.isInteger(x.reference) || (x.reference as number) < 0 || (x.reference as number) > 255) return null;
  if (!Number.isInteger(x.status) || (x.status as number) < 0 || (x.status as number) > 255) return null;
  if (x.outcome !== 'delivered' && x.outcome !== 'undelivered' && x.outcome !== 'pending') return null;
  if (!time(x.dischargeTime) || !time(x.receivedAt)) return null;
  if (x.submitTime !== undefined && !time(x.submitTime)) return null;
  return r as DeliveryReport;
}

const validRef = (r: number) => Number.isInteger(r) && r >= 0 && r <= 255;

/**
 * The tracking a sent message starts with, or null when its provider cannot report on it. A part
 * whose TP-MR the modem did not say (-1) is kept as such: no report can confirm it, so the
 * message can become undelivered but never delivered.
 */
export function reportTracking(result: SendOk, since: number): OutboxReport | null {
  const refs = result.references;
  if (!result.reportRequested || typeof result.modemId !== 'string' || !result.modemId || !Array.isArray(refs) || refs.length === 0) return null;
  if (!refs.some(validRef)) return null;
  return {
    modem: result.modemId,
    parts: refs.map((r) => ({ ref: validRef(r) ? r : -1, status: null, outcome: null, at: null })),
    since,
    status: null,
    at: null,
  };
}

export class DeliveryTracker {
  /** `provider \0 modem \0 TP-MR` -> outbox ids, oldest first. */
  private readonly index = new Map<string, string[]>();
  private held: Held[] = [];
  /** Reports being recorded: stop() waits for them before the store closes. */
  private readonly busy = new Set<Promise<void>>();
  private readonly listeners: Array<(e: DeliverySettled) => void> = [];
  readonly counters: DeliveryCounters = {
    reports: { delivered: 0, undelivered: 0, pending: 0, unmatched: 0, ignored: 0, malformed: 0 },
    requested: 0,
    delivered: 0,
    undelivered: 0,
  };

  constructor(private readonly o: DeliveryTrackerOptions) {}

  /** Indexes what the outbox holds: a report that arrives after a restart still finds its message. */
  start(): void {
    this.index.clear();
    const now = this.o.clock.now();
    const recs = Object.values(this.o.store.data.outbox)
      .filter((r) => r.report && r.sentAt !== null && now - r.sentAt <= this.o.windowMs)
      .sort((a, b) => a.report!.since - b.report!.since);
    for (const r of recs) this.indexRecord(r);
  }

  onSettled(listener: (e: DeliverySettled) => void): void {
    this.listeners.push(listener);
  }

  /** A message reached `sent` (durably): reports may now match it, including held ones. */
  registered(rec: OutboxRecord): void {
    if (!rec.report || !rec.provider) return;
    this.counters.requested++;
    this.indexRecord(rec);
    const mine = this.held.filter((h) => h.report.providerId === rec.provider);
    if (!mine.length) return;
    this.held = this.held.filter((h) => h.report.providerId !== rec.provider);
    for (const h of mine) this.track(this.handle(h.report, h.report.providerId, h.heldAt), h.report.providerId);
  }

  /**
   * An attempt on the provider ended (sent or not). Once nothing is in flight on it, the reports
   * held for it cannot belong to a message still being sent: they are unmatched.
   */
  settled(providerId: string): void {
    const now = this.o.clock.now();
    const idle = !this.o.inFlight(providerId);
    const keep: Held[] = [];
    for (const h of this.held) {
      if ((idle && h.report.providerId === providerId) || now - h.heldAt > HELD_MS) this.unmatched(h.report);
      else keep.push(h);
    }
    this.held = keep;
  }

  /**
   * The listener a provider's `onDeliveryReport` gets: never throws, whatever it is handed. Its
   * promise is the report's acknowledgement: true once the outcome is on disk, or when there is
   * nothing to record (malformed, unmatched, settled already, or held for a message in flight:
   * if the daemon dies meanwhile that message is sent again and its resend gets its own report);
   * false when the commit failed, so a modem keeps a stored report and offers it again.
   */
  listener(providerId: string): (report: DeliveryReport) => Promise<boolean> {
    return (report) => {
      try {
        const p = this.handle(report, providerId);
        this.track(p, providerId);
        return p.then(
          () => true,
          () => false,
        );
      } catch (err) {
        this.o.logger.error({ err, provider: providerId }, 'status report could not be recorded');
        return Promise.resolve(false);
      }
    };
  }

  private track(p: Promise<void>, providerId: string): void {
    const t = p.catch((err) => this.o.logger.error({ err, provider: providerId }, 'status report could not be recorded'));
    this.busy.add(t);
    void t.finally(() => this.busy.delete(t));
  }

  /** Resolves when every report handed over so far is recorded (or failed to be). */
  async drain(): Promise<void> {
    while (this.busy.size) await Promise.allSettled([...this.busy]);
  }

  private key(provider: string, modem: string, ref: number): string {
    return `${provider}\u0000${modem}\u0000${ref}`;
  }

  private indexRecord(rec: OutboxRecord): void {
    const now = this.o.clock.now();
    for (const part of rec.report!.parts) {
      if (part.ref < 0) continue;
      const k = this.key(rec.provider!, rec.report!.modem, part.ref);
      // Messages purged or past the window leave their key here: without reports to look them
      // up, a key would otherwise gain an id every 256 messages for as long as the daemon runs.
      const ids = (this.index.get(k) ?? []).filter((id) => {
        const r = this.o.store.get('outbox', id);
        return id !== rec.id && r?.sentAt != null && now - r.sentAt <= this.o.windowMs;
      });
      ids.push(rec.id);
      this.index.set(k, ids);
    }
  }

  /** Outbox ids the index holds (for tests and the benchmark: it stays bounded by the outbox). */
  indexSize(): number {
    let n = 0;
    for (const ids of this.index.values()) n += ids.length;
    return n;
  }

  /** The message this report is about, pruning index entries that can no longer match anything. */
  private find(r: DeliveryReport): { rec: OutboxRecord; part: number } | 'purged' | null {
    const k = this.key(r.providerId, r.modemId, r.reference);
    const ids = this.index.get(k);
    if (!ids) return null;
    const now = this.o.clock.now();
    let best: { rec: OutboxRecord; part: number; score: [number, number] } | null = null;
    let purged = false;
    const alive: string[] = [];
    for (const id of ids) {
      const rec = this.o.store.get('outbox', id);
      if (!rec?.report || rec.sentAt === null) {
        purged = true;
        continue;
      }
      if (now - rec.sentAt > this.o.windowMs) continue;
      alive.push(id);
      const part = rec.report.parts.findIndex((p) => p.ref === r.reference);
      if (part < 0 || !sameRecipient(rec.to, r.recipient)) continue;
      if (r.receivedAt < rec.report.since - CLOCK_SKEW_MS || r.receivedAt > rec.sentAt + this.o.windowMs) continue;
      // The one the service centre's time stamp falls on, if it falls on one (its clock may be
      // off: a stamp that fits no attempt says nothing), else the newest.
      const fits = r.submitTime !== undefined && distance(r.submitTime, rec.report.since, rec.sentAt) <= CLOCK_SKEW_MS;
      const score: [number, number] = fits ? [1, -distance(r.submitTime!, rec.report.since, rec.sentAt)] : [0, rec.report.since];
      if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] >= best.score[1])) best = { rec, part, score };
    }
    if (alive.length) this.index.set(k, alive);
    else this.index.delete(k);
    if (best) return { rec: best.rec, part: best.part };
    return purged ? 'purged' : null;
  }

  private count(outcome: ReportOutcome): void {
    this.counters.reports[outcome]++;
  }

  private unmatched(r: DeliveryReport): void {
    this.count('unmatched');
    this.o.logger.warn(
      { provider: r.providerId, modem: r.modemId, reference: r.reference, to: maskPhone(r.recipient), status: hex(r.status) },
      'status report matches no sent message',
    );
  }

  /** `heldAt`: when a report held for a message in flight was first seen. */
  private async handle(raw: DeliveryReport, providerId: string, heldAt?: number): Promise<void> {
    const r = checked(raw, providerId);
    if (!r) {
      this.count('malformed');
      this.o.logger.warn({ provider: providerId }, 'malformed status report ignored');
      return;
    }
    const found = this.find(r);
    if (found === 'purged') {
      this.count('ignored');
      this.o.logger.debug({ provider: r.providerId, reference: r.reference }, 'status report for a message no longer kept');
      return;
    }
    if (!found) {
      const now = this.o.clock.now();
      if (this.o.inFlight(r.providerId) && now - (heldAt ?? now) <= HELD_MS) {
        this.held.push({ report: r, heldAt: heldAt ?? now });
        if (this.held.length > HELD_MAX) this.unmatched(this.held.shift()!.report);
      } else {
        this.unmatched(r);
      }
      return;
    }
    await this.apply(found.rec, found.part, r);
  }

  private async apply(rec: OutboxRecord, index: number, r: DeliveryReport): Promise<void> {
    const report = rec.report!;
    const old = report.parts[index]!;
    const settledAlready = rec.state === 'delivered' || rec.state === 'undelivered';
    const partFinal = old.outcome === 'delivered' || old.outcome === 'undelivered';
    if (settledAlready || partFinal || rec.state !== 'sent') {
      this.count('ignored');
      this.o.logger.debug({ message: rec.id, reference: r.reference, state: rec.state }, 'status report for a part already settled');
      return;
    }
    const handsetAt = plausible(r.dischargeTime, report.since, r.receivedAt) ? r.dischargeTime : r.receivedAt;
    const part: OutboxReportPart = { ref: old.ref, status: r.status, outcome: r.outcome, at: handsetAt };
    const parts = report.parts.map((p, i) => (i === index ? part : p));
    let state: OutboxRecord['state'] = 'sent';
    let at: number | null = null;
    if (r.outcome === 'undelivered') {
      state = 'undelivered';
      at = handsetAt;
    } else if (parts.every((p) => p.outcome === 'delivered')) {
      state = 'delivered';
      at = Math.max(...parts.map((p) => p.at!));
    }
    const label = parts.length > 1 ? `part ${index + 1}/${parts.length} ` : '';
    const status = describeStatus(r.status);
    const next: OutboxRecord = {
      ...rec,
      state,
      report: { ...report, parts, status: state === 'sent' ? null : r.status, at },
      hops: appendHop(rec.hops, {
        t: r.receivedAt,
        provider: rec.provider ?? '-',
        event: 'report',
        detail: `${label}${r.outcome}: ${status} (modem ${r.modemId})`,
      }),
    };
    // On disk before the audit log, the counters or anyone asking GET /sms/<id> is told.
    await this.o.store.commit([{ c: 'outbox', k: rec.id, v: next }]);
    this.count(r.outcome);
    if (state === 'sent') return;
    this.counters[state]++;
    this.o.audit?.write({
      action: `sms.${state}`,
      message: rec.id,
      provider: rec.provider,
      result: state === 'delivered',
      reason: `${status}, modem ${r.modemId}`,
    });
    if (state === 'undelivered')
      this.o.logger.warn({ message: rec.id, to: maskPhone(rec.to), status: hex(r.status) }, 'sms undelivered: the network gave up');
    const e: DeliverySettled = { id: rec.id, state, queuedToHandsetMs: Math.max(0, at! - rec.createdAt) };
    for (const l of this.listeners) l(e);
  }

  snapshot() {
    return { ...this.counters, reports: { ...this.counters.reports }, held: this.held.length };
  }
}

/** How far `t` lies outside [from, to]; 0 inside. */
function distance(t: number, from: number, to: number): number {
  return t < from ? from - t : t > to ? t - to : 0;
}

/** A service centre's discharge time, unless its clock is clearly off from ours. */
function plausible(t: number, since: number, receivedAt: number): boolean {
  return t >= since - 5 * 60_000 && t <= receivedAt + 5 * 60_000;
}

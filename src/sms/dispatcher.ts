import type { Change, OutboxHop, OutboxRecord, OutboxReport, Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { maskPhone, scrubDigits, type Logger } from '../util/logger.js';
import type { AuditLog } from '../util/audit.js';
import { CircuitBreaker } from './breaker.js';
import { DueQueue } from './schedule.js';
import { SendFailure, type FailureKind, type SmsProvider } from './provider.js';
import { appendHop, isFinal } from './outbox.js';
import { DeliveryTracker, reportTracking } from './delivery.js';

export interface ProviderPolicy {
  maxAttempts: number;
  breakerThreshold: number;
  breakerCooldown: number;
}

export interface DispatcherOptions {
  store: Store;
  /** In config order: the order they are tried. */
  providers: Array<{ provider: SmsProvider; policy: ProviderPolicy }>;
  clock: Clock;
  logger: Logger;
  audit?: AuditLog;
  decrypt(envelope: string): string;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Messages handed to one provider at once; the rest wait in the dispatcher. */
  maxInFlightPerProvider?: number;
  /** How long final records stay queryable (GET /sms/<id>) before housekeeping deletes them (sms.keepFinalHours). */
  retentionMs: number;
  /** At most this many final records are kept; the oldest go first (sms.keepFinalMax). */
  retentionMax: number;
  /** Messages not yet final at most: beyond it the queue is full (memory stays bounded). */
  maxQueued?: number;
  /** Grace for in-flight submits on stop() before they are aborted (and found ambiguous at restart). */
  stopGraceMs?: number;
  /** How long after sending a status report may still match a message (sms.reportWindowHours). */
  reportWindowMs?: number;
}

interface Slot {
  provider: SmsProvider;
  policy: ProviderPolicy;
  breaker: CircuitBreaker;
  inFlight: number;
  /** Chosen for this provider but not yet handed to it (their 'sending' state is being written). */
  handingOver: number;
  sent: number;
  failures: Record<FailureKind, number>;
  lastError: string | null;
}

export interface DispatcherCounters {
  sent: number;
  expired: number;
  failed: number;
  retries: number;
  failovers: number;
  duplicates: number;
}

/**
 * Moves outbox messages to providers: in config order, with retries and backoff for temporary
 * failures, failover on permanent failure / unavailability / overflow, circuit breakers, and
 * at-least-once resends for ambiguous outcomes. Every state change is durable before the next
 * step starts, so a crash at any point is recovered from the outbox on disk.
 */
export class Dispatcher {
  private readonly slots: Slot[];
  private readonly due = new DueQueue();
  /** Messages whose chosen provider was at its in-flight cap; retried when a slot frees. */
  private readonly waiting = new Set<string>();
  private readonly inFlight = new Map<string, AbortController>();
  private readonly settled = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private finishedSincePurge = 0;
  private readonly unfinished = new Set<string>();
  private timerAt = Infinity;
  private pumpQueued = false;
  private running = false;
  private housekeeping: NodeJS.Timeout | null = null;
  readonly counters: DispatcherCounters = { sent: 0, expired: 0, failed: 0, retries: 0, failovers: 0, duplicates: 0 };
  private readonly finishedListeners: Array<(rec: Readonly<OutboxRecord>) => void> = [];

  /** Called with each message that reached a final state, once it is on disk (metrics' histograms). */
  onFinished(listener: (rec: Readonly<OutboxRecord>) => void): void {
    this.finishedListeners.push(listener);
  }
  private readonly maxInFlight: number;
  /** Status reports: sent messages become delivered or undelivered. */
  readonly delivery: DeliveryTracker;

  constructor(private readonly o: DispatcherOptions) {
    this.slots = o.providers.map(({ provider, policy }) => ({
      provider,
      policy,
      breaker: new CircuitBreaker(policy.breakerThreshold, policy.breakerCooldown * 1000),
      inFlight: 0,
      handingOver: 0,
      sent: 0,
      failures: { temporary: 0, permanent: 0, unavailable: 0, ambiguous: 0 },
      lastError: null,
    }));
    this.maxInFlight = o.maxInFlightPerProvider ?? 64;
    for (const slot of this.slots) slot.provider.onRecovered?.(() => this.recovered(slot));
    this.delivery = new DeliveryTracker({
      store: o.store,
      clock: o.clock,
      logger: o.logger,
      audit: o.audit,
      windowMs: o.reportWindowMs ?? 24 * 3600_000,
      inFlight: (id) => this.slots.some((s) => s.provider.id === id && s.inFlight > 0),
    });
    for (const slot of this.slots) slot.provider.onDeliveryReport?.(this.delivery.listener(slot.provider.id));
  }

  /** A provider that knows its health is back: close its breaker, retry what waits for it now. */
  private recovered(slot: Slot): void {
    slot.breaker.success();
    if (!this.running) return;
    const now = this.o.clock.now();
    for (const r of Object.values(this.o.store.data.outbox)) {
      if (r.state === 'queued' && r.provider === slot.provider.id && this.due.has(r.id)) this.due.schedule(r.id, now);
    }
    this.o.logger.info({ provider: slot.provider.id }, 'provider recovered');
    this.pump();
  }

  /**
   * Recovers the outbox: a message found `sending` was mid-submit when the process died, so its
   * outcome is unknown: it is resent (reject-duplicates) and counted as a possible duplicate.
   */
  async start(): Promise<void> {
    const now = this.o.clock.now();
    const changes: Change[] = [];
    for (const r of Object.values(this.o.store.data.outbox)) {
      if (r.state === 'sending') {
        const rec: OutboxRecord = {
          ...r,
          state: 'queued',
          resend: true,
          nextAttemptAt: now,
          hops: appendHop(r.hops, { t: now, provider: r.provider ?? '?', event: 'ambiguous', detail: 'interrupted by restart' }),
        };
        changes.push({ c: 'outbox', k: r.id, v: rec });
        this.o.audit?.write({ action: 'sms.ambiguous', message: r.id, provider: r.provider, reason: 'interrupted by restart' });
      }
    }
    if (changes.length) {
      await this.o.store.commit(changes);
      this.o.logger.warn({ count: changes.length }, 'outbox: messages interrupted mid-submit will be resent');
    }
    this.delivery.start();
    this.running = true;
    for (const r of Object.values(this.o.store.data.outbox)) {
      if (r.state !== 'queued') continue;
      this.unfinished.add(r.id);
      this.due.schedule(r.id, r.nextAttemptAt);
    }
    this.housekeeping = setInterval(() => this.sweep(), 10 * 60_000);
    this.housekeeping.unref();
    this.pump();
  }

  /** Lets in-flight submits finish for a grace period, then aborts them; queued ones stay on disk. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.timer = null;
    const grace = this.o.stopGraceMs ?? 5000;
    const all = Promise.allSettled([...this.settled]);
    const timeout = new Promise((r) => setTimeout(r, grace).unref());
    await Promise.race([all, timeout]);
    for (const ac of this.inFlight.values()) ac.abort(new Error('shutting down'));
    await all;
    await this.delivery.drain();
  }

  /** Schedules a freshly committed message. */
  enqueued(id: string): void {
    const r = this.o.store.get('outbox', id);
    if (!r || !this.running) return;
    this.unfinished.add(id);
    this.due.schedule(id, r.nextAttemptAt);
    this.pump();
  }

  /**
   * Whether some provider could plausibly deliver a message now before `expiresAt`. Step 1 of a
   * login refuses the challenge when not (privacyIDEA's "SMS could not be sent"), rather than
   * issue a challenge whose SMS can never arrive.
   */
  canDeliverBy(expiresAt: number): boolean {
    if (this.isFull()) return false;
    const now = this.o.clock.now();
    const remaining = expiresAt - now;
    return this.slots.some((s) => this.usable(s, now) && s.provider.expectedWaitMs(s.handingOver) < remaining);
  }

  private usable(s: Slot, now: number): boolean {
    // available() first: status() builds the whole modem view, too dear for every message.
    return s.breaker.allows(now) && (s.provider.available() || s.provider.status().health === 'starting');
  }

  isFull(): boolean {
    return this.queueDepth() >= (this.o.maxQueued ?? Number.POSITIVE_INFINITY);
  }

  /** Messages not yet final, wherever they are: due, waiting for a slot, in flight, or being rescheduled. */
  queueDepth(): number {
    return this.unfinished.size;
  }

  /** Age in ms of the oldest message not yet in a final state. */
  oldestQueuedAgeMs(): number {
    const now = this.o.clock.now();
    let oldest = now;
    for (const r of Object.values(this.o.store.data.outbox)) {
      if ((r.state === 'queued' || r.state === 'sending') && r.createdAt < oldest) oldest = r.createdAt;
    }
    return now - oldest;
  }

  status() {
    const now = this.o.clock.now();
    return {
      queue: { depth: this.queueDepth(), inFlight: this.inFlight.size, oldestAgeSeconds: Math.round(this.oldestQueuedAgeMs() / 1000) },
      counters: { ...this.counters, delivered: this.delivery.counters.delivered, undelivered: this.delivery.counters.undelivered },
      delivery: this.delivery.snapshot(),
      providers: this.slots.map((s) => ({
        ...s.provider.status(),
        breaker: s.breaker.snapshot(now),
        inFlight: s.inFlight,
        sent: s.sent,
        failures: { ...s.failures },
        lastError: s.lastError,
        expectedWaitMs: Math.round(s.provider.expectedWaitMs()),
      })),
    };
  }

  private pump(): void {
    if (this.pumpQueued || !this.running) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.runDue();
    });
  }

  /** Slots freed since the last pump: that many waiting messages get another try, oldest first. */
  private freed = 0;
  /** Messages inside attempt(): never two attempts of one message at once. */
  private readonly active = new Set<string>();

  private runDue(): void {
    if (!this.running) return;
    const now = this.o.clock.now();
    // Messages waiting for a busy provider are not re-examined on every pump (a backlog of
    // thousands would make each new message cost O(backlog)), only as slots free up.
    const retry: string[] = [];
    for (const id of this.waiting) {
      if (retry.length >= this.freed) break;
      retry.push(id);
    }
    this.freed = 0;
    for (const id of retry) this.waiting.delete(id);
    const ids = [...retry, ...this.due.popDue(now)];
    for (const id of ids) {
      if (this.active.has(id)) continue;
      const rec = this.o.store.get('outbox', id);
      if (!rec || rec.state !== 'queued') continue;
      this.track(this.attempt(rec));
    }
    this.armTimer();
  }

  private track(p: Promise<void>): void {
    const wrapped = p.catch((err) => this.o.logger.error({ err }, 'dispatcher: unexpected error'));
    this.settled.add(wrapped);
    void wrapped.finally(() => this.settled.delete(wrapped));
  }

  private armTimer(): void {
    const next = this.due.peekTime();
    if (next === undefined || !this.running) return;
    if (this.timer && next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    const delay = Math.max(0, Math.min(next - this.o.clock.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, delay);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.max(0, attempt - 1));
    // Jitter spreads retries of a burst so they do not hit a recovering modem at once.
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  /** Picks the provider for this attempt, or explains why none can take it now. */
  private choose(rec: OutboxRecord, now: number): { index: number } | { wait: string } | { fail: string } {
    const remaining = rec.expiresAt - now;
    if (rec.resend && rec.provider) {
      // An ambiguous outcome: the message may be out already, so it stays with that provider
      // (a second provider would certainly duplicate it) until it answers or the OTP expires.
      const i = this.slots.findIndex((s) => s.provider.id === rec.provider);
      if (i >= 0) {
        const s = this.slots[i]!;
        if (s.inFlight >= this.maxInFlight) return { wait: 'busy' };
        return this.usable(s, now) ? { index: i } : { wait: `waiting for ${s.provider.id} to recover` };
      }
    }
    const permanent = new Set(rec.hops.filter((h) => h.event === 'permanent').map((h) => h.provider));
    if (permanent.size >= this.slots.length) return { fail: 'every provider rejected the message permanently' };
    let busy = false;
    for (let k = 0; k < this.slots.length; k++) {
      const i = (rec.providerIndex + k) % this.slots.length;
      const s = this.slots[i]!;
      if (permanent.has(s.provider.id) || !this.usable(s, now)) continue;
      if (s.provider.expectedWaitMs(s.handingOver) > remaining) continue;
      if (s.inFlight >= this.maxInFlight) {
        busy = true;
        continue;
      }
      return { index: i };
    }
    return { wait: busy ? 'busy' : 'no provider can deliver before expiry now' };
  }

  private async attempt(rec: OutboxRecord): Promise<void> {
    this.active.add(rec.id);
    try {
      await this.attemptOnce(rec);
    } finally {
      this.active.delete(rec.id);
    }
  }

  private async attemptOnce(rec: OutboxRecord): Promise<void> {
    const now = this.o.clock.now();
    if (now >= rec.expiresAt) return this.finish(rec, 'expired', { t: now, provider: rec.provider ?? '-', event: 'expired' });

    const choice = this.choose(rec, now);
    if ('fail' in choice) return this.finish(rec, 'failed', { t: now, provider: '-', event: 'failed', detail: choice.fail }, choice.fail);
    if ('wait' in choice) {
      if (choice.wait === 'busy') {
        this.waiting.add(rec.id);
        // Its watchdog: should no slot free up in time, the message still expires on schedule.
        this.due.schedule(rec.id, rec.expiresAt);
        return;
      }
      const next: OutboxRecord = { ...rec, providerIndex: 0, nextAttemptAt: now + this.backoff(rec.attempts + 1) };
      if (rec.hops.at(-1)?.detail !== choice.wait) next.hops = appendHop(rec.hops, { t: now, provider: '-', event: 'skipped', detail: choice.wait });
      await this.o.store.commit([{ c: 'outbox', k: rec.id, v: next }]);
      this.reschedule(rec.id, Math.min(next.nextAttemptAt, rec.expiresAt));
      return;
    }

    const slot = this.slots[choice.index]!;
    if (!slot.breaker.tryAcquire(now)) {
      this.reschedule(rec.id, now + this.o.retryBaseMs);
      return;
    }
    const switched = choice.index !== rec.providerIndex || rec.provider !== slot.provider.id;
    if (switched && rec.provider) {
      this.counters.failovers++;
      this.o.audit?.write({ action: 'sms.failover', message: rec.id, provider: slot.provider.id, reason: `from ${rec.provider}` });
    }
    let current: OutboxRecord = {
      ...rec,
      state: 'sending',
      provider: slot.provider.id,
      providerIndex: choice.index,
      attempts: rec.attempts + 1,
      providerAttempts: switched ? 1 : rec.providerAttempts + 1,
      hops: appendHop(rec.hops, { t: now, provider: slot.provider.id, event: 'attempt' }),
    };
    if (rec.resend) {
      current.duplicates = rec.duplicates + 1;
      this.counters.duplicates++;
      this.o.audit?.write({
        action: 'sms.resend',
        message: rec.id,
        provider: slot.provider.id,
        reason: 'previous outcome unknown; counted as a possible duplicate',
      });
    }
    slot.inFlight++;
    slot.handingOver++;
    let handedOver = false;
    const ac = new AbortController();
    this.inFlight.set(rec.id, ac);
    try {
      // The attempt is on disk before the submit starts: a crash from here on is seen at restart.
      await this.o.store.commit([{ c: 'outbox', k: rec.id, v: current }]);
      slot.handingOver--;
      handedOver = true;
      // Whole seconds: Node keeps a timer list per distinct duration, and an unref'd timer's
      // list outlives clearTimeout until the duration has passed. With millisecond durations
      // each message left one list behind for the OTP's validity (60,000 in 5 minutes of a
      // login burst); rounded up, at most one per second of validity exist, and an abort is at
      // most a second late.
      const expiryTimer = setTimeout(
        () => ac.abort(new Error('message expired')),
        Math.ceil(Math.max(0, rec.expiresAt - this.o.clock.now()) / 1000) * 1000,
      );
      expiryTimer.unref();
      try {
        const result = await slot.provider.send(
          {
            id: rec.id,
            to: rec.to,
            text: this.o.decrypt(rec.textEnc),
            expiresAt: rec.expiresAt,
            attempt: current.attempts,
            resend: rec.resend,
            progress: current.progress,
          },
          {
            signal: ac.signal,
            checkpoint: async (progress) => {
              current = { ...current, progress };
              await this.o.store.commit([{ c: 'outbox', k: rec.id, v: current }]);
            },
          },
        );
        slot.breaker.success();
        slot.sent++;
        this.counters.sent++;
        const t = this.o.clock.now();
        await this.finish(
          current,
          'sent',
          { t, provider: slot.provider.id, event: 'sent', detail: result.ref },
          null,
          result.ref ?? null,
          reportTracking(result, now),
        );
      } finally {
        clearTimeout(expiryTimer);
      }
    } catch (err) {
      await this.failed(current, slot, err);
    } finally {
      if (!handedOver) slot.handingOver--;
      slot.inFlight--;
      this.inFlight.delete(rec.id);
      this.delivery.settled(slot.provider.id);
      if (this.waiting.size) {
        this.freed++;
        this.pump();
      }
    }
  }

  private async failed(rec: OutboxRecord, slot: Slot, err: unknown): Promise<void> {
    const now = this.o.clock.now();
    const raw = err instanceof SendFailure ? err : new SendFailure('ambiguous', (err as Error)?.message ?? String(err));
    // Failure texts can quote the far end (a gateway echoing the SMS, a mail server quoting the
    // recipient): scrubbed once here, before logs, the audit log, the record and /status see them.
    const f = new SendFailure(raw.kind, scrubDigits(raw.message).slice(0, 300), raw.code && scrubDigits(raw.code));
    slot.failures[f.kind]++;
    slot.lastError = `${f.kind}: ${f.message}`;
    if (f.kind === 'permanent') slot.breaker.neutral();
    else slot.breaker.failure(now);
    this.o.logger.warn(
      { message: rec.id, provider: slot.provider.id, kind: f.kind, code: f.code, to: maskPhone(rec.to), error: f.message },
      'sms attempt failed',
    );
    this.o.audit?.write({ action: `sms.${f.kind}`, message: rec.id, provider: slot.provider.id, reason: f.message });

    const hop: OutboxHop = {
      t: now,
      provider: slot.provider.id,
      event: f.kind === 'unavailable' ? 'skipped' : f.kind,
      detail: f.code ? `${f.code}: ${f.message}` : f.message,
    };
    const base: OutboxRecord = { ...rec, state: 'queued', lastError: hop.detail ?? null, hops: appendHop(rec.hops, hop), resend: false };
    let next: OutboxRecord;
    switch (f.kind) {
      case 'ambiguous':
        next = { ...base, resend: true, nextAttemptAt: now + Math.min(this.o.retryBaseMs, 1000) };
        break;
      case 'temporary':
        this.counters.retries++;
        next =
          rec.providerAttempts < slot.policy.maxAttempts
            ? { ...base, nextAttemptAt: now + this.backoff(rec.providerAttempts) }
            : { ...base, providerIndex: (rec.providerIndex + 1) % this.slots.length, nextAttemptAt: now };
        break;
      case 'permanent':
      case 'unavailable':
        next = { ...base, providerIndex: (rec.providerIndex + 1) % this.slots.length, nextAttemptAt: now };
        break;
    }
    if (now >= next.expiresAt) return this.finish(next, 'expired', { t: now, provider: slot.provider.id, event: 'expired' }, next.lastError);
    await this.o.store.commit([{ c: 'outbox', k: rec.id, v: next }]);
    this.reschedule(rec.id, next.nextAttemptAt);
  }

  /** Puts a message back on the timetable; called after awaits, so the timer must be re-armed here. */
  private reschedule(id: string, at: number): void {
    if (!this.running) return;
    this.due.schedule(id, at);
    if (at <= this.o.clock.now()) this.pump();
    else this.armTimer();
  }

  private async finish(
    rec: OutboxRecord,
    state: 'sent' | 'expired' | 'failed',
    hop: OutboxHop,
    error: string | null = rec.lastError,
    ref: string | null = rec.ref,
    report: OutboxReport | null = null,
  ): Promise<void> {
    if (state === 'expired') this.counters.expired++;
    if (state === 'failed') this.counters.failed++;
    const done: OutboxRecord = {
      ...rec,
      state,
      ref,
      lastError: state === 'sent' ? null : error,
      sentAt: state === 'sent' ? hop.t : rec.sentAt,
      // The text holds an OTP: once the message is final, nothing needs it any more.
      textEnc: '',
      progress: {},
      resend: false,
      hops: appendHop(rec.hops, hop),
      report,
    };
    await this.o.store.commit([{ c: 'outbox', k: rec.id, v: done }]);
    this.unfinished.delete(rec.id);
    if (state === 'sent') this.delivery.registered(done);
    for (const l of this.finishedListeners) l(done);
    // Between the 10-minute sweeps, a busy gateway must not pile up final records without bound.
    if (++this.finishedSincePurge >= Math.max(100, this.o.retentionMax / 10)) this.sweep();
    this.o.audit?.write({ action: `sms.${state}`, message: rec.id, provider: rec.provider, result: state === 'sent', reason: error ?? undefined });
    if (state !== 'sent') this.o.logger.warn({ message: rec.id, state, to: maskPhone(rec.to), error }, 'sms not delivered');
  }

  /** purgeOld in the background: a failed purge is logged and retried by the next sweep. */
  private sweep(): void {
    this.purgeOld().catch((err) => this.o.logger.error({ err }, 'outbox purge failed'));
  }

  /** Deletes final records past the retention time, then the oldest beyond the retention count. */
  async purgeOld(): Promise<number> {
    this.finishedSincePurge = 0;
    const cutoff = this.o.clock.now() - this.o.retentionMs;
    const max = this.o.retentionMax;
    const changes: Change[] = [];
    const kept: OutboxRecord[] = [];
    for (const r of Object.values(this.o.store.data.outbox)) {
      if (!isFinal(r.state)) continue;
      if (r.createdAt < cutoff) changes.push({ c: 'outbox', k: r.id, v: null });
      else kept.push(r);
    }
    if (kept.length > max) {
      kept.sort((a, b) => a.createdAt - b.createdAt);
      for (const r of kept.slice(0, kept.length - max)) changes.push({ c: 'outbox', k: r.id, v: null });
    }
    if (changes.length) await this.o.store.commit(changes);
    return changes.length;
  }
}

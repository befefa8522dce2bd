import { EventEmitter } from 'node:events';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { globalTimers, type Timers } from './at-link.js';
import type { ModemStateName } from './lifecycle.js';
import type { Acknowledge, Modem, ModemIncoming, ModemStatusReport } from './modem.js';
import { ModemSendError, SubmitTimer, submitMessage, type ModemMessage, type ModemSent } from './submit.js';
import { UssdError } from './ussd.js';

/**
 * Layer 5: several modems behind one queue. Every modem that is ready and idle takes the next
 * message, so N ready modems send at N times one modem's rate and a modem that becomes ready
 * takes work at once. A message a modem certainly did not send (it rebooted before the body, lost
 * SMS readiness, had no network) goes back to the front of the queue for another modem, or for
 * this one once ready; a resend after an unknown outcome prefers another ready modem and waits
 * for one rather than bouncing as "unavailable" until it expires.
 */

export interface PoolMessage extends ModemMessage {
  /** Outbox id: remembers which modem an unknown outcome came from. */
  id: string;
}

interface Job {
  msg: PoolMessage;
  /** Certain non-sends so far (bounded: a modem that keeps refusing does not loop for ever). */
  notSent: number;
  resolve(r: ModemSent): void;
  reject(e: Error): void;
  /** When the job stops waiting for a modem that is coming up. */
  holdUntil: number;
}

export class PoolUnavailable extends Error {
  override name = 'PoolUnavailable';
}

/** States in which a modem is expected to become ready by itself soon. */
const COMING: ReadonlySet<ModemStateName> = new Set(['booting', 'sim', 'registering', 'recovering']);
const MAX_NOT_SENT = 4;

const isReady = (m: Modem) => m.state === 'ready' || m.state === 'sending';

export interface PoolOptions {
  logger: Logger;
  clock: Clock;
  timers?: Timers;
  /** How long messages wait for the first modem after start. */
  startupGraceMs: number;
  /** How long a message waits for a modem that is coming back (a reboot, a recovery) before failing over. */
  outageGraceMs?: number;
  /** Submit timeout floor (ms); the ceiling is the profile's `timeouts.submit`. */
  submitFloorMs?: number;
}

export class ModemPool extends EventEmitter {
  private readonly queue: Job[] = [];
  private readonly working = new Set<Modem>();
  private readonly timersById = new Map<string, SubmitTimer>();
  /** Outbox id → modem whose answer after the body never came (bounded). */
  private readonly ambiguousOn = new Map<string, string>();
  private startedAt = 0;
  private stopped = true;
  private readySeen = false;
  private readonly recoveredListeners: Array<() => void> = [];
  private readonly timers: Timers;
  private holdTimer: unknown = null;
  /** Moving average of one submit, ms: the basis of expectedWaitMs. */
  submitMs = 2000;

  constructor(
    readonly id: string,
    readonly modems: Modem[],
    private readonly o: PoolOptions,
  ) {
    super();
    this.timers = o.timers ?? globalTimers;
    for (const m of modems) {
      const timer = new SubmitTimer(o.submitFloorMs ?? m.profile.timeouts.submitFloor, m.profile.timeouts.submit);
      this.timersById.set(m.id, timer);
      // A submit that was only slow: its late +CMGS widens the timeout for the next ones.
      m.link.onLateSubmitAck((ms) => timer.observe(ms));
      m.on('state', (state: ModemStateName, before: ModemStateName) => this.modemState(m, state, before));
    }
  }

  start(): void {
    this.startedAt = this.o.clock.now();
    this.stopped = false;
    this.readySeen = false;
    for (const m of this.modems) m.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.holdTimer !== null) this.timers.clearTimeout(this.holdTimer);
    const err = new PoolUnavailable('shutting down');
    for (const j of this.queue.splice(0)) j.reject(err);
    await Promise.all(this.modems.map((m) => m.stop()));
  }

  /** Received SMS of every modem; the answer is each message's acknowledgement (see Modem.onIncoming). */
  onIncoming(fn: Acknowledge<ModemIncoming>): void {
    for (const m of this.modems) m.onIncoming(fn);
  }

  /** Status reports of every modem, acknowledged the same way. */
  onReport(fn: Acknowledge<ModemStatusReport>): void {
    for (const m of this.modems) m.onReport(fn);
  }

  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  ready(): Modem[] {
    return this.modems.filter(isReady);
  }

  /** How many modems are ready, without building the list (asked several times per message). */
  private readyCount(): number {
    let n = 0;
    for (const m of this.modems) if (isReady(m)) n++;
    return n;
  }

  /** Some modem is booting, registering or recovering: it should be ready soon. */
  coming(): boolean {
    return this.modems.some((m) => COMING.has(m.state));
  }

  /** No modem is ready or on its way: off, device missing, SIM locked, recovery failed. */
  hopeless(): boolean {
    return this.readyCount() === 0 && !this.coming();
  }

  inStartup(): boolean {
    return !this.readySeen && !this.stopped && this.coming() && this.o.clock.now() - this.startedAt < this.o.startupGraceMs;
  }

  available(): boolean {
    return !this.stopped && this.modems.some(isReady);
  }

  /** ms until a message handed over now would be submitted, with `ahead` more before it. */
  expectedWaitMs(ahead = 0): number {
    const ready = this.readyCount();
    if (ready === 0) {
      if (this.stopped || !this.coming()) return Number.POSITIVE_INFINITY;
      return this.inStartup() ? this.o.startupGraceMs : (this.o.outageGraceMs ?? 30_000);
    }
    const queued = this.queue.length + this.working.size + ahead;
    return Math.floor(queued / ready) * this.submitMs;
  }

  get queued(): number {
    return this.queue.length;
  }

  submitTimer(modemId: string): SubmitTimer | undefined {
    return this.timersById.get(modemId);
  }

  send(msg: PoolMessage): Promise<ModemSent> {
    return new Promise((resolve, reject) => {
      const job: Job = { msg, notSent: 0, resolve, reject, holdUntil: 0 };
      msg.signal?.addEventListener('abort', () => this.cancel(job), { once: true });
      this.enqueue(job, false);
    });
  }

  private cancel(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i < 0) return;
    this.queue.splice(i, 1);
    job.reject(new ModemSendError('temporary', 'cancelled before submit', 'aborted'));
  }

  private enqueue(job: Job, front: boolean): void {
    if (this.stopped) return job.reject(new PoolUnavailable('shutting down'));
    const now = this.o.clock.now();
    if (this.readyCount() === 0) {
      // A resend after an unknown outcome never leaves for another provider while a modem may
      // come back: it waits (until it expires, when the dispatcher aborts it).
      if (!job.msg.resend && !this.coming()) return job.reject(new PoolUnavailable(`no modem ready (${this.describe()})`));
      const grace = this.inStartup() ? this.startedAt + this.o.startupGraceMs : now + (this.o.outageGraceMs ?? 30_000);
      job.holdUntil = job.msg.resend ? job.msg.expiresAt : Math.min(job.msg.expiresAt, Math.max(job.holdUntil, grace));
    } else job.holdUntil = job.msg.resend ? job.msg.expiresAt : Math.max(job.holdUntil, now + (this.o.outageGraceMs ?? 30_000));
    if (front) this.queue.unshift(job);
    else this.queue.push(job);
    this.armHold();
    this.pump();
  }

  private describe(): string {
    return this.modems.map((m) => `${m.id} ${m.state}`).join(', ');
  }

  /** Jobs past their hold time while no modem takes them fail over (the dispatcher tries the next provider). */
  private armHold(): void {
    if (this.holdTimer !== null || this.queue.length === 0) return;
    const next = Math.min(...this.queue.map((j) => j.holdUntil));
    this.holdTimer = this.timers.setTimeout(
      () => {
        this.holdTimer = null;
        const now = this.o.clock.now();
        for (const j of [...this.queue]) {
          if (j.holdUntil > now) continue;
          this.queue.splice(this.queue.indexOf(j), 1);
          j.reject(new PoolUnavailable(`no modem became ready in time (${this.describe()})`));
        }
        this.armHold();
      },
      Math.max(10, next - this.o.clock.now()),
    );
  }

  private modemState(m: Modem, state: ModemStateName, before: ModemStateName): void {
    if (state === 'ready' && before !== 'sending') {
      const wasNone = this.readyCount() === 1;
      if (wasNone && this.readySeen) for (const l of this.recoveredListeners) l();
      this.readySeen = true;
    }
    if (!this.stopped && this.hopeless()) {
      // Nothing will come back by itself: queued first attempts move on now, resends keep waiting.
      for (const j of [...this.queue]) {
        if (j.msg.resend) continue;
        this.queue.splice(this.queue.indexOf(j), 1);
        j.reject(new PoolUnavailable(`no modem ready (${this.describe()})`));
      }
    }
    this.pump();
  }

  private pump(): void {
    if (this.stopped) return;
    for (const m of this.modems) {
      if (this.queue.length === 0) return;
      if (m.state !== 'ready' || this.working.has(m)) continue;
      const i = this.nextJobFor(m);
      if (i < 0) continue;
      // The head is the usual pick: shift() leaves a long queue in place, splice(0, 1) copies it.
      const job = i === 0 ? this.queue.shift()! : this.queue.splice(i, 1)[0]!;
      this.run(m, job);
    }
  }

  /**
   * The first job `m` should take: a resend prefers a modem other than the one whose answer never
   * came, while such a modem is free. Whether one is free is asked only when a resend is met:
   * every modem state change pumps, twice per message.
   */
  private nextJobFor(m: Modem): number {
    let othersFree: boolean | undefined;
    for (let i = 0; i < this.queue.length; i++) {
      if (this.ambiguousOn.get(this.queue[i]!.msg.id) !== m.id) return i;
      othersFree ??= this.modems.some((x) => x !== m && isReady(x) && !this.working.has(x));
      if (!othersFree) return i;
    }
    return -1;
  }

  private run(m: Modem, job: Job): void {
    this.working.add(m);
    const t0 = this.o.clock.now();
    const timer = this.timersById.get(m.id)!;
    submitMessage(m, job.msg, timer, () => this.o.clock.now())
      .then(
        (r) => {
          this.submitMs = this.submitMs * 0.8 + Math.max(1, this.o.clock.now() - t0) * 0.2;
          this.ambiguousOn.delete(job.msg.id);
          job.resolve(r);
        },
        (err: Error) => {
          if (
            err instanceof ModemSendError &&
            err.kind === 'not-sent' &&
            !job.msg.signal?.aborted &&
            ++job.notSent < MAX_NOT_SENT &&
            !this.hopeless()
          ) {
            this.o.logger.info({ modem: m.id, reason: err.message }, 'not sent: back to the front of the pool queue');
            this.enqueue(job, true);
            return;
          }
          if (err instanceof ModemSendError && err.kind === 'ambiguous') {
            this.ambiguousOn.set(job.msg.id, m.id);
            if (this.ambiguousOn.size > 1000) this.ambiguousOn.delete(this.ambiguousOn.keys().next().value!);
          }
          job.reject(err);
        },
      )
      .finally(() => {
        this.working.delete(m);
        this.pump();
      });
  }

  /** USSD on one modem (by id, or the first ready one). */
  async ussd(code: string, modemId?: string): Promise<{ modemId: string; answer: string }> {
    const m = modemId ? this.modems.find((x) => x.id === modemId) : this.ready()[0];
    if (!m) throw new UssdError(modemId ? `no modem "${modemId}" in ${this.id}` : `no modem of ${this.id} is ready`);
    return { modemId: m.id, answer: await m.ussd(code) };
  }

  health(): 'ready' | 'degraded' | 'starting' | 'down' {
    const ready = this.readyCount();
    if (ready === this.modems.length) return 'ready';
    if (ready > 0) return 'degraded';
    return !this.stopped && this.coming() ? 'starting' : 'down';
  }

  status() {
    return {
      modems: this.modems.map((m) => ({
        ...m.status(),
        queue: this.working.has(m) ? 1 : 0,
        submitTimeoutMs: this.timersById.get(m.id)!.timeoutMs(),
      })),
      waiting: this.queue.length,
      submitMs: Math.round(this.submitMs),
    };
  }
}

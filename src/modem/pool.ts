import { SendFailure, type OutgoingSms, type ProviderHealth, type ProviderStatus, type SendContext, type SendOk, type SmsProvider } from '../sms/provider.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Modem } from './modem.js';
import type { SimulatedModem } from '../sim/modem.js';

interface Job {
  msg: OutgoingSms;
  ctx: SendContext;
  resolve(r: SendOk): void;
  reject(e: Error): void;
}

interface Slot {
  modem: Modem;
  queue: Job[];
  working: boolean;
}

/**
 * Several modems behind one provider. Each message goes to the ready modem with the least work
 * ahead; a modem that leaves `ready` hands its queue to the others. With no modem ready the
 * pool says `unavailable` at once, so the dispatcher fails over, except during start-up, when
 * messages wait for the first modem to come up.
 */
export class ModemPool implements SmsProvider {
  private readonly slots: Slot[];
  /** Jobs waiting for a first modem during start-up. */
  private waiting: Job[] = [];
  private startedAt = 0;
  private stopped = false;
  /** Start-up ends when a modem first becomes ready: after that, no modem ready means fail over. */
  private readySeen = false;
  /** Moving average of one submit, ms: the basis of expectedWaitMs. */
  private submitMs = 2000;

  /** The simulated modems behind a `simulator` provider (tests and demos inject faults through them). */
  simulators: SimulatedModem[] = [];

  constructor(
    readonly id: string,
    readonly type: string,
    modems: Modem[],
    private readonly o: { logger: Logger; clock: Clock; startupGraceMs: number },
  ) {
    this.slots = modems.map((modem) => ({ modem, queue: [], working: false }));
    for (const s of this.slots) {
      s.modem.on('state', (state: string) => {
        if (state === 'ready') {
          const wasDown = this.readySeen && this.ready().length === 1;
          this.readySeen = true;
          if (wasDown) for (const l of this.recoveredListeners) l();
          this.drainWaiting();
          this.pump(s);
        } else this.evacuate(s);
      });
    }
  }

  get modems(): Modem[] {
    return this.slots.map((s) => s.modem);
  }

  async start(): Promise<void> {
    this.startedAt = this.o.clock.now();
    this.readySeen = false;
    this.stopped = false;
    for (const s of this.slots) s.modem.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const err = new SendFailure('unavailable', 'shutting down', 'stopped');
    for (const j of this.waiting.splice(0)) j.reject(err);
    for (const s of this.slots) for (const j of s.queue.splice(0)) j.reject(err);
    await Promise.all(this.slots.map((s) => s.modem.stop()));
  }

  private inStartup(): boolean {
    return !this.readySeen && !this.stopped && this.o.clock.now() - this.startedAt < this.o.startupGraceMs;
  }

  private ready(): Slot[] {
    return this.slots.filter((s) => s.modem.state === 'ready');
  }

  private recoveredListeners: Array<() => void> = [];

  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  available(): boolean {
    return !this.stopped && this.ready().length > 0;
  }

  private load(s: Slot): number {
    return s.queue.length + (s.working ? 1 : 0);
  }

  expectedWaitMs(ahead = 0): number {
    const ready = this.ready();
    if (ready.length === 0) return this.inStartup() ? this.o.startupGraceMs : Number.POSITIVE_INFINITY;
    // Work is spread over the ready modems: the rounds of submits ahead of a new message.
    const queued = ready.reduce((n, s) => n + this.load(s), 0) + ahead;
    return Math.floor(queued / ready.length) * this.submitMs;
  }

  send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
    return new Promise((resolve, reject) => {
      const job: Job = { msg, ctx, resolve, reject };
      ctx.signal.addEventListener('abort', () => this.cancel(job), { once: true });
      this.assign(job);
    });
  }

  private cancel(job: Job): void {
    const drop = (list: Job[]) => {
      const i = list.indexOf(job);
      if (i >= 0) list.splice(i, 1);
      return i >= 0;
    };
    // Only a job not yet handed to a modem can be withdrawn; one in AT+CMGS must finish.
    if (drop(this.waiting) || this.slots.some((s) => drop(s.queue))) job.reject(new SendFailure('temporary', 'cancelled before submit', 'aborted'));
  }

  private assign(job: Job): void {
    if (this.stopped) return job.reject(new SendFailure('unavailable', 'shutting down', 'stopped'));
    const ready = this.ready();
    if (ready.length === 0) {
      if (this.inStartup()) {
        this.waiting.push(job);
        // If no modem comes up within the grace, the waiting messages move on to other providers.
        const left = this.startedAt + this.o.startupGraceMs - this.o.clock.now();
        setTimeout(() => {
          if (this.waiting.includes(job)) {
            this.waiting.splice(this.waiting.indexOf(job), 1);
            this.assign(job);
          }
        }, Math.max(0, left) + 10).unref();
        return;
      }
      const states = this.slots.map((s) => `${s.modem.id} ${s.modem.state}`).join(', ');
      return job.reject(new SendFailure('unavailable', `no modem ready (${states})`, 'no modem'));
    }
    const best = ready.reduce((a, b) => (this.load(b) < this.load(a) ? b : a));
    best.queue.push(job);
    this.pump(best);
  }

  private drainWaiting(): void {
    for (const j of this.waiting.splice(0)) this.assign(j);
  }

  /** A modem left `ready`: its queued (not in-flight) jobs go to the others. */
  private evacuate(s: Slot): void {
    const moved = s.queue.splice(0);
    if (moved.length) this.o.logger.warn({ modem: s.modem.id, moved: moved.length, state: s.modem.state }, 'moving queued messages to other modems');
    for (const j of moved) this.assign(j);
  }

  private pump(s: Slot): void {
    if (s.working || s.modem.state !== 'ready') return;
    const job = s.queue.shift();
    if (!job) return;
    s.working = true;
    const t0 = this.o.clock.now();
    s.modem.submit(job.msg, job.ctx).then(
      (r) => {
        this.submitMs = this.submitMs * 0.8 + Math.max(1, this.o.clock.now() - t0) * 0.2;
        job.resolve(r);
      },
      (e) => job.reject(e),
    ).finally(() => {
      s.working = false;
      if (s.modem.state === 'ready') this.pump(s);
      else this.evacuate(s);
    });
  }

  status(): ProviderStatus {
    const ready = this.ready().length;
    let health: ProviderHealth;
    if (ready === this.slots.length) health = 'ready';
    else if (ready > 0) health = 'degraded';
    else health = this.inStartup() ? 'starting' : 'down';
    return {
      id: this.id,
      type: this.type,
      health,
      detail: {
        modems: this.slots.map((s) => ({ ...s.modem.status(), queue: this.load(s) })),
        waiting: this.waiting.length,
        submitMs: Math.round(this.submitMs),
      },
    };
  }
}

import type { Clock } from '../util/clock.js';
import { maskPhone, type Logger } from '../util/logger.js';
import type { AtLink, Timers } from './at-link.js';
import type { AtResult } from './at.js';
import {
  cnmiStoresReports,
  IncomingStore,
  isReceivedStat,
  parseCmgl,
  parseCmgr,
  parseCpmsUsage,
  slotName,
  type AssembledSms,
  type Slot,
  type StoreOptions,
} from './inbox.js';
import type { DecodedStatusReport } from './pdu-receive.js';
import type { ModemProfile } from './profile.js';

/**
 * The driver's side of the modem's message stores: reads what `+CMTI`/`+CDSI` announce, lists the
 * stores (`AT+CMGL=4`) at every initialisation and now and then, hands each received SMS and status
 * report to the consumer, and deletes it from the SIM (`AT+CMGD`) only once the consumer answered
 * that it stored it. A consumer that answers false, throws or does not answer in time leaves the
 * message on the SIM; it is offered again after a growing pause (inbox.ts keeps the books).
 * Everything here runs one step at a time, queued behind the AT link's other commands, so a
 * busy or full store never holds up a submit for longer than one command.
 */

/** A status report in the modem's own terms (the provider adds its id). */
export interface ModemStatusReport extends DecodedStatusReport {
  modemId: string;
  receivedAt: number;
}

export interface ModemIncoming {
  modemId: string;
  from: string;
  /** The whole text; an incomplete message has `[part k of n missing]` where parts are missing. */
  text: string;
  t: number;
  parts: number;
  /** Parts (1-based) that never came: the message was handed over incomplete. */
  missing: number[];
}

/**
 * The consumer's answer: true (or anything but false) once the message is stored durably; false,
 * a rejection or no answer within `handoverTimeoutMs` when it is not. Only then is it deleted.
 */
export type Acknowledge<T> = (item: T) => unknown;

export interface ReceiverOptions extends StoreOptions {
  /** How long a hand-over may take before it counts as failed (the message stays on the SIM). */
  handoverTimeoutMs?: number;
  /** How often the stores are listed while the modem is idle (catches a `+CMTI` that was lost). */
  sweepEveryMs?: number;
}

export interface ReceiverCounters {
  incoming: number;
  incomplete: number;
  reports: number;
  /** Hand-overs the consumer refused or did not answer: the message stayed on the SIM. */
  handoverFailures: number;
}

const NO_ANSWER = Symbol('no answer');
/** The soonest a failed listing is tried again from the health poll. */
const SWEEP_RETRY_MS = 60_000;

export class Receiver {
  private readonly store: IncomingStore;
  private incoming: Acknowledge<ModemIncoming> | null = null;
  private report: Acknowledge<ModemStatusReport> | null = null;
  /** Store work runs one step at a time. */
  private chain: Promise<void> = Promise.resolve();
  private wakeTimer: unknown = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private sweptGen = -1;
  private sweepWanted = false;
  private sweeping = false;
  /** A hand-over pass is queued and has not started: another one adds nothing. */
  private passQueued = false;
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private fullLogged = false;
  readonly counters: ReceiverCounters = { incoming: 0, incomplete: 0, reports: 0, handoverFailures: 0 };

  constructor(
    private readonly o: {
      modemId: string;
      link: AtLink;
      profile: ModemProfile;
      clock: Clock;
      timers: Timers;
      log: Logger;
      /** The modem is ready (or sending): store commands make sense. */
      canTalk(): boolean;
    } & ReceiverOptions,
  ) {
    this.store = new IncomingStore(o);
  }

  /** Where received SMS go; set before or after start (what waits is then offered). */
  onIncoming(fn: Acknowledge<ModemIncoming>): void {
    this.incoming = fn;
    this.queuePass();
  }

  onReport(fn: Acknowledge<ModemStatusReport>): void {
    this.report = fn;
    this.queuePass();
  }

  /** A stopped modem started again: its stores are listed at the next ready. */
  start(): void {
    this.stopped = false;
    this.sweepWanted = true;
    // Steps queued before the stop were skipped: their marks must not block new ones.
    this.sweeping = false;
    this.passQueued = false;
  }

  stop(): void {
    this.stopped = true;
    if (this.wakeTimer !== null) this.o.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  /** `+CMTI: "SM",3` / `+CDSI: "SR",1`: read it (it is listed at the next initialisation if the modem is not ready). */
  stored(slot: Slot): void {
    if (!this.o.canTalk()) {
      this.sweepWanted = true;
      return;
    }
    this.enqueue('read', async () => {
      const r = await this.inMem(slot.mem, () => this.cmd(`AT+CMGR=${slot.index}`));
      const read = r.final === 'OK' ? parseCmgr(r.lines) : null;
      if (read && isReceivedStat(read.stat)) this.store.add(slot, read.pdu, this.now());
      // 321 "invalid memory index": nothing there (deleted meanwhile).
      else if (r.final === 'CMS' && r.code === 321) this.store.remove(slot);
      else if (!read) {
        this.sweepWanted = true;
        this.o.log.warn({ slot: slotName(slot), answer: r.errorText ?? r.final }, 'a stored message could not be read; listed again later');
      }
      await this.pass();
    });
  }

  /** `+CMT` / `+CDS` with their PDU: acknowledged by the modem already, held in memory until handed over. */
  routed(pdu: string): void {
    this.store.add(null, pdu, this.now());
    this.queuePass();
  }

  /** The modem became ready: after each (re)initialisation, list what the stores hold. */
  ready(initGen: number): void {
    if (initGen === this.sweptGen && !this.sweepWanted) return;
    this.sweptGen = initGen;
    this.sweep();
  }

  /**
   * From the health poll while idle: list the stores every `sweepEveryMs`; after a listing that
   * failed (or a `+CMTI` that came while the modem was not ready) sooner, but not more often
   * than every SWEEP_RETRY_MS: a modem that answers badly gets no extra load from here.
   */
  idle(): void {
    const since = this.now() - this.lastSweepAt;
    if (since >= (this.o.sweepEveryMs ?? 15 * 60_000) || (this.sweepWanted && since >= SWEEP_RETRY_MS)) this.sweep();
  }

  private sweep(): void {
    // One listing at a time: a modem slow to answer must not collect a queue of them.
    if (this.sweeping) {
      this.sweepWanted = true;
      return;
    }
    this.sweeping = true;
    this.sweepWanted = false;
    this.lastSweepAt = this.now();
    this.enqueue('list', async () => {
      try {
        await this.list();
      } finally {
        this.sweeping = false;
      }
      await this.pass();
    });
  }

  private async list(): Promise<void> {
    const mems = cnmiStoresReports(this.o.profile.cnmi) ? ['SM', 'SR'] : ['SM'];
    try {
      for (const mem of mems) {
        const sel = await this.cmd(`AT+CPMS="${mem}"`);
        if (sel.final !== 'OK') continue;
        const list = await this.cmd('AT+CMGL=4', this.o.profile.timeouts.cfun);
        if (list.final !== 'OK') {
          this.o.log.warn({ mem, answer: list.errorText ?? list.final }, 'AT+CMGL refused: the store is not listed');
          continue;
        }
        const all = parseCmgl(list.lines);
        const received = all.filter((x) => isReceivedStat(x.stat));
        const usage = parseCpmsUsage(sel.lines);
        this.store.replace(mem, received, this.now(), usage ?? undefined);
        if (all.length > received.length)
          this.o.log.info({ mem, outgoing: all.length - received.length }, 'stored outgoing messages on the SIM are left alone');
      }
    } finally {
      if (mems.at(-1) !== 'SM') await this.cmd('AT+CPMS="SM"').catch(() => {});
    }
  }

  status(): { held: number; simFull: boolean } {
    return { held: this.store.size, simFull: this.store.full('SM') };
  }

  // ---- the steps ------------------------------------------------------------------------

  private now(): number {
    return this.o.clock.now();
  }

  private cmd(line: string, ms = this.o.profile.timeouts.default): Promise<AtResult> {
    return this.o.link.command(line, ms);
  }

  /** Runs `fn` with `mem` as the memory AT+CMGR/CMGD work on; "SM" is the one left selected. */
  private async inMem<T>(mem: string, fn: () => Promise<T>): Promise<T> {
    if (mem === 'SM') return fn();
    await this.cmd(`AT+CPMS="${mem}"`);
    try {
      return await fn();
    } finally {
      await this.cmd('AT+CPMS="SM"').catch(() => {});
    }
  }

  private queuePass(): void {
    if (this.passQueued) return;
    this.passQueued = true;
    this.enqueue('hand-over', () => this.pass());
  }

  private enqueue(what: string, step: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        await step();
      } catch (err) {
        // A reboot or a closed port ends the step; the next initialisation lists the stores again.
        this.sweepWanted = true;
        this.o.log.warn({ err: (err as Error).message, step: what }, 'message store step failed');
      }
    });
  }

  /** Hands over (or deletes) what is due, then sleeps until the next thing is. */
  private async pass(): Promise<void> {
    this.passQueued = false;
    // One reading of the clock for what is due and for the next wake: with a later reading, an
    // entry that came due just after `due()` looked (a wake timer fires up to a millisecond early
    // against Date.now) was neither handed over nor waited for, and sat until the next listing.
    const now = this.now();
    for (const item of this.store.due(now)) {
      if (this.stopped) return;
      if (item.kind === 'delete') {
        await this.delete(item.ids, item.slots);
        continue;
      }
      const ok = item.kind === 'sms' ? await this.handSms(item.sms) : await this.handReport(item.report);
      if (ok === null) continue;
      if (!ok) {
        this.counters.handoverFailures++;
        const f = this.store.failed(item.ids, this.now());
        const about =
          item.kind === 'sms' ? { from: maskPhone(item.sms.from) } : { reference: item.report.reference, to: maskPhone(item.report.recipient) };
        this.o.log.warn(
          { ...about, kind: item.kind, attempts: f.attempts, retryInS: Math.round((f.retryAt - this.now()) / 1000), onSim: item.slots.length > 0 },
          item.slots.length
            ? 'received message not stored; it stays on the SIM and is offered again later'
            : 'routed message not stored; held in memory and offered again later',
        );
        continue;
      }
      this.store.taken(item.ids);
      if (item.slots.length) await this.delete(item.ids, item.slots);
    }
    if (this.store.full('SM') !== this.fullLogged) {
      this.fullLogged = !this.fullLogged;
      if (this.fullLogged) this.o.log.warn({ held: this.store.held('SM') }, 'SIM message store full: new SMS wait at the network until room is made');
    }
    this.scheduleWake(now);
  }

  /** Arms the wake for the first thing that is not due at `now` (the time the pass looked). */
  private scheduleWake(now: number): void {
    const at = this.store.nextWake(now);
    if (at === null || this.stopped || at >= this.wakeAt) return;
    if (this.wakeTimer !== null) this.o.timers.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = this.o.timers.setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.queuePass();
      },
      Math.max(100, at - this.now()),
    );
  }

  /** The consumer's answer, or null when there is no consumer yet. */
  private async ask<T>(fn: Acknowledge<T> | null, item: T): Promise<boolean | null> {
    if (!fn) return null;
    let timer: unknown = null;
    try {
      const answer = await Promise.race([
        Promise.resolve().then(() => fn(item)),
        new Promise((resolve) => {
          timer = this.o.timers.setTimeout(() => resolve(NO_ANSWER), this.o.handoverTimeoutMs ?? 30_000);
        }),
      ]);
      return answer !== false && answer !== NO_ANSWER;
    } catch {
      return false;
    } finally {
      if (timer !== null) this.o.timers.clearTimeout(timer);
    }
  }

  private async handSms(sms: AssembledSms): Promise<boolean | null> {
    const m: ModemIncoming = { modemId: this.o.modemId, from: sms.from, text: sms.text, t: sms.t, parts: sms.parts, missing: sms.missing };
    const ok = await this.ask(this.incoming, m);
    if (!ok) return ok;
    this.counters.incoming++;
    if (sms.missing.length) this.counters.incomplete++;
    this.o.log.info(
      { from: maskPhone(sms.from), parts: sms.parts, ...(sms.missing.length ? { missing: sms.missing, why: sms.why } : {}) },
      sms.missing.length ? 'SMS received incomplete' : 'SMS received',
    );
    return true;
  }

  private async handReport(r: DecodedStatusReport): Promise<boolean | null> {
    const ok = await this.ask(this.report, { ...r, modemId: this.o.modemId, receivedAt: this.now() });
    if (ok) this.counters.reports++;
    return ok;
  }

  /** AT+CMGD for each slot; one that fails is tried again later (it is ours already, never offered twice). */
  private async delete(ids: number[], slots: Slot[]): Promise<void> {
    if (!this.o.canTalk()) return;
    const byMem = new Map<string, Slot[]>();
    for (const s of slots) byMem.set(s.mem, [...(byMem.get(s.mem) ?? []), s]);
    const left = new Set(slots.map(slotName));
    try {
      for (const [mem, list] of byMem) {
        await this.inMem(mem, async () => {
          for (const s of list) {
            const r = await this.cmd(`AT+CMGD=${s.index}`);
            if (r.final === 'OK' || (r.final === 'CMS' && r.code === 321)) {
              this.store.remove(s);
              left.delete(slotName(s));
            }
          }
        });
      }
    } finally {
      if (left.size) {
        const f = this.store.failed(ids, this.now());
        this.o.log.warn({ slots: [...left], attempts: f.attempts }, 'deleting a stored message failed; tried again later');
      }
    }
  }
}

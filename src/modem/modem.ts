import { EventEmitter } from 'node:events';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { tryAgain } from './answer-time.js';
import { AtError, AtLink, globalTimers, type Timers } from './at-link.js';
import type { AtResult } from './at.js';
import {
  initialLifecycle,
  isRegistered,
  registrationUrc,
  regStatus,
  transition,
  type InitFrom,
  type LifecycleEffect,
  type LifecycleEvent,
  type LifecycleState,
  type ModemStateName,
  type RegStatus,
} from './lifecycle.js';
import { cnmiStoresSms, parseStoredUrc } from './inbox.js';
import { parseCclk } from './network-time.js';
import type { PowerKey } from './power-key.js';
import type { ModemProfile } from './profile.js';
import { Receiver, type Acknowledge, type ModemIncoming, type ModemStatusReport, type ReceiverOptions } from './receive.js';
import type { Transport } from './transport.js';
import { parseCusd, UssdError } from './ussd.js';

/**
 * The driver of one modem: owns its transport, AT link and lifecycle machine, carries out the
 * machine's effects (open, initialise, recover, probe) and turns URCs into lifecycle events;
 * received SMS and status reports go to its Receiver (receive.ts). What a submit does lives in
 * submit.ts.
 */

export interface ModemOptions {
  id: string;
  profile: ModemProfile;
  transport: Transport;
  logger: Logger;
  clock: Clock;
  timers?: Timers;
  simPin?: string;
  /** Service centre address (E.164 with '+') set with AT+CSCA at every full initialisation. */
  smsc?: string;
  healthPollMs: number;
  powerKey?: PowerKey;
  /** Pause before the recovery ladder starts over after it failed completely. */
  retryFailedMs?: number;
  /** Received SMS and stored status reports: hand-over timeout, retries, part age, store listing. */
  receive?: ReceiverOptions;
}

export interface ModemCounters {
  sent: number;
  parts: number;
  temporaryErrors: number;
  permanentErrors: number;
  ambiguous: number;
  resends: number;
  reboots: number;
  recoveries: number;
  lateAnswers: number;
}

export type { Acknowledge, ModemIncoming, ModemStatusReport };

export function csqToDbm(rssi: number): number | null {
  if (rssi === 99 || rssi < 0 || rssi > 31) return null;
  return -113 + 2 * rssi;
}

class Cancelled extends Error {
  override name = 'Cancelled';
}

const ESC = '\u001b';

export class Modem extends EventEmitter {
  readonly id: string;
  readonly link: AtLink;
  private lc: LifecycleState;
  readonly counters: ModemCounters = {
    sent: 0,
    parts: 0,
    temporaryErrors: 0,
    permanentErrors: 0,
    ambiguous: 0,
    resends: 0,
    reboots: 0,
    recoveries: 0,
    lateAnswers: 0,
  };
  signalDbm: number | null = null;
  operator: string | null = null;
  lastError: string | null = null;
  /** Epoch ms of the last state change (what the status page shows as "since"). */
  since = 0;
  private readonly timers: Timers;
  private readonly log: Logger;
  private pollTimer: unknown = null;
  private reopenTimer: unknown = null;
  private probeTimer: unknown = null;
  private retryTimer: unknown = null;
  private reopenDelay = 500;
  private lastBootSeenAt = Number.NEGATIVE_INFINITY;
  private readonly receiver: Receiver;
  private ussdWaiter: { resolve(a: string): void; reject(e: Error): void } | null = null;

  constructor(readonly o: ModemOptions) {
    super();
    // The number goes onto an AT command line: only '+' and digits, whatever the caller checked.
    if (o.smsc !== undefined && !/^\+\d{3,20}$/.test(o.smsc)) throw new Error(`modem ${o.id}: smsc must be + and 3-20 digits`);
    this.id = o.id;
    this.timers = o.timers ?? globalTimers;
    this.log = o.logger.child({ modem: o.id });
    const t = o.profile.timeouts;
    // A slow modem's learned timeouts stop at the profile's timeout for slow commands (SIM, CFUN).
    this.link = new AtLink(o.transport, { extraUrcs: o.profile.quirks.extraUrcs, timers: this.timers, answerCeilingMs: Math.max(t.default, t.cfun) });
    this.link.onUrc((text, payload) => this.urc(text, payload));
    const hasPowerKey = !!(o.profile.powerKey && o.powerKey);
    this.lc = initialLifecycle({ smsReadyUrc: !!o.profile.smsReadyUrc, rungs: hasPowerKey ? 4 : 3 });
    this.receiver = new Receiver({
      ...o.receive,
      modemId: o.id,
      link: this.link,
      profile: o.profile,
      clock: o.clock,
      timers: this.timers,
      log: this.log,
      canTalk: () => this.lc.name === 'ready' || this.lc.name === 'sending',
    });
    // A port that goes away (USB unplugged); the ladder's own reopen is ignored by the lifecycle.
    o.transport.events.on('close', () => {
      if (this.lc.name !== 'off') this.dispatch({ type: 'port-closed', reason: `${o.transport.description} closed` });
    });
  }

  get state(): ModemStateName {
    return this.lc.name;
  }

  get profile(): ModemProfile {
    return this.o.profile;
  }

  /** The lifecycle's full state, for tests and /status. */
  get lifecycle(): Readonly<LifecycleState> {
    return this.lc;
  }

  get registration(): RegStatus | null {
    const r = Object.values(this.lc.readiness.registration);
    return r.find(isRegistered) ?? r[0] ?? null;
  }

  /**
   * Where received SMS go. The answer says whether the consumer stored the message: only after
   * true (or anything but false) is it deleted from the SIM; false, a rejection or no answer
   * leaves it there to be offered again later.
   */
  onIncoming(fn: Acknowledge<ModemIncoming>): void {
    this.receiver.onIncoming(fn);
  }

  /** Where status reports go; a stored one (`+CDSI`) is deleted only after the answer said stored. */
  onReport(fn: Acknowledge<ModemStatusReport>): void {
    this.receiver.onReport(fn);
  }

  /** Feeds one event to the lifecycle and carries out what it asks for. */
  dispatch(e: LifecycleEvent): void {
    const before = this.lc.name;
    const r = transition(this.lc, e);
    this.lc = r.state;
    if (r.state.reason && r.state.name !== 'ready' && r.state.name !== 'sending') this.lastError = r.state.reason;
    if (r.state.name !== before) {
      this.since = this.o.clock.now();
      // ready <-> sending flips twice per message: at info, two log lines per SMS.
      const busyFlip = (before === 'ready' && r.state.name === 'sending') || (before === 'sending' && r.state.name === 'ready');
      this.log[busyFlip ? 'debug' : 'info']({ from: before, to: r.state.name, event: e.type, reason: r.state.reason ?? undefined }, 'modem state');
      if (r.state.name === 'recovering' && before !== 'recovering' && before !== 'failed') this.counters.recoveries++;
      if (r.state.name === 'ready' && before !== 'sending') {
        this.lastError = null;
        this.receiver.ready(r.state.gen);
      }
      this.emit('state', r.state.name, before);
    }
    for (const eff of r.effects) this.effect(eff);
  }

  start(): void {
    this.receiver.start();
    this.dispatch({ type: 'start' });
    this.schedulePoll();
  }

  async stop(): Promise<void> {
    for (const t of [this.pollTimer, this.reopenTimer, this.probeTimer, this.retryTimer]) if (t !== null) this.timers.clearTimeout(t);
    this.pollTimer = this.reopenTimer = this.probeTimer = this.retryTimer = null;
    this.ussdWaiter?.reject(new UssdError('the modem stopped'));
    this.ussdWaiter = null;
    this.receiver.stop();
    this.dispatch({ type: 'stop' });
    await this.o.transport.close().catch(() => {});
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.timers.setTimeout(r, ms));
  }

  private effect(e: LifecycleEffect): void {
    switch (e.do) {
      case 'open':
        void this.open();
        return;
      case 'close':
        this.link.dispose();
        void this.o.transport.close().catch(() => {});
        return;
      case 'abort-commands':
        this.link.abort(e.cause);
        return;
      case 'init': {
        const gen = e.gen;
        this.runInit(gen, e.from).then(
          () => this.dispatch({ type: 'init-done', gen }),
          (err: Error) => {
            if (!(err instanceof Cancelled)) this.log.warn({ err: err.message }, 'initialisation failed');
            this.dispatch({ type: 'init-failed', gen, reason: err.message });
          },
        );
        return;
      }
      case 'rung': {
        const { ladder, rung } = e;
        this.runRung(ladder, rung).then(
          (ok) => this.dispatch({ type: 'rung-done', ladder, ok }),
          (err: Error) => this.dispatch({ type: 'rung-done', ladder, ok: false, reason: err.message }),
        );
        return;
      }
      case 'probe-sms':
        this.scheduleSmsProbe(0);
        return;
      case 'wait-retry':
        this.retryTimer = this.timers.setTimeout(() => {
          this.retryTimer = null;
          this.dispatch({ type: 'retry' });
        }, this.o.retryFailedMs ?? 60_000);
        return;
      case 'reopen-later': {
        if (this.reopenTimer !== null) return;
        const ms = this.reopenDelay;
        this.reopenDelay = Math.min(10_000, this.reopenDelay * 2);
        this.reopenTimer = this.timers.setTimeout(() => {
          this.reopenTimer = null;
          void this.open();
        }, ms);
        return;
      }
    }
  }

  private async open(): Promise<void> {
    if (this.lc.name === 'off') return;
    try {
      if (!this.o.transport.isOpen()) await this.o.transport.open();
      this.link.attach();
      this.reopenDelay = 500;
      this.dispatch({ type: 'port-opened' });
    } catch (err) {
      this.dispatch({ type: 'port-missing', reason: (err as Error).message });
    }
  }

  // ---- initialisation -------------------------------------------------------------------

  /**
   * A command on behalf of initialisation `gen`: refused once a newer one (or a ladder) took over.
   * A step that times out on a modem that may only be slow is sent again (`tryAgain`), so one
   * late answer costs that step, not the whole initialisation and a round of the ladder.
   */
  private async initCmd(gen: number, line: string, ms = this.o.profile.timeouts.default, retry = true): Promise<AtResult> {
    for (let attempt = 1; ; attempt++) {
      if (this.lc.init !== gen) throw new Cancelled('superseded');
      const late = this.link.stats.lateAnswers;
      try {
        return await this.link.command(line, ms);
      } catch (err) {
        if (this.lc.init !== gen) throw new Cancelled('superseded');
        if (!(err instanceof AtError) || !retry || !tryAgain(line, err.failure, attempt, this.link.stats.lateAnswers > late)) throw err;
        this.log.info(
          { command: line.startsWith('AT+CPIN=') ? 'AT+CPIN=…' : line, attempt },
          'initialisation step timed out: the modem may be slow, sending it again',
        );
      }
    }
  }

  private async wake(gen: number, waitMs: number): Promise<void> {
    const deadline = this.o.clock.now() + waitMs;
    for (;;) {
      if (this.lc.init !== gen) throw new Cancelled('superseded');
      await this.link.raw(ESC).catch(() => {});
      try {
        // wake() tries again itself, until its deadline.
        const r = await this.initCmd(gen, 'AT', Math.min(this.o.profile.timeouts.default, 1000), false);
        if (r.final === 'OK') return;
      } catch (err) {
        if (!(err instanceof AtError && err.timedOut)) throw err;
      }
      if (this.o.clock.now() >= deadline) throw new Error('no answer to AT');
    }
  }

  private async runInit(gen: number, from: InitFrom): Promise<void> {
    const p = this.o.profile;
    const c = (line: string, ms?: number) => this.initCmd(gen, line, ms);
    await this.wake(gen, from === 'boot' ? p.bootTimeMs + 5000 : 5000);
    let configured = false;
    if (from === 'check') {
      // A modem that kept our error mode and PDU mode did not reboot unseen (both reset to 0 at
      // boot on the models we know): only SIM, network and SMS readiness are checked.
      const cmee = await c('AT+CMEE?');
      const want = p.quirks.numericErrorsOnly ? 1 : 2;
      if (cmee.final === 'OK' && cmee.lines.some((l) => new RegExp(`^\\+CMEE:\\s*[${want}1]`).test(l))) {
        const r = await c('AT+CMGF?');
        configured = r.final === 'OK' && r.lines.some((l) => /^\+CMGF:\s*0/.test(l));
      }
    }
    if (!configured) {
      await c('ATE0');
      await c('ATV1');
      if ((await c(p.quirks.numericErrorsOnly ? 'AT+CMEE=1' : 'AT+CMEE=2')).final !== 'OK') await c('AT+CMEE=1');
      for (const line of p.init) {
        const r = await c(line);
        if (r.final !== 'OK') this.log.warn({ command: line, answer: r.errorText ?? r.final }, 'profile init command refused; continuing');
      }
      const cmgf = await c('AT+CMGF=0');
      if (cmgf.final !== 'OK') throw new Error(`AT+CMGF=0 answered ${cmgf.errorText ?? cmgf.final}`);
      if (this.o.smsc) {
        const csca = await c(`AT+CSCA="${this.o.smsc}",145`);
        if (csca.final !== 'OK') throw new Error(`AT+CSCA (the configured smsc) answered ${csca.errorText ?? csca.final}`);
      }
      // Registration changes as URCs: a lost or returned network is seen at once, also mid-submit.
      for (const tech of p.registration) await c(`AT+${tech}=2`);
      if (p.networkTime === 'clts') await c('AT+CLTS=1');
      if (p.networkTime === 'ctzu') await c('AT+CTZU=1');
    }
    await this.checkSim(gen);
    await this.checkRegistration(gen);
    await this.refreshSignal(gen).catch((err) => {
      if (err instanceof Cancelled) throw err;
    });
  }

  private async checkSim(gen: number): Promise<void> {
    const timeout = this.o.profile.timeouts.cfun;
    let r: AtResult | null = null;
    // Right after boot a SIM answers "busy" (+CME ERROR 14) for a while.
    for (let i = 0; i < 20; i++) {
      r = await this.initCmd(gen, 'AT+CPIN?', timeout);
      if (!(r.final === 'CME' && (r.code === 14 || (r.code === 10 && i < 3)))) break;
      await this.sleep(500);
    }
    const line = r?.lines.find((l) => l.startsWith('+CPIN:')) ?? '';
    if (r?.final === 'OK' && /READY/.test(line)) return this.dispatch({ type: 'sim', ready: true });
    const locked = (reason: string) => {
      this.dispatch({ type: 'sim-locked', reason });
      throw new Error(reason);
    };
    if (/SIM PIN/.test(line)) {
      if (!this.o.simPin) return locked('the SIM asks for a PIN: set simPin in the modem config');
      const e = await this.initCmd(gen, `AT+CPIN="${this.o.simPin}"`, timeout);
      // Never retry a refused PIN by itself: three wrong tries lock the SIM behind its PUK.
      if (e.final !== 'OK') return locked(`the SIM refused the configured PIN (${e.errorText ?? e.final}); fix simPin, then restart`);
      this.log.info('SIM unlocked');
      this.dispatch({ type: 'sim', ready: true });
      return;
    }
    if (/PUK/.test(line)) return locked('the SIM is PUK-locked: unlock it in a phone');
    if (r?.final === 'CME' && r.code === 10) return locked('no SIM inserted');
    throw new Error(`unexpected SIM state: ${r?.errorText ?? (line || r?.final)}`);
  }

  private async checkRegistration(gen: number | null): Promise<void> {
    for (const tech of this.o.profile.registration) {
      const r = gen === null ? await this.link.command(`AT+${tech}?`, this.o.profile.timeouts.default) : await this.initCmd(gen, `AT+${tech}?`);
      const m = new RegExp(`^\\+${tech}:\\s*\\d+,(\\d)`).exec(r.lines.find((l) => l.startsWith(`+${tech}:`)) ?? '');
      if (m) this.dispatch({ type: 'registration', tech, status: regStatus(m[1]!) });
    }
  }

  private async refreshSignal(gen: number | null): Promise<void> {
    const c = (line: string, ms?: number) =>
      gen === null ? this.link.command(line, ms ?? this.o.profile.timeouts.default) : this.initCmd(gen, line, ms);
    const csq = await c('AT+CSQ');
    const cm = /^\+CSQ:\s*(\d+),/.exec(csq.lines.find((l) => l.startsWith('+CSQ:')) ?? '');
    this.signalDbm = cm ? csqToDbm(Number(cm[1])) : null;
    const cops = await c('AT+COPS?', this.o.profile.timeouts.network);
    const om = /^\+COPS:\s*\d+,\d+,"([^"]*)"/.exec(cops.lines.find((l) => l.startsWith('+COPS:')) ?? '');
    this.operator = om ? om[1]! : null;
  }

  // ---- SMS readiness ----------------------------------------------------------------------

  /**
   * After a reboot the profile's "SMS ready" URC normally says when SMS commands work; where none
   * comes (first start of a modem up for long, a missed URC) `AT+CPMS?` answers OK once they do.
   */
  private scheduleSmsProbe(ms: number): void {
    if (this.probeTimer !== null) return;
    const sinceBoot = this.o.clock.now() - this.lastBootSeenAt;
    const waitUrc = this.o.profile.smsReadyUrc ? Math.max(0, this.o.profile.smsReadyTimeoutMs - sinceBoot) : 0;
    this.probeTimer = this.timers.setTimeout(
      () => {
        this.probeTimer = null;
        void this.probeSms();
      },
      Math.max(ms, waitUrc),
    );
  }

  private async probeSms(): Promise<void> {
    const s = this.lc;
    if (s.readiness.sms || !s.readiness.sim || s.name === 'off' || s.name === 'recovering' || s.name === 'failed' || s.name === 'unavailable') return;
    try {
      const r = await this.link.command('AT+CPMS?', this.o.profile.timeouts.default);
      if (r.final === 'OK') {
        await this.enableSmsRouting();
        if (!this.lc.readiness.sms) this.dispatch({ type: 'sms-ready', ready: true });
        return;
      }
    } catch {
      /* probed again below */
    }
    this.scheduleSmsProbe(1000);
  }

  /** `+CNMI` (reports and incoming SMS as URCs) only works once SMS is ready; re-sent after every reboot. */
  private async enableSmsRouting(): Promise<void> {
    const r = await this.link.command(this.o.profile.cnmi, this.o.profile.timeouts.default);
    if (r.final !== 'OK')
      this.log.warn({ command: this.o.profile.cnmi, answer: r.errorText ?? r.final }, 'AT+CNMI refused: no status reports or incoming SMS as URCs');
    else if (!cnmiStoresSms(this.o.profile.cnmi))
      this.log.warn(
        { command: this.o.profile.cnmi },
        'received SMS are routed (+CMT), not stored on the SIM: the modem acknowledges each before smsotpd has stored it; use mt 1',
      );
  }

  // ---- recovery -----------------------------------------------------------------------------

  private async runRung(ladder: number, rung: number): Promise<boolean> {
    const p = this.o.profile;
    const current = () => this.lc.ladder === ladder && this.lc.name === 'recovering';
    const answers = async (tries: number): Promise<boolean> => {
      for (let i = 0; i < tries && current(); i++) {
        await this.link.raw(ESC).catch(() => {});
        try {
          if ((await this.link.command('AT', 1000)).final === 'OK') return true;
        } catch {
          /* try again */
        }
      }
      return false;
    };
    const names = ['ESC + AT', 'reopen the port', p.reset.soft, 'power key'];
    this.log.warn({ rung: names[rung - 1], reason: this.lc.reason }, 'modem recovery');
    switch (rung) {
      case 1:
        return answers(3);
      case 2:
        await this.o.transport.close().catch(() => {});
        if (!current()) return false;
        try {
          await this.o.transport.open();
        } catch (err) {
          throw new Error(`reopen: ${(err as Error).message}`);
        }
        this.link.attach();
        return answers(3);
      case 3:
      case 4: {
        if (rung === 3) await this.link.command(p.reset.soft, p.timeouts.cfun).catch(() => {});
        else {
          await this.o.transport.close().catch(() => {});
          await this.o.powerKey!.cycle(p.powerKey!);
        }
        // A reboot prints its boot URCs and the lifecycle takes it from there (ending this ladder).
        await this.sleep(p.bootTimeMs);
        if (!current()) return false;
        if (!this.o.transport.isOpen()) {
          await this.o.transport.open();
          this.link.attach();
        }
        return answers(5);
      }
    }
    return false;
  }

  /** After `+CMS ERROR: 331` (no network): ask, so the lifecycle knows before the next message. */
  async recheckRegistration(): Promise<void> {
    await this.checkRegistration(null).catch(() => {});
  }

  /**
   * The modem did not answer in time: check with AT whether it still listens. An AT that times
   * out while late answers arrive is tried again (`tryAgain`): a slow modem is not a hung one.
   */
  async probeAlive(reason: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const late = this.link.stats.lateAnswers;
      try {
        const r = await this.link.command('AT', Math.min(1000, this.o.profile.timeouts.default));
        if (r.final === 'OK') return;
        break;
      } catch (err) {
        if (!(err instanceof AtError && tryAgain('AT', err.failure, attempt, this.link.stats.lateAnswers > late))) break;
      }
    }
    this.dispatch({ type: 'unresponsive', reason });
  }

  // ---- health poll --------------------------------------------------------------------------

  private schedulePoll(): void {
    this.pollTimer = this.timers.setTimeout(() => {
      this.pollTimer = null;
      void this.poll().finally(() => {
        if (this.lc.name !== 'off') this.schedulePoll();
      });
    }, this.o.healthPollMs);
  }

  private async poll(): Promise<void> {
    const s = this.lc;
    // Registration changes arrive as URCs at once; the poll refreshes signal and catches a missed one.
    if ((s.name !== 'ready' && s.name !== 'registering') || this.link.busy || s.init !== null) return;
    try {
      await this.checkRegistration(null);
      await this.refreshSignal(null);
      if (this.lc.name === 'ready') this.receiver.idle();
    } catch (err) {
      if (err instanceof AtError && err.timedOut) void this.probeAlive(`health check: ${err.message}`);
    }
  }

  // ---- URCs ----------------------------------------------------------------------------------

  private urc(text: string, payload?: string): void {
    const p = this.o.profile;
    const now = this.o.clock.now();
    const s = this.lc;
    const hard =
      text === 'RDY' ||
      text.startsWith('^SYSSTART') ||
      (p.bootUrcs.includes(text) && !['+CFUN: 1', '+CPIN: READY', 'Call Ready', p.smsReadyUrc].includes(text));
    const up = s.readiness.sms || s.name === 'ready' || s.name === 'sending';
    if (hard || (text === '+CFUN: 1' && up)) return this.bootSeen(text, now, hard);
    if (text.startsWith('+CPIN:')) {
      if (/READY/.test(text)) {
        if (s.readiness.sim && s.init === null && up) this.bootSeen(text, now);
        this.dispatch({ type: 'sim', ready: true });
      } else this.dispatch({ type: 'sim', ready: false, reason: text });
      return;
    }
    if (p.smsReadyUrc && text === p.smsReadyUrc) {
      // A second "SMS Ready" without RDY: the modem rebooted unseen (an autobauding SIM800 prints no RDY).
      if (s.readiness.sms) this.bootSeen(text, now);
      if (s.readiness.sim || s.init !== null) {
        void this.enableSmsRouting().then(
          () => this.dispatch({ type: 'sms-ready', ready: true }),
          () => this.scheduleSmsProbe(500),
        );
      }
      return;
    }
    const reg = registrationUrc(text);
    // `+CREG: 0,1` is an answer to AT+CREG? that came late (after its timeout), not a URC: its 0 is no status.
    if (reg) return reg === 'answer' ? undefined : this.dispatch({ type: 'registration', ...reg });
    if ((text.startsWith('+CDS:') || text.startsWith('+CMT:')) && payload) return this.receiver.routed(payload);
    if (text.startsWith('+CDSI:') || text.startsWith('+CMTI:')) {
      const slot = parseStoredUrc(text);
      if (slot) this.receiver.stored(slot);
      return;
    }
    if (text.startsWith('+CUSD:')) return this.ussdAnswer(text);
  }

  private bootSeen(line: string, now: number, hard = false): void {
    if (hard || now - this.lastBootSeenAt >= 3000) {
      this.counters.reboots++;
      this.log.warn({ urc: line }, 'modem rebooted: the command in flight ends, initialising again');
    }
    this.lastBootSeenAt = now;
    this.dispatch({ type: 'boot-urc', line, at: now, hard });
  }

  // ---- USSD ----------------------------------------------------------------------------------

  /** Runs a USSD code and resolves with the network's answer text. */
  async ussd(code: string, timeoutMs = 30_000): Promise<string> {
    if (!/^[0-9*#+]{1,32}$/.test(code)) throw new UssdError('a USSD code holds only 0-9 * # + (at most 32)');
    if (this.lc.name !== 'ready' && this.lc.name !== 'sending') throw new UssdError(`modem ${this.id} is ${this.lc.name}`);
    if (this.ussdWaiter) throw new UssdError(`modem ${this.id} already waits for a USSD answer`);
    return new Promise<string>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.ussdWaiter = null;
        reject(new UssdError(`no USSD answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.ussdWaiter = {
        resolve: (a) => {
          this.timers.clearTimeout(timer);
          this.ussdWaiter = null;
          resolve(a);
        },
        reject: (e) => {
          this.timers.clearTimeout(timer);
          this.ussdWaiter = null;
          reject(e);
        },
      };
      this.link.command(`AT+CUSD=1,"${code}",15`, this.o.profile.timeouts.network).then(
        (r) => {
          if (r.final !== 'OK') this.ussdWaiter?.reject(new UssdError(`the modem refused the USSD code (${r.errorText ?? r.final})`));
          // Some firmware answers +CUSD before OK: it is already in r.lines.
          const early = r.lines.find((l) => l.startsWith('+CUSD:'));
          if (early) this.ussdAnswer(early);
        },
        (err: Error) => this.ussdWaiter?.reject(new UssdError(err.message)),
      );
    });
  }

  private ussdAnswer(line: string): void {
    const w = this.ussdWaiter;
    if (!w) return;
    try {
      w.resolve(parseCusd(line, this.o.profile.quirks.ussdPacked));
    } catch (err) {
      w.reject(err as Error);
    }
  }

  /** The modem's clock (network time where the profile enables it), or null when it cannot say. */
  async networkTime(): Promise<number | null> {
    if (this.o.profile.networkTime === 'none' || this.lc.name !== 'ready') return null;
    try {
      const r = await this.link.command('AT+CCLK?', this.o.profile.timeouts.default);
      return r.final === 'OK' ? parseCclk(r.lines.find((l) => l.startsWith('+CCLK:')) ?? '') : null;
    } catch {
      return null;
    }
  }

  status() {
    return {
      id: this.id,
      profile: this.o.profile.id,
      device: this.o.transport.description,
      state: this.lc.name,
      since: this.since,
      sim: this.lc.readiness.sim,
      smsReady: this.lc.readiness.sms,
      signalDbm: this.signalDbm,
      operator: this.operator,
      registration: this.registration,
      lastError: this.lastError,
      ...this.counters,
      ...this.receiver.counters,
      ...this.receiver.status(),
      lateAnswers: this.link.stats.lateAnswers,
      droppedLines: this.link.stats.dropped,
      lateSubmitAcks: this.link.stats.lateSubmitAcks,
      answerTimeoutMs: this.link.timeoutFor('AT', this.o.profile.timeouts.default),
    };
  }
}

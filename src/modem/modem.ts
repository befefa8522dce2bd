import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SendFailure, type OutgoingSms, type SendContext, type SendOk } from '../sms/provider.js';
import type { Clock } from '../util/clock.js';
import { maskPhone, type Logger } from '../util/logger.js';
import { AtChannel, AtClosed, AtTimeout, type AtResult } from './at.js';
import { classifyCme, classifyCms, failureKind } from './errors.js';
import { encodeSubmit, PduError, planText, validPhoneNumber } from './pdu.js';
import type { ModemProfile } from './profile.js';
import type { PowerKey } from './power-key.js';
import type { Transport } from './transport.js';
import { parseCclk } from './network-time.js';

export type ModemState = 'offline' | 'booting' | 'sim-locked' | 'searching' | 'ready' | 'recovering' | 'failed';

export interface ModemOptions {
  id: string;
  profile: ModemProfile;
  transport: Transport;
  logger: Logger;
  clock: Clock;
  simPin?: string;
  healthPollMs: number;
  powerKey?: PowerKey;
  /** Pause before the recovery ladder starts over after it failed completely. */
  retryFailedMs?: number;
}

export interface ModemCounters {
  sent: number;
  parts: number;
  temporaryErrors: number;
  permanentErrors: number;
  ambiguous: number;
  /** Resends this modem did with reject-duplicates after an unknown outcome. */
  resends: number;
  recoveries: number;
  reboots: number;
}

/** Progress a multipart message keeps across attempts and restarts. */
interface PartProgress {
  concatRef?: number;
  partsSent?: number[];
}

/** Boot URCs closer together than this belong to one boot. */
const BOOT_SEQUENCE_MS = 3000;

const REG_STATES: Record<string, string> = { '0': 'not registered', '1': 'home', '2': 'searching', '3': 'denied', '4': 'unknown', '5': 'roaming' };

/** 27.007 +CSQ rssi to dBm; 99 = unknown. */
export function csqToDbm(rssi: number): number | null {
  if (!Number.isInteger(rssi) || rssi === 99 || rssi < 0 || rssi > 31) return null;
  return -113 + 2 * rssi;
}

/**
 * One modem: brings it up from its profile, keeps it healthy, and submits PDUs. Its state
 * (offline → booting → sim-locked | searching → ready, recovering, failed) is what the pool
 * routes by. A hang is met with a ladder: ESC + AT, reopen the port, soft reset, power key.
 */
export class Modem extends EventEmitter {
  state: ModemState = 'offline';
  signalDbm: number | null = null;
  operator: string | null = null;
  registration: string | null = null;
  lastError: string | null = null;
  readonly counters: ModemCounters = { sent: 0, parts: 0, temporaryErrors: 0, permanentErrors: 0, ambiguous: 0, resends: 0, recoveries: 0, reboots: 0 };
  private readonly at: AtChannel;
  private initializing = false;
  private recovering: Promise<void> | null = null;
  private stopped = false;
  private poll: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly log: Logger;
  private lastBootUrcAt = 0;

  constructor(private readonly o: ModemOptions) {
    super();
    this.log = o.logger.child({ modem: o.id });
    this.at = new AtChannel(o.transport, { logger: this.log, extraUrcs: o.profile.quirks.extraUrcs });
    this.at.onUrc((line) => this.urc(line));
  }

  get id(): string {
    return this.o.id;
  }

  private setState(s: ModemState, why?: string): void {
    if (this.state === s) return;
    const from = this.state;
    this.state = s;
    this.log.info({ from, to: s, why }, 'modem state');
    this.emit('state', s, from);
  }

  /** Opens and initialises in the background; failures go to the recovery ladder. */
  start(): void {
    this.stopped = false;
    void this.bringUp();
    this.poll = setInterval(() => void this.healthCheck(), this.o.healthPollMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    this.at.dispose();
    await this.o.transport.close().catch(() => {});
    this.setState('offline', 'stopped');
  }

  private async bringUp(): Promise<void> {
    try {
      if (!this.o.transport.isOpen()) {
        await this.o.transport.open();
        this.at.attach();
      }
      await this.init();
    } catch (err) {
      if (this.stopped) return;
      if (this.state === 'sim-locked') return; // needs the admin, retrying could lock the SIM for good
      void this.recover(`start-up failed: ${(err as Error).message}`);
    }
  }

  private cmd(command: string, timeout = this.o.profile.timeouts.default): Promise<AtResult> {
    return this.at.command(command, timeout);
  }

  private async expectOk(command: string, timeout?: number): Promise<AtResult> {
    const r = await this.cmd(command, timeout);
    if (r.final !== 'OK') throw new Error(`${command.startsWith('AT+CPIN=') ? 'AT+CPIN=…' : command} answered ${r.errorText ? `${r.final} ${r.errorText}` : r.final}`);
    return r;
  }

  /** The init sequence from the profile; leaves the modem ready, searching, or sim-locked. */
  async init(): Promise<void> {
    const p = this.o.profile;
    this.initializing = true;
    this.setState('booting');
    try {
      let awake = false;
      for (let i = 0; i < 5 && !awake; i++) {
        // ESC leaves a half-finished AT+CMGS prompt; AT also teaches autobauding modems the rate.
        await this.at.raw('\u001b').catch(() => {});
        try {
          awake = (await this.cmd('AT', Math.min(p.timeouts.default, 1500))).final === 'OK';
        } catch (err) {
          if (!(err instanceof AtTimeout)) throw err;
        }
      }
      if (!awake) throw new Error('no answer to AT');
      await this.expectOk('ATE0');
      await this.cmd('ATV1');
      if ((await this.cmd(p.quirks.numericErrorsOnly ? 'AT+CMEE=1' : 'AT+CMEE=2')).final !== 'OK') await this.cmd('AT+CMEE=1');
      await this.unlockSim();
      for (const c of p.init) {
        const r = await this.cmd(c);
        if (r.final !== 'OK') this.log.warn({ command: c, answer: r.errorText ?? r.final }, 'profile init command refused; continuing');
      }
      await this.expectOk('AT+CMGF=0');
      if (p.networkTime === 'clts') await this.cmd('AT+CLTS=1');
      if (p.networkTime === 'ctzu') await this.cmd('AT+CTZU=1');
      await this.refreshNetwork();
      this.lastError = null;
      this.setState(this.registration === 'home' || this.registration === 'roaming' ? 'ready' : 'searching', 'initialised');
    } finally {
      this.initializing = false;
    }
  }

  private async unlockSim(): Promise<void> {
    const timeout = this.o.profile.timeouts.cfun;
    let r: AtResult | null = null;
    // Right after boot a SIM answers "busy" (+CME ERROR 14) for a while.
    for (let i = 0; i < 10; i++) {
      r = await this.cmd('AT+CPIN?', timeout);
      if (!(r.final === 'CME' && r.code === 14)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const line = r?.lines.find((l) => l.startsWith('+CPIN:')) ?? '';
    if (r?.final === 'OK' && /READY/.test(line)) return;
    if (/SIM PIN/.test(line)) {
      if (!this.o.simPin) {
        this.lastError = 'the SIM asks for a PIN: set simPin in the modem config';
        this.setState('sim-locked');
        throw new Error(this.lastError);
      }
      const e = await this.cmd(`AT+CPIN="${this.o.simPin}"`, timeout);
      if (e.final !== 'OK') {
        // Never retry a refused PIN by itself: three wrong tries lock the SIM behind its PUK.
        this.lastError = `the SIM refused the configured PIN (${e.errorText ?? e.final}); fix simPin, then restart`;
        this.setState('sim-locked');
        throw new Error(this.lastError);
      }
      this.log.info('SIM unlocked');
      await new Promise((res) => setTimeout(res, 200));
      return;
    }
    if (/PUK/.test(line)) {
      this.lastError = 'the SIM is PUK-locked: unlock it in a phone';
      this.setState('sim-locked');
      throw new Error(this.lastError);
    }
    const why = r?.errorText ?? line ?? r?.final;
    if (r?.final === 'CME' && r.code === 10) {
      this.lastError = 'no SIM inserted';
      this.setState('sim-locked');
      throw new Error(this.lastError);
    }
    throw new Error(`unexpected SIM state: ${why}`);
  }

  /** Registration, signal and operator, from the modem's answers. */
  private async refreshNetwork(): Promise<void> {
    let best: string | null = null;
    for (const reg of this.o.profile.registration) {
      const r = await this.cmd(`AT+${reg}?`, this.o.profile.timeouts.default);
      const m = new RegExp(`^\\+${reg}:\\s*\\d+,(\\d)`).exec(r.lines.find((l) => l.startsWith(`+${reg}:`)) ?? '');
      const st = m ? (REG_STATES[m[1]!] ?? 'unknown') : null;
      if (st === 'home' || st === 'roaming') {
        best = st;
        break;
      }
      best ??= st;
    }
    this.registration = best;
    const csq = await this.cmd('AT+CSQ');
    const cm = /^\+CSQ:\s*(\d+),/.exec(csq.lines.find((l) => l.startsWith('+CSQ:')) ?? '');
    this.signalDbm = cm ? csqToDbm(Number(cm[1])) : null;
    const cops = await this.cmd('AT+COPS?', this.o.profile.timeouts.network);
    const om = /^\+COPS:\s*\d+,\d+,"([^"]*)"/.exec(cops.lines.find((l) => l.startsWith('+COPS:')) ?? '');
    this.operator = om ? om[1]! : null;
  }

  private async healthCheck(): Promise<void> {
    if (this.stopped || this.busy || this.initializing || this.recovering) return;
    if (this.state !== 'ready' && this.state !== 'searching') return;
    try {
      await this.refreshNetwork();
      const registered = this.registration === 'home' || this.registration === 'roaming';
      if (this.state === 'ready' && !registered) this.setState('searching', `registration ${this.registration}`);
      if (this.state === 'searching' && registered) this.setState('ready', 'registered');
    } catch (err) {
      if (err instanceof AtTimeout || err instanceof AtClosed) void this.recover(`health check: ${(err as Error).message}`);
    }
  }

  private urc(line: string): void {
    const boot = this.o.profile.bootUrcs[0];
    const rebooted = line === 'RDY' || line.startsWith('^SYSSTART') || (boot !== undefined && line === boot) || line === '+CFUN: 1';
    // A boot prints several URCs (RDY, +CFUN: 1, ...): the first one counts, the rest are the same boot.
    const now = this.o.clock.now();
    if (rebooted && !this.initializing && now - this.lastBootUrcAt > BOOT_SEQUENCE_MS) {
      this.lastBootUrcAt = now;
      this.counters.reboots++;
      if (this.recovering || this.stopped) return;
      this.log.warn({ urc: line }, 'modem rebooted by itself: initialising again');
      void this.reinitAfterReboot();
      return;
    }
    const reg = /^\+C(?:E|G)?REG:\s*(\d)\s*$/.exec(line);
    if (reg && !this.initializing) {
      const st = REG_STATES[reg[1]!] ?? 'unknown';
      this.registration = st;
      if ((st === 'home' || st === 'roaming') && this.state === 'searching') this.setState('ready', 'registered');
      if (!(st === 'home' || st === 'roaming') && this.state === 'ready') this.setState('searching', `registration ${st}`);
    }
  }

  private async reinitAfterReboot(): Promise<void> {
    this.setState('booting', 'reboot seen');
    // Boot URCs keep coming for a moment; let the SIM and SMS stack settle before talking.
    await new Promise((r) => setTimeout(r, Math.min(2000, this.o.profile.bootTimeMs / 4)));
    try {
      await this.init();
    } catch (err) {
      if (this.state !== 'sim-locked') void this.recover(`after reboot: ${(err as Error).message}`);
    }
  }

  /** The escalation ladder; concurrent callers share one run. */
  recover(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.recovering ??= this.runLadder(reason).finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  private async runLadder(reason: string): Promise<void> {
    this.counters.recoveries++;
    this.lastError = reason;
    this.setState('recovering', reason);
    const p = this.o.profile;
    const rungs: Array<[string, () => Promise<void>]> = [
      ['ESC + AT', async () => {}],
      ['reopen the port', async () => {
        await this.o.transport.close().catch(() => {});
        await this.reopen();
      }],
      [p.reset.soft, async () => {
        await this.cmd(p.reset.soft, p.timeouts.cfun).catch(() => {});
        await new Promise((r) => setTimeout(r, p.bootTimeMs));
        if (!this.o.transport.isOpen()) await this.reopen();
      }],
    ];
    if (p.powerKey && this.o.powerKey) {
      const key = p.powerKey;
      const pk = this.o.powerKey;
      rungs.push(['power key', async () => {
        await this.o.transport.close().catch(() => {});
        await pk.cycle(key);
        await new Promise((r) => setTimeout(r, p.bootTimeMs));
        await this.reopen();
      }]);
    }
    while (!this.stopped) {
      for (const [name, rung] of rungs) {
        if (this.stopped) return;
        try {
          this.log.warn({ rung: name, reason }, 'modem recovery');
          await rung();
          this.initializing = false;
          await this.init();
          this.log.info({ rung: name }, 'modem recovered');
          return;
        } catch (err) {
          this.lastError = `${name}: ${(err as Error).message}`;
          if (this.state === 'sim-locked') return;
        }
      }
      this.setState('failed', this.lastError ?? reason);
      await new Promise((r) => setTimeout(r, this.o.retryFailedMs ?? 60_000));
      this.setState('recovering', 'trying again');
    }
  }

  /** Reopens the port, waiting for a device that vanished (USB replug, renumbering) to return. */
  private async reopen(): Promise<void> {
    let last: Error | null = null;
    for (let i = 0; i < 10 && !this.stopped; i++) {
      try {
        await this.o.transport.open();
        this.at.attach();
        return;
      } catch (err) {
        last = err as Error;
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** i)));
      }
    }
    throw last ?? new Error('stopped');
  }

  /**
   * Submits one message (all its parts). Parts already accepted (progress) are never sent
   * again; the concatenation reference is chosen once and saved before the first part goes.
   */
  async submit(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
    if (this.state !== 'ready') throw new SendFailure('unavailable', `modem ${this.id} is ${this.state}`, 'modem not ready');
    if (!validPhoneNumber(msg.to)) throw new SendFailure('permanent', 'invalid phone number', 'bad number');
    this.busy = true;
    try {
      const progress = { ...(msg.progress as PartProgress) };
      const plan = planText(msg.text);
      if (plan.parts > 1 && progress.concatRef === undefined) {
        progress.concatRef = randomInt(0, 256);
        progress.partsSent = [];
        await ctx.checkpoint({ ...progress });
      }
      const remainingMin = (msg.expiresAt - this.o.clock.now()) / 60_000;
      let pdus;
      try {
        pdus = encodeSubmit({ to: msg.to, text: msg.text, validityMinutes: Math.max(5, remainingMin), rejectDuplicates: msg.resend, concatRef: progress.concatRef });
      } catch (err) {
        if (err instanceof PduError) throw new SendFailure('permanent', err.message, 'pdu');
        throw err;
      }
      if (msg.resend) this.counters.resends++;
      const refs: string[] = [];
      const t = this.o.profile.timeouts;
      for (const pdu of pdus) {
        if (progress.partsSent?.includes(pdu.part)) continue;
        if (ctx.signal.aborted) throw new SendFailure('temporary', 'cancelled', 'aborted');
        let r: AtResult;
        try {
          r = await this.at.submitPdu(pdu.tpduLength, pdu.hex, { prompt: t.prompt, submit: t.submit, promptDelayMs: this.o.profile.quirks.promptDelayMs });
        } catch (err) {
          if ((err instanceof AtTimeout && err.phase === 'submit') || (err instanceof AtClosed && err.afterBody)) {
            this.counters.ambiguous++;
            void this.recover('no answer after the message body');
            throw new SendFailure('ambiguous', `modem ${this.id} did not answer after the message body: it may have been sent`, 'timeout after Ctrl-Z');
          }
          void this.recover((err as Error).message);
          throw new SendFailure('unavailable', `modem ${this.id}: ${(err as Error).message}`, err instanceof AtTimeout ? 'no prompt' : 'port');
        }
        if (r.final === 'OK') {
          const mr = /^\+CMGS:\s*(\d+)/.exec(r.lines.find((l) => l.startsWith('+CMGS:')) ?? '')?.[1] ?? '?';
          refs.push(`${this.id}:${mr}`);
          this.counters.parts++;
          if (pdus.length > 1) {
            progress.partsSent = [...(progress.partsSent ?? []), pdu.part];
            await ctx.checkpoint({ ...progress });
          }
          continue;
        }
        const code = r.code ?? Number.NaN;
        const cls = r.final === 'CMS' ? classifyCms(code) : r.final === 'CME' ? classifyCme(code) : 'temporary';
        const label = `${r.final === 'ERROR' ? 'ERROR' : `${r.final} ${Number.isNaN(code) ? r.errorText : code}`}`;
        if (cls === 'temporary') this.counters.temporaryErrors++;
        if (cls === 'permanent') this.counters.permanentErrors++;
        if (cls === 'ambiguous') this.counters.ambiguous++;
        if (cls === 'modem') void this.recover(`submit answered ${label}`);
        this.log.warn({ to: maskPhone(msg.to), part: pdu.part, answer: label, class: cls }, 'submit refused');
        throw new SendFailure(failureKind(cls), `modem ${this.id} answered +${label}${r.errorText && !/^\d+$/.test(r.errorText) ? ` (${r.errorText})` : ''}`, label);
      }
      this.counters.sent++;
      return { ok: true, ref: refs.join(',') };
    } finally {
      this.busy = false;
    }
  }

  /** The modem's clock (network time where the profile enables it), or null when it cannot say. */
  async networkTime(): Promise<number | null> {
    if (this.o.profile.networkTime === 'none' || this.state !== 'ready') return null;
    try {
      const r = await this.cmd('AT+CCLK?');
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
      state: this.state,
      signalDbm: this.signalDbm,
      operator: this.operator,
      registration: this.registration,
      lastError: this.lastError,
      ...this.counters,
    };
  }
}

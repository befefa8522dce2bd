import { randomInt } from 'node:crypto';
import { maskPhone } from '../util/logger.js';
import { AtError } from './at-link.js';
import type { AtResult } from './at.js';
import { classifyCme, classifyCms } from './errors.js';
import type { Modem } from './modem.js';
import { encodeSubmit, PduError, planText, validPhoneNumber } from './pdu.js';

/**
 * Layer 4: the submit policy. PDU mode, concatenation with a reference chosen once and saved
 * before the first part, parts already accepted never sent again, TP-RD on resends, TP-SRR when
 * status reports are wanted, and a submit timeout learned from this modem's own submit times.
 * Outcomes are the modem's own (`ModemSendError.kind`); the provider maps them for the dispatcher.
 */

/**
 * - temporary: the network refused for now (congestion): retry later.
 * - permanent: this number/text will never go through this modem.
 * - not-sent: certainly not sent, the modem is the problem (not ready, rebooted before the body,
 *   no prompt, no network): another modem, or this one once ready again, can take it.
 * - ambiguous: the body was written and no answer came: it may have gone out.
 */
export type ModemSendErrorKind = 'temporary' | 'permanent' | 'not-sent' | 'ambiguous';

export class ModemSendError extends Error {
  override name = 'ModemSendError';
  constructor(
    readonly kind: ModemSendErrorKind,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface PartProgress {
  concatRef?: number;
  partsSent?: number[];
  references?: number[];
}

export interface ModemMessage {
  to: string;
  text: string;
  expiresAt: number;
  /** An earlier attempt's outcome is unknown: set TP-RD. */
  resend: boolean;
  progress: PartProgress;
  statusReport: boolean;
  signal?: AbortSignal;
  checkpoint(progress: PartProgress): Promise<void>;
}

export interface ModemSent {
  modemId: string;
  /** TP-MR of each part, in part order. */
  references: number[];
  reportRequested: boolean;
  parts: number;
}

/**
 * The submit timeout from observed submit times: the longer of 1.25 × the slowest of the last 20
 * and the median + 500 ms, between `floorMs` and `ceilingMs`. Until five submits were seen, a
 * third of the ceiling (but at least the floor). Tight on purpose: a lost acknowledgement then
 * costs about half a second more than a submit, and a submit that was only slow becomes a counted
 * possible duplicate (harmless for an OTP) whose late +CMGS widens the timeout at once.
 */
export class SubmitTimer {
  private readonly samples: number[] = [];
  /** The same samples in ascending order, kept so: timeoutMs() is asked on every submit. */
  private readonly sorted: number[] = [];
  constructor(
    readonly floorMs: number,
    readonly ceilingMs: number,
  ) {}

  observe(ms: number): void {
    this.samples.push(ms);
    if (this.samples.length > 20) this.sorted.splice(this.sorted.indexOf(this.samples.shift()!), 1);
    let i = this.sorted.length;
    while (i > 0 && this.sorted[i - 1]! > ms) i--;
    this.sorted.splice(i, 0, ms);
  }

  timeoutMs(): number {
    const floor = Math.min(this.floorMs, this.ceilingMs);
    if (this.samples.length < 5) return Math.min(this.ceilingMs, Math.max(floor, Math.round(this.ceilingMs / 3)));
    const sorted = this.sorted;
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const slowest = sorted.at(-1)!;
    return Math.min(this.ceilingMs, Math.max(floor, Math.round(Math.max(1.25 * slowest, median + 500))));
  }

  get observed(): number {
    return this.samples.length;
  }
}

function describe(r: AtResult): string {
  return r.final === 'ERROR' ? 'ERROR' : `${r.final} ${r.code !== undefined && !Number.isNaN(r.code) ? r.code : r.errorText}`;
}

export async function submitMessage(modem: Modem, msg: ModemMessage, timer: SubmitTimer, now: () => number): Promise<ModemSent> {
  if (modem.state !== 'ready') throw new ModemSendError('not-sent', `modem ${modem.id} is ${modem.state}`, 'not ready');
  if (!validPhoneNumber(msg.to)) throw new ModemSendError('permanent', 'invalid phone number', 'bad number');
  const progress: PartProgress = { ...msg.progress };
  const plan = planText(msg.text);
  const c = modem.counters;
  modem.dispatch({ type: 'submit-start' });
  try {
    if (plan.parts > 1 && progress.concatRef === undefined) {
      progress.concatRef = randomInt(0, 256);
      progress.partsSent = [];
      progress.references = [];
      await msg.checkpoint({ ...progress });
    }
    const remainingMin = (msg.expiresAt - now()) / 60_000;
    let pdus;
    try {
      pdus = encodeSubmit({
        to: msg.to,
        text: msg.text,
        validityMinutes: Math.max(5, remainingMin),
        rejectDuplicates: msg.resend,
        statusReport: msg.statusReport,
        concatRef: progress.concatRef,
      });
    } catch (err) {
      if (err instanceof PduError) throw new ModemSendError('permanent', err.message, 'pdu');
      throw err;
    }
    if (msg.resend) c.resends++;
    const references = [...(progress.references ?? [])];
    const t = modem.profile.timeouts;
    for (const pdu of pdus) {
      if (progress.partsSent?.includes(pdu.part)) continue;
      if (msg.signal?.aborted) throw new ModemSendError('temporary', 'cancelled', 'aborted');
      const started = now();
      let r: AtResult;
      try {
        r = await modem.link.submit(pdu.tpduLength, pdu.hex, { promptMs: t.prompt, submitMs: timer.timeoutMs() });
      } catch (err) {
        if (!(err instanceof AtError)) throw err;
        if (err.ambiguous) {
          c.ambiguous++;
          if (err.timedOut) void modem.probeAlive('no answer after the message body');
          throw new ModemSendError(
            'ambiguous',
            `modem ${modem.id}: ${err.message}: it may have been sent`,
            err.timedOut ? 'timeout after Ctrl-Z' : 'ended after Ctrl-Z',
          );
        }
        if (err.timedOut) void modem.probeAlive(err.message);
        throw new ModemSendError('not-sent', `modem ${modem.id}: ${err.message}`, err.timedOut ? 'no prompt' : 'aborted');
      }
      if (r.final === 'OK') {
        timer.observe(now() - started);
        const mr = /^\+CMGS:\s*(\d+)/.exec(r.lines.find((l) => l.startsWith('+CMGS:')) ?? '')?.[1];
        references.push(mr === undefined ? -1 : Number(mr));
        c.parts++;
        if (pdus.length > 1) {
          progress.partsSent = [...(progress.partsSent ?? []), pdu.part];
          progress.references = references;
          await msg.checkpoint({ ...progress });
        }
        continue;
      }
      const code = r.code ?? Number.NaN;
      const cls = r.final === 'CMS' ? classifyCms(code) : r.final === 'CME' ? classifyCme(code) : 'temporary';
      const label = describe(r);
      modem.o.logger.warn({ modem: modem.id, to: maskPhone(msg.to), part: pdu.part, answer: label, class: cls }, 'submit refused');
      const text = `modem ${modem.id} answered +${label}${r.errorText && !/^\d+$/.test(r.errorText) ? ` (${r.errorText})` : ''}`;
      switch (cls) {
        case 'temporary':
          c.temporaryErrors++;
          throw new ModemSendError('temporary', text, label);
        case 'permanent':
          c.permanentErrors++;
          throw new ModemSendError('permanent', text, label);
        case 'ambiguous':
          c.ambiguous++;
          throw new ModemSendError('ambiguous', text, label);
        case 'not-ready':
          c.temporaryErrors++;
          // 302/303: SMS is not ready (a reboot we missed); 331/332: no network. Check, then wait.
          if (code === 302 || code === 303 || code === 322) modem.dispatch({ type: 'sms-ready', ready: false });
          else void modem.recheckRegistration();
          throw new ModemSendError('not-sent', text, label);
        case 'modem':
          // SIM trouble: the ladder's first rung finds the modem answering and re-checks the SIM.
          modem.dispatch({ type: 'unresponsive', reason: `submit answered ${label}` });
          throw new ModemSendError('not-sent', text, label);
      }
    }
    c.sent++;
    return { modemId: modem.id, references, reportRequested: msg.statusReport, parts: pdus.length };
  } finally {
    modem.dispatch({ type: 'submit-end' });
  }
}

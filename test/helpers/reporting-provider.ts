import { systemClock, type Clock } from '../../src/util/clock.js';
import type { DeliveryReport, IncomingSms, OutgoingSms, ProviderHealth, SendContext, SendOk, SmsProvider } from '../../src/sms/provider.js';

export interface SentMessage {
  msg: OutgoingSms;
  modemId: string;
  references: number[];
}

/**
 * A modem pool in memory that behaves like one through the SmsProvider interface: every part it
 * accepts gets the next TP-MR of its modem (wrapping at 256), it emits status reports and
 * received SMS to whoever subscribed, and answers USSD from a script. Tests drive it by hand;
 * the dispatcher, outbox, inbox and API under test are the real ones.
 */
export class ReportingProvider implements SmsProvider {
  readonly type = 'test-modem';
  readonly sent: SentMessage[] = [];
  health: ProviderHealth = 'ready';
  /** Next TP-MR per modem. */
  readonly nextMr = new Map<string, number>();
  /** The modem the next message goes out on. */
  modemId: string;
  reportRequested = true;
  /** Time stamps of reports and received SMS (a test's manual clock). */
  clock: Clock = systemClock;
  /** Runs after the network "accepted" every part and before send() resolves (races, gates). */
  beforeResolve: ((s: SentMessage) => void | Promise<void>) | null = null;
  /** USSD: the answer per code, or what to throw; 'hang' never answers (until aborted). */
  ussdScript = new Map<string, string | Error | 'hang'>();
  readonly ussdCalls: Array<{ code: string; modemId?: string }> = [];
  private reportListeners: Array<(r: DeliveryReport) => void | Promise<boolean>> = [];
  private incomingListeners: Array<(s: IncomingSms) => void | Promise<boolean>> = [];
  private sentWaiters: Array<() => void> = [];

  constructor(
    readonly id = 'pool',
    readonly modems: string[] = ['m1'],
  ) {
    this.modemId = modems[0]!;
  }

  async start() {}
  async stop() {}
  available() {
    return this.health === 'ready';
  }
  expectedWaitMs() {
    return 0;
  }
  status() {
    return { id: this.id, type: this.type, health: this.health, detail: { modems: this.modems.map((id) => ({ id, state: 'ready' })) } };
  }

  /** 153 GSM-7 characters per part once a message needs more than one (160). */
  static partsOf(text: string): number {
    return text.length <= 160 ? 1 : Math.ceil(text.length / 153);
  }

  async send(msg: OutgoingSms, _ctx: SendContext): Promise<SendOk> {
    const modemId = this.modemId;
    const references: number[] = [];
    for (let i = 0; i < ReportingProvider.partsOf(msg.text); i++) {
      const mr = this.nextMr.get(modemId) ?? 0;
      references.push(mr);
      this.nextMr.set(modemId, (mr + 1) % 256);
    }
    const s: SentMessage = { msg, modemId, references };
    if (this.beforeResolve) await this.beforeResolve(s);
    this.sent.push(s);
    for (const w of this.sentWaiters.splice(0)) w();
    return { ok: true, ref: references.join(','), references, modemId, reportRequested: this.reportRequested };
  }

  onDeliveryReport(listener: (r: DeliveryReport) => void | Promise<boolean>): void {
    this.reportListeners.push(listener);
  }
  onIncoming(listener: (s: IncomingSms) => void | Promise<boolean>): void {
    this.incomingListeners.push(listener);
  }

  /** Emits a status report as the modem would hand it over; anything in `r` overrides. */
  report(r: Partial<DeliveryReport> & { reference: number; recipient: string }, now = this.clock.now()): void {
    void this.reportAnswered(r, now);
  }

  /** As report(), resolving with whether every listener recorded it (a modem deletes a stored report only then). */
  reportAnswered(r: Partial<DeliveryReport> & { reference: number; recipient: string }, now = this.clock.now()): Promise<boolean> {
    const full: DeliveryReport = {
      providerId: this.id,
      modemId: this.modemId,
      outcome: 'delivered',
      status: 0,
      dischargeTime: now,
      receivedAt: now,
      ...r,
    };
    const answers = this.reportListeners.map((l) => l(full));
    return Promise.all(answers).then((a) => a.every((x) => x !== false));
  }

  /** Hands over something that is not a valid report (a buggy driver). */
  reportRaw(raw: unknown): void {
    for (const l of this.reportListeners) void l(raw as DeliveryReport);
  }

  /** Emits a received SMS; resolves with whether every listener stored it (a modem then deletes it from the SIM). */
  async receive(s: Partial<IncomingSms> & { from: string; text: string }): Promise<boolean> {
    const full: IncomingSms = { providerId: this.id, modemId: this.modemId, t: this.clock.now(), ...s };
    const stored = await Promise.all(this.incomingListeners.map(async (l) => l(full)));
    return stored.every((x) => x !== false);
  }

  async ussd(code: string, opts: { modemId?: string; signal?: AbortSignal }): Promise<{ modemId: string; answer: string }> {
    this.ussdCalls.push({ code, modemId: opts.modemId });
    const modemId = opts.modemId ?? this.modems[0]!;
    if (!this.modems.includes(modemId)) throw new Error(`unknown modem "${modemId}"`);
    const a = this.ussdScript.get(code) ?? new Error('the network refused the USSD request (+CUSD: 4)');
    if (a instanceof Error) throw a;
    if (a === 'hang') {
      return new Promise((_resolve, reject) => {
        const abort = () => reject(opts.signal?.reason ?? new Error('aborted'));
        if (opts.signal?.aborted) abort();
        opts.signal?.addEventListener('abort', abort, { once: true });
      });
    }
    return { modemId, answer: a };
  }

  async waitForSent(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sent.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} sent messages (have ${this.sent.length})`);
      await new Promise<void>((r) => {
        this.sentWaiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

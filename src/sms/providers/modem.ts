import type { ModemProviderConfig, SimulatorProviderConfig } from '../../config/schema.js';
import { Modem, type ModemIncoming, type ModemStatusReport } from '../../modem/modem.js';
import { ModemPool, PoolUnavailable } from '../../modem/pool.js';
import { GpiosetPowerKey } from '../../modem/power-key.js';
import { defaultProfilesDir, loadProfile } from '../../modem/profile.js';
import { ModemSendError, type PartProgress } from '../../modem/submit.js';
import { createTransport, StreamTransport, TransportError } from '../../modem/transport.js';
import { createDuplexPair } from '../../sim/duplex-pair.js';
import { SimulatedModem } from '../../sim/modem.js';
import { createJsonlRecorder } from '../../sim/record.js';
import { systemClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import {
  SendFailure,
  type DeliveryReport,
  type FailureKind,
  type IncomingSms,
  type OutgoingSms,
  type ProviderStatus,
  type SendContext,
  type SendOk,
  type SmsProvider,
} from '../provider.js';

export interface ModemProviderDeps {
  logger: Logger;
  dataDir: string;
  clock?: Clock;
  profilesDir?: string;
}

/** Time a pool waits for its first modem before answering "unavailable". */
const STARTUP_GRACE_MS = 60_000;

const KIND: Record<ModemSendError['kind'], FailureKind> = {
  temporary: 'temporary',
  permanent: 'permanent',
  'not-sent': 'unavailable',
  ambiguous: 'ambiguous',
};

/** The modem layer's outcomes in the dispatcher's terms. */
export function toSendFailure(err: unknown): SendFailure {
  if (err instanceof SendFailure) return err;
  if (err instanceof ModemSendError) return new SendFailure(KIND[err.kind], err.message, err.code);
  if (err instanceof PoolUnavailable) return new SendFailure('unavailable', err.message, 'no modem');
  return new SendFailure('ambiguous', (err as Error)?.message ?? String(err));
}

interface Balance {
  modemId: string;
  code: string;
  answer: string | null;
  error: string | null;
  at: number | null;
  every: number;
}

/**
 * The SmsProvider face of a modem pool (provider types `modem` and `simulator`; the simulator only
 * replaces the wire). It maps modem outcomes to SendFailure, modem status reports and received SMS
 * to the shared DeliveryReport/IncomingSms types, and runs the optional balance check.
 */
/** Whether every listener took it: none answered false, none threw. */
async function allTook<T>(listeners: ReadonlyArray<(x: T) => void | Promise<boolean>>, x: T): Promise<boolean> {
  const answers = await Promise.all(listeners.map(async (l) => l(x)));
  return answers.every((a) => a !== false);
}

export class ModemProvider implements SmsProvider {
  private readonly balances: Balance[] = [];
  private readonly reportListeners: Array<(report: DeliveryReport) => void | Promise<boolean>> = [];
  private readonly incomingListeners: Array<(sms: IncomingSms) => void | Promise<boolean>> = [];
  private balanceTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    readonly type: 'modem' | 'simulator',
    readonly pool: ModemPool,
    private readonly statusReports: boolean,
    private readonly clock: Clock,
    balances: Array<{ modemId: string; code: string; every: number }> = [],
    /** The simulated modems of a `simulator` provider (demos and tests inject faults through them). */
    readonly simulators: SimulatedModem[] = [],
  ) {
    for (const b of balances) this.balances.push({ ...b, answer: null, error: null, at: null });
  }

  get modems(): Modem[] {
    return this.pool.modems;
  }

  async start(): Promise<void> {
    this.pool.start();
    if (this.balances.length) {
      // Checked once a modem is up, then every `balanceEvery`.
      this.balanceTimer = setInterval(() => void this.refreshBalances(), 10_000);
      this.balanceTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.balanceTimer) clearInterval(this.balanceTimer);
    await this.pool.stop();
    for (const s of this.simulators) s.shutdown();
  }

  async send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
    try {
      const r = await this.pool.send({
        id: msg.id,
        to: msg.to,
        text: msg.text,
        expiresAt: msg.expiresAt,
        resend: msg.resend,
        progress: msg.progress as PartProgress,
        statusReport: this.statusReports,
        signal: ctx.signal,
        checkpoint: (p) => ctx.checkpoint({ ...p }),
      });
      return {
        ok: true,
        ref: r.references.map((mr) => `${r.modemId}:${mr}`).join(','),
        references: r.references,
        modemId: r.modemId,
        reportRequested: r.reportRequested,
      };
    } catch (err) {
      throw toSendFailure(err);
    }
  }

  available(): boolean {
    return this.pool.available();
  }

  expectedWaitMs(ahead = 0): number {
    return this.pool.expectedWaitMs(ahead);
  }

  onRecovered(listener: () => void): void {
    this.pool.onRecovered(listener);
  }

  /**
   * Listeners' answers are the report's acknowledgement: a stored report (`+CDSI`) leaves the SIM
   * only once every listener said it recorded it (none answered false or threw).
   */
  onDeliveryReport(listener: (report: DeliveryReport) => void | Promise<boolean>): void {
    if (this.reportListeners.push(listener) > 1) return;
    this.pool.onReport((r: ModemStatusReport) =>
      allTook(this.reportListeners, {
        providerId: this.id,
        modemId: r.modemId,
        reference: r.reference,
        recipient: r.recipient,
        outcome: r.outcome,
        status: r.status,
        dischargeTime: r.dischargeTime,
        receivedAt: r.receivedAt,
        submitTime: r.serviceCentreTime,
      }),
    );
  }

  /** Listeners' answers (true once stored) go back to the modem: the SMS leaves the SIM only once every one took it. */
  onIncoming(listener: (sms: IncomingSms) => void | Promise<boolean>): void {
    if (this.incomingListeners.push(listener) > 1) return;
    this.pool.onIncoming((m: ModemIncoming) =>
      allTook(this.incomingListeners, { providerId: this.id, modemId: m.modemId, from: m.from, text: m.text, t: m.t }),
    );
  }

  async ussd(code: string, opts: { modemId?: string; signal?: AbortSignal } = {}): Promise<{ modemId: string; answer: string }> {
    if (opts.signal?.aborted) throw new Error('cancelled');
    return this.pool.ussd(code, opts.modemId);
  }

  /** Runs each modem's balance code that is due (every `balanceEvery`), on ready modems only. */
  async refreshBalances(): Promise<void> {
    const now = this.clock.now();
    for (const b of this.balances) {
      if (b.at !== null && now - b.at < b.every * 1000) continue;
      const m = this.pool.modems.find((x) => x.id === b.modemId);
      if (!m || m.state !== 'ready') continue;
      try {
        b.answer = (await m.ussd(b.code)).slice(0, 500);
        b.error = null;
      } catch (err) {
        b.error = (err as Error).message;
      }
      b.at = this.clock.now();
    }
  }

  status(): ProviderStatus {
    const now = this.clock.now();
    const pool = this.pool.status();
    const balance = new Map(
      this.balances.map((b) => [
        b.modemId,
        { code: b.code, answer: b.answer, error: b.error, at: b.at, ageSeconds: b.at === null ? null : Math.round((now - b.at) / 1000) },
      ]),
    );
    return {
      id: this.id,
      type: this.type,
      health: this.pool.health() === 'starting' && !this.pool.inStartup() && !this.pool.coming() ? 'down' : this.pool.health(),
      detail: {
        ...pool,
        statusReports: this.statusReports,
        modems: pool.modems.map((m) => ({ ...m, ...(balance.has(m.id) ? { balance: balance.get(m.id) } : {}) })),
      },
    };
  }
}

export function createModemProvider(cfg: ModemProviderConfig | SimulatorProviderConfig, deps: ModemProviderDeps): ModemProvider {
  const clock = deps.clock ?? systemClock;
  const dir = deps.profilesDir ?? defaultProfilesDir;
  const modems: Modem[] = [];
  const balances: Array<{ modemId: string; code: string; every: number }> = [];
  if (cfg.type === 'modem') {
    const list = cfg.modems ?? [
      {
        id: cfg.id,
        device: cfg.device!,
        profile: cfg.profile,
        baudRate: cfg.baudRate,
        simPin: cfg.simPin,
        balanceCode: undefined,
        balanceEvery: undefined,
      },
    ];
    for (const m of list) {
      const profile = loadProfile(m.profile ?? cfg.profile, dir);
      const code = m.balanceCode ?? cfg.balanceCode;
      if (code) balances.push({ modemId: m.id, code, every: m.balanceEvery ?? cfg.balanceEvery });
      modems.push(
        new Modem({
          id: m.id,
          profile,
          transport: createTransport(m.device, m.baudRate ?? cfg.baudRate),
          logger: deps.logger,
          clock,
          simPin: m.simPin ?? cfg.simPin,
          smsc: cfg.smsc,
          healthPollMs: cfg.healthPollSeconds * 1000,
          powerKey: new GpiosetPowerKey(),
        }),
      );
    }
    const pool = new ModemPool(cfg.id, modems, { logger: deps.logger, clock, startupGraceMs: STARTUP_GRACE_MS });
    return new ModemProvider(cfg.id, 'modem', pool, cfg.statusReports, clock, balances);
  }
  const base = loadProfile(cfg.profile, dir);
  // A simulated modem boots in a fraction of a second and answers within its submitMs: a real
  // modem's boot time and 60 s submit timeout would only slow the demo and the tests.
  const profile = {
    ...base,
    bootTimeMs: 500,
    smsReadyTimeoutMs: 2000,
    timeouts: { ...base.timeouts, default: 1000, prompt: 2000, submit: Math.max(2000, cfg.submitMs * 3), cfun: 2000, network: 2000 },
  };
  const record = createJsonlRecorder(deps.dataDir);
  const sims: SimulatedModem[] = [];
  for (let i = 0; i < cfg.count; i++) {
    const id = cfg.count === 1 ? cfg.id : `${cfg.id}-${i + 1}`;
    const { smsReadyDelayMs, ...faults } = cfg.faults;
    const sim = new SimulatedModem({
      id,
      profile,
      submitMs: cfg.submitMs,
      bootMs: 300,
      simPin: cfg.simPin,
      faults: { ...faults, smsReadyDelayMs, seed: cfg.faults.seed + i },
      record,
      reportDelayMs: cfg.reportDelayMs,
      ussd: { '*100#': 'Your balance is 12.34 EUR, valid until 2027-01-31.' },
    });
    sims.push(sim);
    if (cfg.balanceCode) balances.push({ modemId: id, code: cfg.balanceCode, every: cfg.balanceEvery });
    const transport = new StreamTransport(`simulator:${id}`, () => {
      if (!sim.present) throw new TransportError(`simulator:${id}: no such device`);
      const { driverSide, modemSide } = createDuplexPair();
      sim.attach(modemSide);
      return driverSide;
    });
    modems.push(
      new Modem({
        id,
        profile,
        transport,
        logger: deps.logger,
        clock,
        simPin: cfg.simPin,
        healthPollMs: cfg.healthPollSeconds * 1000,
        retryFailedMs: 5000,
      }),
    );
  }
  const pool = new ModemPool(cfg.id, modems, {
    logger: deps.logger,
    clock,
    startupGraceMs: STARTUP_GRACE_MS,
    submitFloorMs: Math.max(1000, cfg.submitMs + 500),
  });
  return new ModemProvider(cfg.id, 'simulator', pool, cfg.statusReports, clock, balances, sims);
}

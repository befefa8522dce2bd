/**
 * What every SMS provider (modem pool, simulator, http, sipgate, smtp) offers the dispatcher.
 * A provider sends one message per call and says how it went; the dispatcher owns retries,
 * failover, expiry and persistence.
 */

export interface OutgoingSms {
  /** Outbox id; stable across retries and restarts. */
  id: string;
  /** Phone number as stored (E.164 `+49...` or national). */
  to: string;
  /** Whole message text, plain (decrypted). */
  text: string;
  /** Epoch ms after which the message must not be sent (the OTP is dead). */
  expiresAt: number;
  /** 1 for the first attempt on any provider, counting up across providers. */
  attempt: number;
  /**
   * True when an earlier attempt's outcome is unknown (timeout after Ctrl-Z, crash mid-submit):
   * a modem sets the reject-duplicates bit, and any copy that reaches the phone is a duplicate
   * the dispatcher counts.
   */
  resend: boolean;
  /** Provider-private progress saved by an earlier attempt (see `checkpoint`). */
  progress: Record<string, unknown>;
}

export interface SendContext {
  /** Aborted on shutdown or when the message expires mid-send. */
  signal: AbortSignal;
  /**
   * Persists provider-private progress (e.g. concatenation reference, parts already accepted)
   * durably before resolving; a restart hands it back in `OutgoingSms.progress`.
   */
  checkpoint(progress: Record<string, unknown>): Promise<void>;
}

export interface SendOk {
  ok: true;
  /** Provider reference: modem message reference(s), gateway message id. */
  ref?: string;
  /**
   * Modems: the TP-Message-Reference of every part the network accepted (in part order), and the
   * id of the modem that sent them: what a later status report is matched by (with the recipient
   * and a time window).
   */
  references?: number[];
  modemId?: string;
  /** True when the sender asked the network for status reports (SRR set). */
  reportRequested?: boolean;
}

/**
 * A status report (SMS-STATUS-REPORT, 3GPP 23.040 9.2.2.3) for a message a modem sent, in the
 * modem's own terms: the dispatcher matches it to an outbox record.
 */
export interface DeliveryReport {
  /** The provider (pool) id and the modem within it that received the report. */
  providerId: string;
  modemId: string;
  /** TP-MR of the part the report is about (0-255). */
  reference: number;
  /** TP-RA: the recipient as the network gives it (normalise before comparing). */
  recipient: string;
  /**
   * TP-ST mapped: `delivered` (0x00-0x1F: received by the handset), `undelivered` (0x40-0x7F:
   * permanent failure), `pending` (0x20-0x3F: the network still tries; no state change).
   */
  outcome: 'delivered' | 'undelivered' | 'pending';
  /** TP-ST raw (0-255), for the audit log and /sms/<id>. */
  status: number;
  /** TP-DT (discharge time) as epoch ms; the modem's clock when the PDU lacks it. */
  dischargeTime: number;
  /** When the modem received the report, epoch ms. */
  receivedAt: number;
  /**
   * TP-SCTS of the report: when the service centre received the submit it is about (epoch ms),
   * if the PDU carries it. Optional; when given, it tells two messages that share a wrapped TP-MR
   * apart (the one submitted nearest this time wins).
   */
  submitTime?: number;
}

/** A received SMS (SMS-DELIVER), concatenated parts already joined. */
export interface IncomingSms {
  providerId: string;
  modemId: string;
  /** Originating address, E.164 where the network says international. */
  from: string;
  text: string;
  /** TP-SCTS (service centre time stamp) as epoch ms. */
  t: number;
}

/**
 * Failure classes, which drive what the dispatcher does next:
 * - temporary: retry later with backoff (same provider while attempts remain, then next).
 * - permanent: this provider will never deliver this message; hand it to the next at once.
 * - unavailable: the provider itself is down (modem out of service, gateway unreachable);
 *   counts towards its circuit breaker; the message moves on.
 * - ambiguous: the message may have gone out; resend (at-least-once) and count the duplicate.
 */
export type FailureKind = 'temporary' | 'permanent' | 'unavailable' | 'ambiguous';

export class SendFailure extends Error {
  override name = 'SendFailure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** Machine-readable cause, e.g. `CMS 38`, `HTTP 500`, `timeout`. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export type ProviderHealth = 'ready' | 'degraded' | 'down' | 'starting';

export interface ProviderStatus {
  id: string;
  type: string;
  health: ProviderHealth;
  /** Free-form details for /status (modems list, last error, counters). Never secrets. */
  detail: Record<string, unknown>;
}

export interface SmsProvider {
  readonly id: string;
  readonly type: string;
  start(): Promise<void>;
  /** Stops accepting work; lets the submit in flight finish or times it out; closes ports. */
  stop(): Promise<void>;
  /** Resolves on acceptance by the network/gateway; rejects with SendFailure. */
  send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk>;
  /** Whether it can take a message now (a modem pool with no ready modem says false). */
  available(): boolean;
  /**
   * Expected ms until a message handed over now would be submitted (queue ahead x submit time),
   * if `ahead` more messages were handed over first. The dispatcher moves a message on when this
   * exceeds its remaining validity.
   */
  expectedWaitMs(ahead?: number): number;
  status(): ProviderStatus;
  /**
   * Providers that know their own health (a modem pool) call `listener` when they can send
   * again; the dispatcher then closes their circuit breaker and retries what waits for them.
   */
  onRecovered?(listener: () => void): void;
  /**
   * Modems: status reports for sent messages (see `SendOk.references`). The listener's promise
   * (it never rejects) resolves true once the report is recorded durably or needs no recording,
   * false when recording failed: a provider that can keeps a stored report until `true`.
   */
  onDeliveryReport?(listener: (report: DeliveryReport) => void | Promise<boolean>): void;
  /**
   * Modems: SMS received. The listener's promise (it never rejects) resolves true once the
   * message is stored durably, false when it could not be (malformed, disk failing): a provider
   * that can should delete the message from the SIM/modem store only after `true`, so a full disk
   * or a crash loses no received SMS.
   */
  onIncoming?(listener: (sms: IncomingSms) => void | Promise<boolean>): void;
  /**
   * Modems: run a USSD code (e.g. `*100#`) on one modem (`modemId`, or any ready one) and resolve
   * with the network's answer text; rejects with a clear Error (unknown modem, not ready, timeout,
   * network refused).
   */
  ussd?(code: string, opts: { modemId?: string; signal?: AbortSignal }): Promise<{ modemId: string; answer: string }>;
}

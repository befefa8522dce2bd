import type { OutgoingSms, ProviderHealth, SendContext, SendOk, SmsProvider } from '../../src/sms/provider.js';
import { SendFailure, type FailureKind } from '../../src/sms/provider.js';

/**
 * An SMS gateway in memory for token- and dispatcher-level tests: it records what it accepts
 * and fails on command. Modem and HTTP providers are tested against real peers elsewhere.
 */
export class RecordingProvider implements SmsProvider {
  readonly type = 'recording';
  readonly sent: OutgoingSms[] = [];
  readonly attempts: OutgoingSms[] = [];
  /** Failures to return for the next attempts, in order. */
  failures: FailureKind[] = [];
  health: ProviderHealth = 'ready';
  waitMs = 0;
  delayMs = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly id = 'rec') {}

  async start() {}
  async stop() {}
  available() {
    return this.health === 'ready';
  }
  expectedWaitMs() {
    return this.waitMs;
  }
  status() {
    return { id: this.id, type: this.type, health: this.health, detail: { sent: this.sent.length } };
  }

  async send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
    this.attempts.push(msg);
    if (this.delayMs) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.delayMs);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new SendFailure('ambiguous', 'aborted'));
        });
      });
    }
    const f = this.failures.shift();
    if (f) throw new SendFailure(f, `injected ${f} failure`, `TEST ${f}`);
    this.sent.push(msg);
    for (const w of this.waiters.splice(0)) w();
    return { ok: true, ref: String(this.sent.length) };
  }

  /** Resolves when `n` messages in total have been accepted. */
  async waitForSent(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sent.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} sent messages (have ${this.sent.length})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

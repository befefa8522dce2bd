import type { SendFailure } from '../provider.js';
import { scrubDigits } from '../../util/logger.js';

/** What a gateway provider shows in /status: counts, last latency, last error (no secrets). */
export class ProviderCounters {
  sent = 0;
  failed = 0;
  lastLatencyMs: number | null = null;
  lastError: string | null = null;

  ok(): void {
    this.sent++;
  }

  latency(ms: number): void {
    this.lastLatencyMs = ms;
  }

  /** Counts the failure and hands it back, so callers can `throw counters.fail(...)`. */
  fail(f: SendFailure): SendFailure {
    this.failed++;
    this.lastError = scrubDigits(`${f.kind}: ${f.message}`);
    return f;
  }

  view() {
    return { sent: this.sent, failed: this.failed, lastLatencyMs: this.lastLatencyMs, lastError: this.lastError };
  }
}

import type { Dispatcher } from '../sms/dispatcher.js';
import type { Clock } from '../util/clock.js';

/**
 * Keeps each modem's recent signal readings for the console's chart: one sample per
 * interval, a bounded window, so an hour of history costs a few kilobytes.
 */
export class SignalHistory {
  private samples = new Map<string, Array<{ t: number; dbm: number | null }>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
    private readonly keep = 120,
  ) {}

  start(intervalMs = 30_000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sample(): void {
    const t = this.clock.now();
    for (const p of this.dispatcher.status().providers) {
      const modems = (p.detail as { modems?: Array<{ id?: string; signalDbm?: number | null }> }).modems;
      if (!Array.isArray(modems)) continue;
      for (const m of modems) {
        if (!m?.id) continue;
        const list = this.samples.get(m.id) ?? [];
        list.push({ t, dbm: typeof m.signalDbm === 'number' ? m.signalDbm : null });
        if (list.length > this.keep) list.splice(0, list.length - this.keep);
        this.samples.set(m.id, list);
      }
    }
  }

  get(): Record<string, Array<{ t: number; dbm: number | null }>> {
    return Object.fromEntries(this.samples);
  }
}

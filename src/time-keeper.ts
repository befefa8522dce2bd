import { execFile } from 'node:child_process';
import type { SmsProvider } from './sms/provider.js';
import type { AdjustableClock } from './util/clock.js';
import type { Logger } from './util/logger.js';

/** A clock before this is certainly wrong (a Pi without RTC boots at its image's date). */
export const EARLIEST_PLAUSIBLE = Date.UTC(2026, 0, 1);
/** Disagreement with the modem below this is left alone (network time has second granularity). */
const TOLERANCE_MS = 60_000;

export type NtpState = () => Promise<boolean | null>;

/** systemd's view of NTP; null where timedatectl is absent (containers, other inits). */
export const timedatectlNtp: NtpState = () =>
  new Promise((resolve) =>
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3000 }, (err, out) =>
      resolve(err ? null : String(out).trim() === 'yes'),
    ),
  );

/**
 * Chooses the time source: NTP when the system says it is synchronised; otherwise a ready
 * modem's network time (AT+CCLK?) when it is plausible and differs from the system clock by more
 * than a minute; otherwise the system clock as it is.
 */
export async function checkTime(clock: AdjustableClock, providers: SmsProvider[], logger: Logger, ntp: NtpState = timedatectlNtp): Promise<void> {
  if (await ntp()) {
    if (clock.source !== 'ntp') logger.info('clock: NTP synchronised; using the system clock');
    clock.set('ntp', 0);
    return;
  }
  for (const p of providers) {
    const modems = (p as { modems?: Array<{ id: string; networkTime(): Promise<number | null> }> }).modems;
    if (!Array.isArray(modems)) continue;
    for (const m of modems) {
      const t = await m.networkTime();
      if (t === null || t < EARLIEST_PLAUSIBLE) continue;
      const offset = t - Date.now();
      if (Math.abs(offset) > TOLERANCE_MS || Date.now() < EARLIEST_PLAUSIBLE) {
        logger.warn(
          { modem: m.id, offsetSeconds: Math.round(offset / 1000) },
          'clock: system clock not synchronised and wrong; using the modem network time',
        );
        clock.set('modem', offset);
      } else {
        clock.set('system', 0);
      }
      return;
    }
  }
  clock.set('system', 0);
}

/** Checks now, then periodically; returns a stop function. */
export function keepTime(clock: AdjustableClock, providers: SmsProvider[], logger: Logger, everyMs = 10 * 60_000): () => void {
  const run = () => void checkTime(clock, providers, logger).catch((err) => logger.warn({ err }, 'clock check failed'));
  const first = setTimeout(run, 5000);
  const timer = setInterval(run, everyMs);
  timer.unref();
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

import { afterEach, beforeEach, vi } from 'vitest';
import { Modem } from '../../src/modem/modem.js';
import { ModemPool, type PoolMessage } from '../../src/modem/pool.js';
import type { ReceiverOptions } from '../../src/modem/receive.js';
import { loadProfile, modemProfileSchema, type ModemProfile } from '../../src/modem/profile.js';
import { StreamTransport, TransportError } from '../../src/modem/transport.js';
import { createDuplexPair } from '../../src/sim/duplex-pair.js';
import { SimulatedModem, type FaultConfig, type SimulatedModemOptions } from '../../src/sim/modem.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';

/**
 * Byte-level rigs in fake time: the real driver stack (AtLink, lifecycle, submit, pool) talks to
 * the simulated modem over the in-memory duplex; vitest's fake timers drive every timeout, boot
 * delay and submit time, so a 60 s timeout costs no wall time and nothing depends on the machine's
 * speed. Times asserted are fake-clock times.
 */

export const profileFor = (id = 'sim800', over: Partial<ModemProfile> = {}): ModemProfile =>
  modemProfileSchema.parse({ ...loadProfile(id), bootTimeMs: 3000, smsReadyTimeoutMs: 4000, ...over });

export interface SimRig {
  sims: SimulatedModem[];
  modems: Modem[];
  pool: ModemPool;
  /** Every command line the simulators received, with its fake time and modem. */
  log: Array<{ t: number; modem: string; line: string }>;
}

export interface RigOptions {
  count?: number;
  profile?: ModemProfile;
  faults?: Partial<FaultConfig>;
  sim?: Partial<SimulatedModemOptions>;
  bootMs?: (i: number) => number;
  simPin?: string;
  modemPin?: string;
  outageGraceMs?: number;
  healthPollMs?: number;
  smsc?: string;
  receive?: ReceiverOptions;
  logger?: Logger;
}

export function simRig(o: RigOptions = {}): SimRig {
  const profile = o.profile ?? profileFor();
  const log: SimRig['log'] = [];
  const sims: SimulatedModem[] = [];
  for (let i = 0; i < (o.count ?? 1); i++) {
    const id = `m${i + 1}`;
    sims.push(
      new SimulatedModem({
        id,
        profile,
        submitMs: 1500,
        bootMs: o.bootMs?.(i) ?? 1000,
        simPin: o.simPin,
        faults: { ...o.faults, seed: (o.faults?.seed ?? 1) + i },
        onCommand: (line) => log.push({ t: Date.now(), modem: id, line }),
        ...o.sim,
      }),
    );
  }
  return { sims, log, ...driverFor(sims, profile, o) };
}

/** A driver (modems and their pool) for these simulated modems: a second one is the daemon restarted. */
export function driverFor(sims: SimulatedModem[], profile: ModemProfile, o: RigOptions = {}): { modems: Modem[]; pool: ModemPool } {
  const modems = sims.map((sim, i) => {
    const id = `m${i + 1}`;
    const transport = new StreamTransport(`sim:${id}`, () => {
      if (!sim.present) throw new TransportError(`sim:${id}: no such device`);
      const { driverSide, modemSide } = createDuplexPair();
      sim.attach(modemSide);
      return driverSide;
    });
    return new Modem({
      id,
      profile,
      transport,
      logger: o.logger ?? silentLogger,
      clock: systemClock,
      simPin: o.modemPin ?? o.simPin,
      smsc: o.smsc,
      healthPollMs: o.healthPollMs ?? 30_000,
      retryFailedMs: 5000,
      receive: o.receive,
    });
  });
  const pool = new ModemPool('pool', modems, { logger: silentLogger, clock: systemClock, startupGraceMs: 60_000, outageGraceMs: o.outageGraceMs });
  return { modems, pool };
}

export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Advances fake time in steps until `fn` holds; returns the fake ms it took. Throws past `maxMs`. */
export async function until(fn: () => boolean, maxMs = 120_000, stepMs = 10, what = 'condition'): Promise<number> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > maxMs) throw new Error(`fake time: ${what} not reached in ${maxMs} ms`);
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  return Date.now() - start;
}

/** Advances fake time until `p` settles; resolves or rejects as it did. */
export async function settle<T>(p: Promise<T>, maxMs = 120_000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => {});
  await until(() => done, maxMs, 10, 'promise settled');
  return watched;
}

export function message(text: string, extra: Partial<PoolMessage> = {}): PoolMessage {
  return {
    id: `id-${text}`,
    to: '+4917612345678',
    text,
    expiresAt: Date.now() + 300_000,
    resend: false,
    progress: {},
    statusReport: false,
    checkpoint: async () => {},
    ...extra,
  };
}

/**
 * What the dispatcher does with one message on a pool: send; on an unknown outcome resend with
 * TP-RD (counting a possible duplicate); on a certain failure try again after a second, until the
 * message expires. Resolves with the number of attempts and possible duplicates.
 */
export async function deliver(pool: ModemPool, msg: PoolMessage): Promise<{ attempts: number; duplicates: number; sent: boolean }> {
  let attempts = 0;
  let duplicates = 0;
  let resend = false;
  while (Date.now() < msg.expiresAt) {
    attempts++;
    if (resend) duplicates++;
    try {
      await pool.send({ ...msg, resend });
      return { attempts, duplicates, sent: true };
    } catch (err) {
      resend = (err as { kind?: string }).kind === 'ambiguous';
      await new Promise((r) => setTimeout(r, resend ? 100 : 1000));
    }
  }
  return { attempts, duplicates, sent: false };
}

export async function stopRig(r: SimRig): Promise<void> {
  await r.pool.stop();
  for (const s of r.sims) s.shutdown();
}

/**
 * Each test of the calling describe block runs in fake time from a fixed date; afterwards the rig
 * that `take` hands back (and clears) is stopped, and real time returns.
 */
export function inFakeTime(take: () => SimRig | null): void {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 11, 4) }));
  afterEach(async () => {
    const r = take();
    if (r) await stopRig(r);
    vi.useRealTimers();
  });
}

import type { ModemProviderConfig, SimulatorProviderConfig } from '../../config/schema.js';
import { Modem } from '../../modem/modem.js';
import { ModemPool } from '../../modem/pool.js';
import { GpiosetPowerKey } from '../../modem/power-key.js';
import { defaultProfilesDir, loadProfile } from '../../modem/profile.js';
import { createTransport, StreamTransport } from '../../modem/transport.js';
import { createDuplexPair } from '../../sim/duplex-pair.js';
import { SimulatedModem } from '../../sim/modem.js';
import { createJsonlRecorder } from '../../sim/record.js';
import { systemClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

export interface ModemProviderDeps {
  logger: Logger;
  dataDir: string;
  clock?: Clock;
  profilesDir?: string;
}

/** Time a pool waits for its first modem before answering "unavailable". */
const STARTUP_GRACE_MS = 60_000;

/**
 * Provider types `modem` (real modems on serial ports or tcp://) and `simulator` (simulated
 * modems in-process). Both run through the same driver; the simulator only replaces the wire.
 */
export function createModemProvider(cfg: ModemProviderConfig | SimulatorProviderConfig, deps: ModemProviderDeps): ModemPool {
  const clock = deps.clock ?? systemClock;
  const dir = deps.profilesDir ?? defaultProfilesDir;
  const modems: Modem[] = [];
  if (cfg.type === 'modem') {
    const list = cfg.modems ?? [{ id: cfg.id, device: cfg.device!, profile: cfg.profile, baudRate: cfg.baudRate, simPin: cfg.simPin }];
    for (const m of list) {
      const profile = loadProfile(m.profile ?? cfg.profile, dir);
      modems.push(
        new Modem({
          id: m.id,
          profile,
          transport: createTransport(m.device, m.baudRate ?? cfg.baudRate),
          logger: deps.logger,
          clock,
          simPin: m.simPin ?? cfg.simPin,
          healthPollMs: cfg.healthPollSeconds * 1000,
          powerKey: new GpiosetPowerKey(),
        }),
      );
    }
    return new ModemPool(cfg.id, 'modem', modems, { logger: deps.logger, clock, startupGraceMs: STARTUP_GRACE_MS });
  }
  const base = loadProfile(cfg.profile, dir);
  // A simulated modem boots in a fraction of a second and answers within its submitMs: a real
  // modem's boot time and 60 s submit timeout would only slow the demo and the tests.
  const profile = {
    ...base,
    bootTimeMs: 500,
    timeouts: { ...base.timeouts, default: 1000, prompt: 2000, submit: Math.max(2000, cfg.submitMs * 3), cfun: 2000, network: 2000 },
  };
  const record = createJsonlRecorder(deps.dataDir);
  const sims: SimulatedModem[] = [];
  for (let i = 0; i < cfg.count; i++) {
    const id = cfg.count === 1 ? cfg.id : `${cfg.id}-${i + 1}`;
    const sim = new SimulatedModem({ id, profile, submitMs: cfg.submitMs, bootMs: 300, simPin: cfg.simPin, faults: { ...cfg.faults, seed: cfg.faults.seed + i }, record });
    sims.push(sim);
    const transport = new StreamTransport(`simulator:${id}`, () => {
      const { driverSide, modemSide } = createDuplexPair();
      sim.attach(modemSide);
      return driverSide;
    });
    modems.push(new Modem({ id, profile, transport, logger: deps.logger, clock, simPin: cfg.simPin, healthPollMs: cfg.healthPollSeconds * 1000 }));
  }
  const pool = new ModemPool(cfg.id, 'simulator', modems, { logger: deps.logger, clock, startupGraceMs: STARTUP_GRACE_MS });
  pool.simulators = sims;
  return pool;
}

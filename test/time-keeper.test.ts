import { afterEach, describe, expect, it } from 'vitest';
import type { ModemProvider } from '../src/sms/providers/modem.js';
import { createModemProvider } from '../src/sms/providers/modem.js';
import { simulatorProviderSchema } from '../src/config/schema.js';
import { checkTime } from '../src/time-keeper.js';
import { AdjustableClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { tempDir } from './helpers/harness.js';

describe("time keeping: the modems' network time when NTP is missing", () => {
  let pool: ModemProvider | null = null;
  afterEach(async () => {
    await pool?.stop();
    pool = null;
  });

  async function poolWithModemClockAhead(ms: number) {
    const p = createModemProvider(simulatorProviderSchema.parse({ id: 'sim', type: 'simulator', profile: 'sim800', submitMs: 10 }), {
      logger: silentLogger,
      dataDir: tempDir(),
    });
    pool = p;
    (p.simulators[0] as unknown as { now: () => number }).now = () => Date.now() + ms;
    await p.start();
    const end = Date.now() + 10_000;
    while (!p.available()) {
      if (Date.now() > end) throw new Error('modem not ready');
      await new Promise((r) => setTimeout(r, 20));
    }
    return p;
  }

  it('without NTP, a modem whose network time differs by an hour sets the time source', async () => {
    const p = await poolWithModemClockAhead(3_600_000);
    const clock = new AdjustableClock();
    await checkTime(clock, [p], silentLogger, async () => false);
    expect(clock.source).toBe('modem');
    expect(Math.abs(clock.offsetMs - 3_600_000)).toBeLessThan(5000);
    expect(Math.abs(clock.now() - (Date.now() + 3_600_000))).toBeLessThan(5000);
  });

  it('NTP wins; a modem that agrees leaves the system clock alone', async () => {
    const p = await poolWithModemClockAhead(2000);
    const clock = new AdjustableClock();
    await checkTime(clock, [p], silentLogger, async () => true);
    expect(clock.source).toBe('ntp');
    await checkTime(clock, [p], silentLogger, async () => null);
    expect(clock.source).toBe('system');
    expect(clock.offsetMs).toBe(0);
  });
});

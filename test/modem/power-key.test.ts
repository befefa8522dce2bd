import { afterEach, describe, expect, it } from 'vitest';
import { Modem } from '../../src/modem/modem.js';
import { GpiosetPowerKey, type PowerKey } from '../../src/modem/power-key.js';
import { loadProfile, modemProfileSchema } from '../../src/modem/profile.js';
import { SerialTransport } from '../../src/modem/transport.js';
import { SimulatedModem } from '../../src/sim/modem.js';
import { attachToPty, type PtyModem } from '../../src/sim/pty.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/harness.js';

const key = { chip: 'gpiochip0', line: 4, activeLow: true, offPulseMs: 10, onPulseMs: 5, offWaitMs: 1 };

describe('power key through gpioset (the runner is the only mock: GPIO cannot run here)', () => {
  it('libgpiod v1: hold the line for the pulse, then release', async () => {
    const calls: string[] = [];
    const pk = new GpiosetPowerKey(async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return args[0] === '--version' ? 'gpioset (libgpiod) v1.6.3' : '';
    });
    await pk.cycle(key);
    expect(calls).toEqual([
      'gpioset --version',
      'gpioset --mode=time --usec=10000 gpiochip0 4=0',
      'gpioset gpiochip0 4=1',
      'gpioset --mode=time --usec=5000 gpiochip0 4=0',
      'gpioset gpiochip0 4=1',
    ]);
  });

  it('libgpiod v2: one toggle sequence per press', async () => {
    const calls: string[] = [];
    const pk = new GpiosetPowerKey(async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return args[0] === '--version' ? 'gpioset (libgpiod) v2.1' : '';
    });
    await pk.cycle({ ...key, activeLow: false });
    expect(calls.slice(1)).toEqual(['gpioset -c gpiochip0 -t 10ms,0 4=1', 'gpioset -c gpiochip0 -t 5ms,0 4=1']);
  });

  it('without gpioset the rung fails with the fix in the message', async () => {
    const pk = new GpiosetPowerKey(async () => {
      throw new Error('ENOENT');
    });
    await expect(pk.cycle(key)).rejects.toThrow(/apt-get install gpiod/);
  });
});

describe('recovery ladder, last rung', () => {
  let pty: PtyModem | null = null;
  let modem: Modem | null = null;
  afterEach(async () => {
    await modem?.stop();
    await pty?.close();
  });

  it('a hang only a power cycle clears is cleared by the power key', async () => {
    const profile = modemProfileSchema.parse({
      ...loadProfile('sim800'),
      bootTimeMs: 300,
      timeouts: { default: 1200, prompt: 1200, submit: 2000, network: 1500, cfun: 1500 },
    });
    const sim = new SimulatedModem({ id: 's', profile, bootMs: 100, faults: { hangClears: 'power' } });
    pty = await attachToPty(sim, tempDir('smsotpd-pk-'));
    const pressed: number[] = [];
    const powerKey: PowerKey = {
      cycle: async (k) => {
        pressed.push(k.line);
        sim.powerCycle();
      },
    };
    modem = new Modem({
      id: 'm',
      profile,
      transport: new SerialTransport(pty.hostPath, 115200),
      logger: silentLogger,
      clock: systemClock,
      healthPollMs: 200,
      powerKey,
      retryFailedMs: 200,
    });
    modem.start();
    const until = async (fn: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!fn()) {
        if (Date.now() > end) throw new Error(`timed out; modem ${modem!.state}: ${modem!.lastError}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => modem!.state === 'ready', 10_000);
    sim.hang();
    await until(() => pressed.length > 0, 45_000);
    await until(() => modem!.state === 'ready', 10_000);
    expect(pressed).toEqual([4]);
    expect(modem.counters.recoveries).toBeGreaterThan(0);
  }, 70_000);
});

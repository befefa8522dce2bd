import { execFile } from 'node:child_process';
import type { ModemProfile } from './profile.js';

type PowerKeyConfig = NonNullable<ModemProfile['powerKey']>;

/** Presses a modem's PWRKEY: off, wait, on. The recovery ladder's last rung. */
export interface PowerKey {
  cycle(key: PowerKeyConfig): Promise<void>;
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<string>;

const run: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => execFile(cmd, args, { timeout: 120_000 }, (err, stdout) => (err ? reject(err) : resolve(String(stdout)))));

/**
 * libgpiod's `gpioset`. Version 1 holds a line with `--mode=time --usec`; version 2 with
 * `-t <time>` (toggle period) and exits after `--toggle 0`. Where gpioset is absent (a
 * desktop, CI), the rung is skipped with its reason logged by the caller.
 */
export class GpiosetPowerKey implements PowerKey {
  private version: 1 | 2 | null = null;

  constructor(private readonly exec: CommandRunner = run) {}

  private async detect(): Promise<1 | 2> {
    if (this.version) return this.version;
    let out: string;
    try {
      out = await this.exec('gpioset', ['--version']);
    } catch {
      throw new Error('gpioset (libgpiod) is not installed: apt-get install gpiod');
    }
    this.version = /v?2\.\d/.test(out) ? 2 : 1;
    return this.version;
  }

  private async press(key: PowerKeyConfig, ms: number): Promise<void> {
    const on = key.activeLow ? 0 : 1;
    if ((await this.detect()) === 2) {
      // Hold `on` for ms, then the toggle sequence ends on the released level and exits.
      await this.exec('gpioset', ['-c', key.chip, '-t', `${ms}ms,0`, `${key.line}=${on}`]);
    } else {
      await this.exec('gpioset', ['--mode=time', `--usec=${ms * 1000}`, key.chip, `${key.line}=${on}`]);
      await this.exec('gpioset', [key.chip, `${key.line}=${1 - on}`]);
    }
  }

  async cycle(key: PowerKeyConfig): Promise<void> {
    await this.press(key, key.offPulseMs);
    await new Promise((r) => setTimeout(r, key.offWaitMs));
    await this.press(key, key.onPulseMs);
  }
}

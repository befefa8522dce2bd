import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The modem udev rule, evaluated the way udev reads it (without udevadm, which needs real
 * devices): match keys against the device and, for ATTRS/KERNELS/SUBSYSTEMS/DRIVERS, against
 * one device on its path upwards; `%b` is that device's kernel name; SYMLINK+= adds names.
 */
const RULES = path.resolve(import.meta.dirname, '../../deploy/udev/90-smsotpd-modem.rules');

interface Dev {
  kernel: string;
  subsystem: string;
  driver?: string;
  attrs?: Record<string, string>;
}
interface Device extends Dev {
  env: Record<string, string>;
  /** The device's parents, nearest first. */
  parents: Dev[];
}
interface Result {
  symlinks: string[];
  env: Record<string, string>;
  group?: string;
  mode?: string;
}

function glob(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  return pattern.split('|').some((alt) => {
    const re = alt
      .replace(/[.+^${}()\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${re}$`).test(value);
  });
}

function parseLine(line: string): Array<{ key: string; attr?: string; op: string; value: string }> {
  const out = [];
  for (const m of line.matchAll(/([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|:=|=)\s*"([^"]*)"/g))
    out.push({ key: m[1]!, attr: m[2], op: m[3]!, value: m[4]! });
  return out;
}

function evaluate(dev: Device, text = readFileSync(RULES, 'utf8')): Result {
  const res: Result = { symlinks: [], env: { ...dev.env } };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const keys = parseLine(line);
    expect(keys.length, `unparsed rule: ${line}`).toBeGreaterThan(0);
    const matches = keys.filter((k) => k.op === '==' || k.op === '!=');
    const upward = matches.filter((k) => ['ATTRS', 'KERNELS', 'SUBSYSTEMS', 'DRIVERS'].includes(k.key));
    const self = matches.filter((k) => !upward.includes(k));
    const test = (k: (typeof keys)[0], ok: boolean) => (k.op === '==' ? ok : !ok);
    const selfOk = self.every((k) => {
      if (k.key === 'SUBSYSTEM') return test(k, glob(k.value, dev.subsystem));
      if (k.key === 'KERNEL') return test(k, glob(k.value, dev.kernel));
      if (k.key === 'ENV') return test(k, glob(k.value, res.env[k.attr!]));
      throw new Error(`key ${k.key} not modelled`);
    });
    if (!selfOk) continue;
    let matched: Dev | undefined = dev;
    if (upward.length) {
      matched = [dev, ...dev.parents].find((d) =>
        upward.every((k) => {
          if (k.key === 'ATTRS') return test(k, glob(k.value, d.attrs?.[k.attr!]));
          if (k.key === 'KERNELS') return test(k, glob(k.value, d.kernel));
          if (k.key === 'SUBSYSTEMS') return test(k, glob(k.value, d.subsystem));
          return test(k, glob(k.value, d.driver));
        }),
      );
      if (!matched) continue;
    }
    const subst = (v: string) => v.replace(/%b|\$id/g, matched!.kernel).replace(/%k|\$kernel/g, dev.kernel);
    for (const k of keys.filter((x) => !matches.includes(x))) {
      if (k.key === 'SYMLINK') res.symlinks.push(...subst(k.value).split(/\s+/).filter(Boolean));
      else if (k.key === 'ENV') res.env[k.attr!] = subst(k.value);
      else if (k.key === 'GROUP') res.group = k.value;
      else if (k.key === 'MODE') res.mode = k.value;
    }
  }
  return res;
}

/** A USB modem's tty: interface <if> of the USB device on port <port> (e.g. 1-1.3). */
function usbTty(vendor: string, product: string, port: string, iface: string, tty = 'ttyUSB0'): Device {
  return {
    kernel: tty,
    subsystem: 'tty',
    env: { ID_USB_INTERFACE_NUM: iface },
    parents: [
      { kernel: tty, subsystem: 'usb-serial', driver: 'option1' },
      { kernel: `${port}:1.${Number(iface)}`, subsystem: 'usb', driver: 'option', attrs: { bInterfaceNumber: iface } },
      { kernel: port, subsystem: 'usb', driver: 'usb', attrs: { idVendor: vendor, idProduct: product, serial: '0123456789ABCDEF' } },
      { kernel: 'usb1', subsystem: 'usb', driver: 'usb', attrs: { idVendor: '1d6b', idProduct: '0002' } },
    ],
  };
}

describe('udev rule: stable modem names', () => {
  it('two identical SIM7600s on two USB ports get two distinct names (and share the short one)', () => {
    const a = evaluate(usbTty('1e0e', '9001', '1-1.3', '02', 'ttyUSB2'));
    const b = evaluate(usbTty('1e0e', '9001', '1-1.4', '02', 'ttyUSB7'));
    expect(a.symlinks).toEqual(['smsotpd-modem-sim7600-if02', 'smsotpd-modem-sim7600-if02-usb1-1.3']);
    expect(b.symlinks).toEqual(['smsotpd-modem-sim7600-if02', 'smsotpd-modem-sim7600-if02-usb1-1.4']);
    expect(a).toMatchObject({ group: 'dialout', mode: '0660', env: { ID_MM_DEVICE_IGNORE: '1' } });
  });

  it("the modem's other interfaces get no name but are kept from ModemManager too", () => {
    const r = evaluate(usbTty('1e0e', '9001', '1-1.3', '03', 'ttyUSB3'));
    expect(r.symlinks).toEqual([]);
    expect(r.env.ID_MM_DEVICE_IGNORE).toBe('1');
  });

  it('EC25 on interface 02, E3372 (stick mode) on interface 00; another vendor nothing', () => {
    expect(evaluate(usbTty('2c7c', '0125', '1-1.2', '02')).symlinks).toEqual(['smsotpd-modem-ec25-if02', 'smsotpd-modem-ec25-if02-usb1-1.2']);
    expect(evaluate(usbTty('12d1', '1506', '2-1', '00')).symlinks).toEqual(['smsotpd-modem-e3372-if00', 'smsotpd-modem-e3372-if00-usb2-1']);
    expect(evaluate(usbTty('12d1', '14dc', '2-1', '00')).symlinks).toEqual([]); // HiLink: a network card
    const other = evaluate(usbTty('0403', '6001', '1-1.5', '00'));
    expect(other.symlinks).toEqual([]);
    expect(other.env.ID_MM_DEVICE_IGNORE).toBeUndefined();
  });

  it("the Pi's GPIO UART, not a PC's legacy serial port", () => {
    const uart = (kernel: string, driver: string): Device => ({
      kernel,
      subsystem: 'tty',
      env: {},
      parents: [{ kernel: 'fe201000.serial', subsystem: 'amba', driver }],
    });
    expect(evaluate(uart('ttyAMA0', 'uart-pl011')).symlinks).toEqual(['smsotpd-modem-uart']);
    expect(evaluate(uart('ttyS1', 'bcm2835-aux-uart')).symlinks).toEqual(['smsotpd-modem-uart']);
    expect(evaluate(uart('ttyS0', 'serial8250')).symlinks).toEqual([]);
  });

  it('GPIO chips go to the gpio group (the power key)', () => {
    expect(evaluate({ kernel: 'gpiochip0', subsystem: 'gpio', env: {}, parents: [] })).toMatchObject({ group: 'gpio', mode: '0660' });
  });

  it("the rule's comment promises the names the rule makes", () => {
    const text = readFileSync(RULES, 'utf8');
    const promised = [...text.matchAll(/e\.g\. \/dev\/(smsotpd-modem-\S+)/g)].map((m) => m[1]);
    expect(promised).toEqual(['smsotpd-modem-sim7600-if02', 'smsotpd-modem-sim7600-if02-usb1-1.3']);
    expect(evaluate(usbTty('1e0e', '9001', '1-1.3', '02')).symlinks).toEqual(promised);
  });
});

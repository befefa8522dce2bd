import { readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import { AtLink } from './at-link.js';
import type { AtResult } from './at.js';
import { csqToDbm } from './modem.js';
import { listProfiles, loadProfile } from './profile.js';
import { createTransport } from './transport.js';

export interface PortInfo {
  path: string;
  /** The /dev/ttyX it resolves to, for by-id links. */
  target?: string;
  kind: 'by-id' | 'usb' | 'acm' | 'uart';
}

/**
 * Serial ports worth trying, stable names first. serialport's own list() needs udevadm, which
 * minimal images lack; the device directories tell the same story.
 */
export function listSerialPorts(devDir = '/dev'): PortInfo[] {
  const out: PortInfo[] = [];
  const byId = path.join(devDir, 'serial', 'by-id');
  try {
    for (const f of readdirSync(byId).sort()) {
      const p = path.join(byId, f);
      let target: string | undefined;
      try {
        target = realpathSync(p);
      } catch {
        /* dangling link: the device just vanished */
      }
      out.push({ path: p, target, kind: 'by-id' });
    }
  } catch {
    /* no USB serial devices */
  }
  let names: string[] = [];
  try {
    names = readdirSync(devDir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const kind = /^ttyUSB\d+$/.test(n)
      ? 'usb'
      : /^ttyACM\d+$/.test(n)
        ? 'acm'
        : /^(serial\d|ttyAMA\d+|ttyS0|smsotpd-modem\d*)$/.test(n)
          ? 'uart'
          : null;
    if (kind) out.push({ path: path.join(devDir, n), kind });
  }
  return out;
}

export interface ProbeResult {
  device: string;
  manufacturer: string | null;
  model: string | null;
  revision: string | null;
  imei: string | null;
  sim: string | null;
  signalDbm: number | null;
  registration: string | null;
  operator: string | null;
  suggestedProfile: string | null;
}

const info = (r: AtResult) => (r.final === 'OK' ? r.lines.join(' ').trim() || null : null);

/** Talks to a modem briefly: identity, SIM, signal, registration, and the profile that fits it. */
export async function probeModem(device: string, o: { baudRate?: number; timeoutMs?: number; logger?: Logger } = {}): Promise<ProbeResult> {
  const transport = createTransport(device, o.baudRate ?? 115200);
  await transport.open();
  const at = new AtLink(transport);
  at.attach();
  const t = o.timeoutMs ?? 3000;
  try {
    let awake = false;
    for (let i = 0; i < 3 && !awake; i++) {
      await at.raw('\u001b');
      awake = await at.command('AT', t).then(
        (r) => r.final === 'OK',
        () => false,
      );
    }
    if (!awake) throw new Error(`${device}: no answer to AT (wrong port, baud rate, or the modem is off)`);
    await at.command('ATE0', t);
    const manufacturer = info(await at.command('AT+CGMI', t));
    const model = info(await at.command('AT+CGMM', t));
    const revision = info(await at.command('AT+CGMR', t));
    const imei = info(await at.command('AT+CGSN', t));
    const cpin = await at.command('AT+CPIN?', t);
    const sim =
      cpin.final === 'OK'
        ? (cpin.lines
            .find((l) => l.startsWith('+CPIN:'))
            ?.slice(6)
            .trim() ?? null)
        : (cpin.errorText ?? cpin.final);
    const csq = await at.command('AT+CSQ', t);
    const rssi = /^\+CSQ:\s*(\d+)/.exec(csq.lines[0] ?? '');
    const creg = await at.command('AT+CREG?', t);
    const stat = /^\+CREG:\s*\d+,(\d)/.exec(creg.lines[0] ?? '')?.[1];
    const cops = await at.command('AT+COPS?', t);
    const operator = /"([^"]*)"/.exec(cops.lines[0] ?? '')?.[1] ?? null;
    let suggestedProfile: string | null = null;
    for (const id of listProfiles()) {
      const p = loadProfile(id);
      if (!p.match.manufacturer && !p.match.model) continue;
      const manOk = !p.match.manufacturer || new RegExp(p.match.manufacturer, 'i').test(manufacturer ?? '');
      const modOk = !p.match.model || new RegExp(p.match.model, 'i').test(model ?? '');
      if (manOk && modOk) {
        suggestedProfile = id;
        break;
      }
    }
    return {
      device,
      manufacturer,
      model,
      revision,
      imei,
      sim,
      signalDbm: rssi ? csqToDbm(Number(rssi[1])) : null,
      registration:
        stat === undefined
          ? null
          : (({ '0': 'not registered', '1': 'home', '2': 'searching', '3': 'denied', '5': 'roaming' } as Record<string, string>)[stat] ?? 'unknown'),
      operator,
      suggestedProfile: suggestedProfile ?? 'generic',
    };
  } finally {
    at.dispose();
    await transport.close();
  }
}

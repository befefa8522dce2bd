import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { KEY_FILE } from '../token/secrets.js';
import { callApi } from './client.js';
import { describeError } from './errors.js';
import { tlsChecks } from './tls.js';
import { directoryChecks } from './directory.js';

/**
 * `smsotpd doctor`: one line per check, each failure with the fix. The appliance's admin runs
 * it when something is off; verify-image runs it to prove a fresh install is healthy.
 */
export type Verdict = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

const MIN_FREE_BYTES = 100 * 1024 * 1024;
/** A clock before this is certainly wrong (a Pi without RTC boots at its image's date). */
const EARLIEST_PLAUSIBLE = Date.UTC(2026, 0, 1);

function checkDataDir(cfg: Config): Check[] {
  const out: Check[] = [];
  const dir = cfg.dataDir;
  const me = userInfo().username;
  if (!existsSync(dir)) {
    const parent = path.dirname(path.resolve(dir));
    try {
      accessSync(parent, constants.W_OK);
    } catch {
      return [
        {
          name: 'data dir',
          verdict: 'fail',
          detail: `${dir} does not exist, and ${me} cannot create it in ${parent}`,
          fix: `sudo install -d -o ${me} -m 0700 ${dir}`,
        },
      ];
    }
    return [
      { name: 'data dir', verdict: 'warn', detail: `${dir} does not exist yet`, fix: 'it is created (0700) at the first start of `smsotpd serve`' },
    ];
  }
  const st = statSync(dir);
  if (st.mode & 0o077) {
    out.push({ name: 'data dir', verdict: 'fail', detail: `${dir} has mode ${(st.mode & 0o777).toString(8)}`, fix: `chmod 700 ${dir}` });
  } else out.push({ name: 'data dir', verdict: 'ok', detail: `${dir} (0700, uid ${st.uid})` });
  try {
    const probe = path.join(dir, `.doctor-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, 'x');
    rmSync(probe);
  } catch (err) {
    // The CLI runs as the daemon's user (the package's wrapper switches to it), so a data dir it
    // cannot write is one the daemon cannot write either: give it back to that user.
    out.push({
      name: 'data dir writable',
      verdict: 'fail',
      detail: `${me} cannot write in ${dir} (owner uid ${st.uid}): ${describeError(err)}`,
      fix: `sudo chown -R ${me}: ${dir} && sudo chmod 700 ${dir}   (if the daemon runs as another user, run doctor as that user)`,
    });
  }
  const key = path.join(dir, KEY_FILE);
  if (existsSync(key)) {
    const mode = statSync(key).mode & 0o777;
    out.push(
      mode & 0o077
        ? { name: 'key file', verdict: 'fail', detail: `${key} has mode ${mode.toString(8)}`, fix: `chmod 600 ${key}` }
        : { name: 'key file', verdict: 'ok', detail: `${key} (0600)` },
    );
  }
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    out.push(
      free < MIN_FREE_BYTES
        ? {
            name: 'disk space',
            verdict: 'fail',
            detail: `${Math.round(free / 1048576)} MB free`,
            fix: 'free space: the store and audit log need room to write (100 MB recommended)',
          }
        : { name: 'disk space', verdict: 'ok', detail: `${Math.round(free / 1048576)} MB free` },
    );
  } catch {
    /* statfs unsupported: nothing to say */
  }
  return out;
}

/** NTP state from systemd when it is there; a Pi without RTC and network has none. */
function clockSynchronised(): boolean | null {
  try {
    const v = execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
      encoding: 'utf8',
      timeout: 3000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return v === 'yes';
  } catch {
    return existsSync('/run/systemd/timesync/synchronized') ? true : null;
  }
}

export function checkClock(now = Date.now(), synced = clockSynchronised()): Check {
  if (now < EARLIEST_PLAUSIBLE) {
    return {
      name: 'clock',
      verdict: 'fail',
      detail: `system time ${new Date(now).toISOString()} is in the past`,
      fix: 'set the time (date -s, or let the modem set it: a profile with networkTime) — OTP expiry depends on it',
    };
  }
  if (synced === false)
    return {
      name: 'clock',
      verdict: 'warn',
      detail: 'not synchronised by NTP',
      fix: 'on an air-gapped site use a modem profile with networkTime, or set up a local NTP server',
    };
  return { name: 'clock', verdict: 'ok', detail: `${new Date(now).toISOString()}${synced ? ', NTP synchronised' : ''}` };
}

/** A modem as /status shows it within its provider's detail, the fields the checks read. */
interface ModemView {
  id?: string;
  state?: string;
  lastError?: string | null;
  signalDbm?: number | null;
  registration?: string | null;
  operator?: string | null;
}

/** GET /status, the fields the checks read; all optional, as a daemon of another version may answer. */
interface DaemonStatus {
  ready?: boolean;
  uptime?: number;
  tokens?: number;
  users?: number;
  providers?: Array<{
    id: string;
    type?: string;
    health?: string;
    breaker?: { state?: string };
    lastError?: string | null;
    detail?: { modems?: unknown };
  }>;
  clock?: { source?: string; offsetSeconds?: number } | null;
  queue?: { depth?: number; oldestAgeSeconds?: number };
}

/** Asks the running daemon about its providers and modems; none running is a finding too. */
async function checkDaemon(cfg: Config): Promise<Check[]> {
  let status: DaemonStatus | null | undefined;
  try {
    const ans = await callApi(cfg, 'GET', '/status');
    status = ans.body?.result?.value as DaemonStatus | null | undefined;
  } catch (err) {
    return [{ name: 'daemon', verdict: 'fail', detail: (err as Error).message, fix: 'systemctl status smsotpd; journalctl -u smsotpd' }];
  }
  if (!status) return [{ name: 'daemon', verdict: 'fail', detail: 'no status answer' }];
  const out: Check[] = [];
  // Nothing is sent and nobody can log in without it: a failure, not a warning.
  if (!status.ready)
    out.push({
      name: 'daemon',
      verdict: 'fail',
      detail: 'not running (the data was checked directly)',
      fix: 'sudo systemctl start smsotpd; if it stops again: journalctl -u smsotpd -b',
    });
  else out.push({ name: 'daemon', verdict: 'ok', detail: `running for ${status.uptime} s, ${status.tokens} tokens, ${status.users} users` });
  for (const p of status.providers ?? []) {
    if (!status.ready) break;
    const modems: ModemView[] = Array.isArray(p.detail?.modems) ? p.detail.modems : [];
    if (modems.length === 0) {
      out.push({
        name: `provider ${p.id}`,
        verdict: p.health === 'ready' ? 'ok' : p.health === 'down' ? 'fail' : 'warn',
        detail: `${p.type}, ${p.health}, circuit ${p.breaker?.state}${p.lastError ? `, last error: ${p.lastError}` : ''}`,
      });
    }
    for (const m of modems) out.push(...modemChecks(p.id, m));
  }
  if (status.ready && status.clock) {
    const c = status.clock;
    out.push(
      c.source === 'modem'
        ? {
            name: 'time source',
            verdict: 'warn',
            detail: `modem network time (system clock off by ${c.offsetSeconds} s, not NTP-synchronised)`,
            fix: 'fine for OTP expiry; set up NTP or an RTC to correct the system clock too',
          }
        : { name: 'time source', verdict: 'ok', detail: c.source === 'ntp' ? 'NTP' : 'system clock' },
    );
  }
  if (status.ready && status.queue?.oldestAgeSeconds !== undefined && status.queue.oldestAgeSeconds > 120) {
    out.push({
      name: 'queue',
      verdict: 'warn',
      detail: `${status.queue.depth} waiting, oldest ${status.queue.oldestAgeSeconds} s`,
      fix: 'a provider is not delivering: see `smsotpd status`',
    });
  }
  return out;
}

function modemChecks(provider: string, m: ModemView): Check[] {
  const name = `modem ${m.id ?? provider}`;
  const out: Check[] = [];
  const state = String(m.state ?? 'unknown');
  const fixes: Record<string, string> = {
    'sim-locked': 'set sms.providers[].simPin to the SIM PIN (or remove the PIN from the SIM)',
    registering: "check the antenna and the SIM's network coverage; AT+COPS? shows the operator",
    failed: 'check the device path (prefer /dev/serial/by-id/...) and the power supply; see journalctl -u smsotpd',
    booting: 'wait a minute; a modem that never leaves booting has a wrong baud rate or device path',
    unavailable: 'the device is missing: check the cable/HAT, and use a /dev/serial/by-id/ path or the udev rule in deploy/',
  };
  out.push({
    name,
    verdict: state === 'ready' ? 'ok' : state === 'registered' ? 'warn' : 'fail',
    detail: `state ${state}${m.lastError ? `, last error: ${m.lastError}` : ''}`,
    fix: fixes[state],
  });
  if (typeof m.signalDbm === 'number') {
    out.push(
      m.signalDbm < -105
        ? { name: `${name} signal`, verdict: 'warn', detail: `${m.signalDbm} dBm`, fix: 'weak signal: move the antenna, use an external one' }
        : { name: `${name} signal`, verdict: 'ok', detail: `${m.signalDbm} dBm` },
    );
  }
  if (m.registration)
    out.push({
      name: `${name} network`,
      verdict: /home|roaming/.test(String(m.registration)) ? 'ok' : 'warn',
      detail: `${m.registration}${m.operator ? `, ${m.operator}` : ''}`,
    });
  return out;
}

export async function doctor(configFile?: string): Promise<{ checks: Check[]; ok: boolean }> {
  const checks: Check[] = [];
  let cfg: ReturnType<typeof loadConfig>;
  try {
    cfg = loadConfig(configFile);
    checks.push({
      name: 'config',
      verdict: 'ok',
      detail: `${cfg.source}: ${cfg.sms.providers.length} provider(s): ${cfg.sms.providers.map((p) => `${p.id} (${p.type})`).join(', ')}`,
    });
  } catch (err) {
    const msg = err instanceof ConfigError ? err.message : String(err);
    return {
      checks: [{ name: 'config', verdict: 'fail', detail: msg, fix: 'fix the file; every key and default is in docs/configuration' }],
      ok: false,
    };
  }
  for (const p of cfg.sms.providers) {
    if (p.type !== 'modem') continue;
    for (const device of p.modems ? p.modems.map((m) => m.device) : [p.device!]) {
      if (device.startsWith('tcp://')) continue;
      try {
        accessSync(device, constants.R_OK | constants.W_OK);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        checks.push({
          name: `device ${p.id}`,
          verdict: 'fail',
          detail: `${device}: ${e.code === 'ENOENT' ? 'does not exist' : e.code === 'EACCES' ? 'permission denied' : e.message}`,
          fix:
            e.code === 'EACCES'
              ? 'add the service user to the dialout group'
              : 'plug the modem in; `smsotpd modem list` shows serial ports; prefer /dev/serial/by-id/ paths',
        });
      }
    }
  }
  checks.push(...checkDataDir(cfg));
  checks.push(checkClock());
  checks.push(...tlsChecks(cfg));
  checks.push(...(await checkDaemon(cfg)));
  checks.push(...(await directoryChecks(cfg)));
  return { checks, ok: checks.every((c) => c.verdict !== 'fail') };
}

export function formatChecks(checks: Check[]): string {
  const mark: Record<Verdict, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  return checks.map((c) => `${mark[c.verdict]} ${c.name}: ${c.detail}${c.fix && c.verdict !== 'ok' ? `\n     fix: ${c.fix}` : ''}`).join('\n');
}

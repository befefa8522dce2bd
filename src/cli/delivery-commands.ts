import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { acquireLock, StoreLockedError } from '../store/lock.js';
import type { InboxPage } from '../sms/inbox.js';
import { checkModemId, checkUssdCode, UssdError } from '../sms/ussd.js';
import { callApi, CliError, valueOf } from './client.js';

/**
 * `smsotpd sms inbox` and `smsotpd modem ussd MODEM_ID CODE`: received SMS and USSD (balance),
 * through the daemon's control socket like every admin command.
 */

type Options = Record<string, string | boolean | undefined>;
type Out = (line: string) => void;

export interface DeliveryCommand {
  /** Command and subcommand, e.g. `sms inbox`. */
  name: string;
  usage: string;
  run(args: string[], options: Options, out?: Out): Promise<number>;
}

const stdout: Out = (s) => process.stdout.write(`${s}\n`);

/**
 * Text from outside (an SMS, a USSD answer) shown on a terminal: control characters, C1 codes and
 * bidirectional overrides would let a sender move the cursor, recolour or reorder what the
 * operator reads. They are shown escaped instead.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (ch) =>
    ch === '\n' ? '\\n' : ch === '\t' ? '\\t' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The API's answer value; an error becomes one line without privacyIDEA's `ERRnnn:` prefix. */
async function call<T>(config: Config, method: string, path: string, body?: unknown) {
  try {
    return valueOf<T>(await callApi(config, method, path, body));
  } catch (err) {
    if (err instanceof CliError) throw new CliError(err.message.replace(/^ERR-?\d+: /, ''));
    throw err;
  }
}

const configOf = (o: Options): Config => loadConfig(typeof o.config === 'string' ? o.config : undefined);

function positiveInt(v: string | boolean | undefined, name: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new CliError(`--${name} must be a whole number from 1 to ${max}`);
  return v;
}

export async function smsInbox(config: Config, o: Options, out: Out = stdout): Promise<number> {
  const page = positiveInt(o.page, 'page', 1_000_000) ?? '1';
  const pagesize = positiveInt(o.pagesize, 'pagesize', 500) ?? '50';
  const v = await call<InboxPage>(config, 'GET', `/sms/inbox?page=${page}&pagesize=${pagesize}`);
  if (o.json) {
    out(JSON.stringify(v, null, 2));
    return 0;
  }
  if (!v.messages.length) {
    out(v.count ? `no messages on page ${page} (${v.count} in the inbox)` : 'the inbox is empty');
    return 0;
  }
  for (const m of v.messages) out(`${new Date(m.t).toISOString()}\t${printable(m.from)}\t${printable(m.modem)}\t${printable(m.text)}`);
  if (v.next) process.stderr.write(`${v.count} messages; older ones: --page ${v.next}\n`);
  return 0;
}

export async function modemUssd(config: Config, args: string[], o: Options, out: Out = stdout): Promise<number> {
  const [modem, code] = args;
  if (!modem || !code) throw new CliError('usage: smsotpd modem ussd MODEM_ID CODE   (e.g. smsotpd modem ussd hat "*100#")');
  try {
    checkModemId(modem);
    checkUssdCode(code);
  } catch (err) {
    if (err instanceof UssdError) throw new CliError(err.message);
    throw err;
  }
  const timeout = positiveInt(o.timeout, 'timeout', 25);
  // Only the daemon talks to the modems; without it there is nobody to ask.
  try {
    acquireLock(config.dataDir).release();
    throw new CliError(`the daemon is not running on ${config.dataDir}: USSD goes through the modems it drives (start it: smsotpd serve)`);
  } catch (err) {
    if (!(err instanceof StoreLockedError)) throw err;
  }
  const v = await call<{ answer: string }>(config, 'POST', `/modem/${encodeURIComponent(modem)}/ussd`, { code, ...(timeout ? { timeout } : {}) });
  out(o.json ? JSON.stringify(v, null, 2) : printable(v.answer));
  return 0;
}

export const deliveryCommands: DeliveryCommand[] = [
  {
    name: 'sms inbox',
    usage: 'sms inbox [--page N] [--pagesize N] [--json]   received SMS, newest first',
    run: (_args, o, out) => smsInbox(configOf(o), o, out),
  },
  {
    name: 'modem ussd',
    usage: 'modem ussd MODEM_ID CODE [--timeout S]   run a USSD code (e.g. "*100#") and print the answer',
    run: (args, o, out) => modemUssd(configOf(o), args, o, out),
  },
];

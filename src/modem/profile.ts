import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * A modem profile: everything model-specific the driver (and the simulator that imitates the
 * model) needs. One JSON file per model in modem-profiles/, validated by this schema.
 */
export const modemProfileSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,64}$/),
  name: z.string().max(200),
  /** Regexes over AT+CGMI / AT+CGMM answers, used by `modem probe` to suggest this profile. */
  match: z.object({ manufacturer: z.string().max(200).optional(), model: z.string().max(200).optional() }).default({}),
  defaultBaudRate: z.number().int().default(115200),
  /** Commands sent after the driver's own ESC/AT/ATE0/AT+CMEE, before SIM and network checks. */
  init: z
    .array(
      z
        .string()
        .regex(/^AT[\x20-\x7e]*$/, 'init commands: printable ASCII starting with AT')
        .max(200),
    )
    .default([]),
  /** Lines a modem prints when it (re)boots; seeing one outside init means it rebooted. */
  bootUrcs: z.array(z.string().max(100)).default(['RDY']),
  /** The line that says SMS commands will now work (e.g. "SMS Ready"); absent = no wait. */
  smsReadyUrc: z.string().max(100).optional(),
  /** After a reboot, how long to wait for `smsReadyUrc` before probing with AT+CPMS? instead. */
  smsReadyTimeoutMs: z.number().int().min(0).max(120_000).default(15_000),
  /**
   * New-message indications: mode 2, mt 1 (`+CMTI` for stored SMS), ds 1 (`+CDS` with the status
   * report PDU). ds 2 (`+CDSI`, stored) where the model prefers it; SIM800 refuses ds 2.
   */
  cnmi: z
    .string()
    .regex(/^AT\+CNMI=[0-9,]{1,20}$/)
    .default('AT+CNMI=2,1,0,1,0'),
  /** ms to wait after power-up / reset before the modem answers AT. */
  bootTimeMs: z.number().int().min(0).max(120_000).default(10_000),
  timeouts: z
    .object({
      /** Ordinary commands. */
      default: z.number().int().min(50).max(300_000).default(2_000),
      /** From AT+CMGS=<n> to the `> ` prompt. */
      prompt: z.number().int().min(50).max(300_000).default(5_000),
      /** From Ctrl-Z to +CMGS/+CMS ERROR: past this the outcome is unknown. The ceiling of the learned submit timeout. */
      submit: z.number().int().min(100).max(600_000).default(60_000),
      /** The floor of the submit timeout learned from this modem's submit times. */
      submitFloor: z.number().int().min(100).max(600_000).default(5_000),
      /** Network scans and registration commands (AT+COPS). */
      network: z.number().int().min(100).max(600_000).default(30_000),
      /** AT+CFUN and SIM commands. */
      cfun: z.number().int().min(100).max(600_000).default(15_000),
    })
    .prefault({}),
  reset: z
    .object({
      /** Full functionality reset; the modem reboots and prints its boot URCs. */
      soft: z
        .string()
        .regex(/^AT[\x20-\x7e]*$/)
        .default('AT+CFUN=1,1'),
    })
    .prefault({}),
  /** GPIO pulse on the module's PWRKEY, driven with libgpiod's gpioset. Absent: no power key. */
  powerKey: z
    .object({
      chip: z.string().max(64).default('gpiochip0'),
      line: z.number().int().min(0).max(1023),
      /** Level that presses the key (HATs often invert through a transistor). */
      activeLow: z.boolean().default(false),
      /** Press duration to switch off, then to switch on. */
      offPulseMs: z.number().int().min(10).max(60_000).default(1_500),
      onPulseMs: z.number().int().min(10).max(60_000).default(1_000),
      /** Pause between off and on. */
      offWaitMs: z.number().int().min(0).max(60_000).default(5_000),
    })
    .optional(),
  /** Network time support: `AT+CLTS=1` (SIMCom), `AT+CTZU=1` (Quectel/others), or none. */
  networkTime: z.enum(['clts', 'ctzu', 'none']).default('none'),
  quirks: z
    .object({
      /** ms to wait after the `> ` prompt before writing the PDU (some firmware drops early bytes). */
      promptDelayMs: z.number().int().min(0).max(5_000).default(0),
      /** The firmware ignores TP-RD (reject duplicates); a resend may reach the phone twice. */
      ignoresRejectDuplicates: z.boolean().default(false),
      /** Extra URC prefixes this model emits (e.g. Huawei "^RSSI:", "^BOOT:"). */
      extraUrcs: z.array(z.string().max(50)).default([]),
      /** AT+CMEE=2 (verbose) unsupported: use numeric codes. */
      numericErrorsOnly: z.boolean().default(false),
      /** USSD strings travel as packed GSM 7-bit hex (Huawei E1xx/E3xx). */
      ussdPacked: z.boolean().default(false),
    })
    .prefault({}),
  /** Registration command to check: CREG (2G), CEREG (LTE), or both. */
  registration: z.array(z.enum(['CREG', 'CGREG', 'CEREG'])).default(['CREG']),
  notes: z.string().max(4000).optional(),
});

export type ModemProfile = z.infer<typeof modemProfileSchema>;

/** modem-profiles/ ships beside dist/ and src/, one level above this file's folder's parent. */
export const defaultProfilesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'modem-profiles');

export class ProfileError extends Error {
  override name = 'ProfileError';
}

export function loadProfile(id: string, dir = defaultProfilesDir): ModemProfile {
  if (!/^[a-z0-9_-]{1,64}$/.test(id)) throw new ProfileError(`invalid modem profile name "${id}"`);
  const file = path.join(dir, `${id}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const known = listProfiles(dir).join(', ') || 'none';
    throw new ProfileError(`cannot load modem profile "${id}" from ${file}: ${(err as Error).message} (known: ${known})`);
  }
  const parsed = modemProfileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ProfileError(`modem profile ${file} is invalid:\n${lines}`);
  }
  if (parsed.data.id !== id) throw new ProfileError(`modem profile ${file} declares id "${parsed.data.id}", expected "${id}"`);
  return parsed.data;
}

export function listProfiles(dir = defaultProfilesDir): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

// Phone numbers to E.164, one set of rules for every input path (API, CLI, import, directory,
// config). libphonenumber-js's `min` metadata carries each country's calling code, trunk and
// international prefixes and possible lengths, which is all that "possible" needs. The `max` build
// adds per-type number patterns used by isValid(); we deliberately do not ask isValid(), because
// a site's private or newly assigned ranges are "invalid" to the library and still reach a phone.
import type { CountryCode } from 'libphonenumber-js/min';
import { lazyModule } from './lazy-module.js';

/**
 * libphonenumber-js, loaded when a number is first read (its metadata is about 1 MB of heap): a
 * daemon whose stored numbers are already E.164 reads none until one is entered.
 */
const lib = lazyModule<typeof import('libphonenumber-js/min')>('libphonenumber-js/min');

/** Longest raw input looked at; E.164 is at most 15 digits, separators and prefixes add a few. */
export const PHONE_INPUT_MAX = 64;

/** Thrown for input that is not a possible phone number; `rule` names the rule it broke. */
export class PhoneNumberError extends Error {
  override name = 'PhoneNumberError';
  constructor(
    readonly rule: 'characters' | 'needs-region' | 'country-code' | 'length',
    message: string,
  ) {
    super(message);
  }
}

export interface PhoneOptions {
  /** ISO 3166 region (`DE`) for national input such as `0176 12345678`; `sms.defaultRegion`. */
  region?: string | undefined;
}

/** True for a two-letter region libphonenumber knows (upper case, e.g. `DE`). */
export function isPhoneRegion(region: string): boolean {
  return /^[A-Z]{2}$/.test(region) && lib().isSupportedCountry(region);
}

const ALLOWED = /^\+?[0-9 \-./()]+$/;

/**
 * Returns the E.164 form (`+4917612345678`) or throws PhoneNumberError. Rules, in order:
 * 1. characters: digits, spaces and `- . / ( )`, with an optional leading `+`; at most 64 characters.
 * 2. `+CC...` and the region's international prefix (`00`, `011`, ...) are international; a `(0)` or
 *    `0` trunk prefix after the country code is dropped (`+49 (0)176...` -> `+49176...`). Without a
 *    region, a leading `00` is read as `+`.
 * 3. A leading trunk prefix (`0176 ...`) is national and needs a region.
 * 4. Digits without any prefix (`4917612345678`): with a region they are national unless they begin
 *    with the region's own country code (national numbers do not), otherwise international; without
 *    a region, international. Each reading must be possible, else the other is tried.
 * 5. The result must be a possible length for its country code and at most 15 digits (E.164).
 *    Unassigned or private ranges pass: only what cannot be dialled is refused.
 */
export function toE164(raw: string, opts: PhoneOptions = {}): string {
  const e164 = parse(raw, opts);
  // E.164 itself caps a number at 15 digits; some countries' metadata would allow longer ones.
  if (e164.length > 16) throw new PhoneNumberError('length', 'the number is too long (E.164 allows at most 15 digits)');
  return e164;
}

function parse(raw: string, opts: PhoneOptions): string {
  const input = raw.trim();
  if (input.length === 0 || input.length > PHONE_INPUT_MAX || !ALLOWED.test(input) || !/[0-9]/.test(input)) {
    throw new PhoneNumberError('characters', `use digits, spaces and - . / ( ) with an optional leading + (at most ${PHONE_INPUT_MAX} characters)`);
  }
  const region = opts.region && isPhoneRegion(opts.region) ? (opts.region as CountryCode) : undefined;
  const digits = input.replace(/[^0-9]/g, '');

  if (input.startsWith('+')) return international(digits);
  if (!region) {
    if (digits.startsWith('00')) return international(digits.slice(2));
    if (digits.startsWith('0')) {
      throw new PhoneNumberError(
        'needs-region',
        'a national number (leading 0) needs sms.defaultRegion in the config, or write it with the country code (+49...)',
      );
    }
    return international(digits);
  }
  // libphonenumber applies the region's international prefix (00, 011, ...) and trunk prefix itself.
  const ownCode = lib().getCountryCallingCode(region);
  const national = tryParse(input, region);
  const prefixed = digits.startsWith('0') || (national.ok && national.countryCode !== ownCode);
  if (prefixed) {
    if (national.ok && national.possible) return national.e164;
    throw lengthError(national.ok ? 'INVALID_LENGTH' : national.code, national.ok ? national.countryCode : ownCode);
  }
  if (!digits.startsWith(ownCode) && national.ok && national.possible) return national.e164;
  const asInternational = tryParse(`+${digits}`);
  if (asInternational.ok && asInternational.possible) return asInternational.e164;
  if (national.ok && national.possible) return national.e164;
  return international(digits);
}

type Parsed = { ok: true; e164: string; possible: boolean; countryCode: string } | { ok: false; code: string };

function tryParse(text: string, region?: CountryCode): Parsed {
  try {
    const p = lib().parsePhoneNumberWithError(text, region ? { defaultCountry: region } : undefined);
    return { ok: true, e164: p.number, possible: p.isPossible(), countryCode: p.countryCallingCode };
  } catch (err) {
    if (err instanceof lib().ParseError) return { ok: false, code: err.message };
    throw err;
  }
}

/** `digits` after the `+`: the number must have a known country code and a possible length. */
function international(digits: string): string {
  const p = tryParse(`+${digits}`);
  if (!p.ok && p.code === 'INVALID_COUNTRY') {
    throw new PhoneNumberError('country-code', `+${digits.slice(0, 3)}... does not begin with a country calling code`);
  }
  if (!p.ok) throw lengthError(p.code, '');
  if (!p.possible) throw lengthError('INVALID_LENGTH', p.countryCode);
  return p.e164;
}

function lengthError(code: string, countryCode: string): PhoneNumberError {
  if (code === 'INVALID_COUNTRY') return new PhoneNumberError('country-code', 'the number does not begin with a country calling code');
  const what = code === 'TOO_SHORT' ? 'too short' : code === 'TOO_LONG' ? 'too long' : 'not a possible length';
  return new PhoneNumberError('length', `the number is ${what}${countryCode ? ` for +${countryCode}` : ''}`);
}

// Stored phone numbers from before E.164 normalisation (`+49017612345678`, `0176 1234 5678`,
// `4917612345678`) rewritten once in E.164, so sends and the per-number SMS limit see one form.
//
// Why here and not as a store schema migration: the conversion needs the config's
// sms.defaultRegion, and the store's migrations run on the snapshot before the journal is
// replayed, so a record journaled by the old version would come back unconverted. This runs on
// the replayed state, commits its changes like any other (journaled, fsynced), and marks the
// store when nothing is left, so later starts skip it.
import type { Change, Store } from '../store/types.js';
import type { Logger } from '../util/logger.js';
import { maskPhone } from '../util/logger.js';
import { PhoneNumberError, toE164 } from '../util/phone.js';

/** meta key set once every stored number is E.164. */
export const PHONE_FORMAT_KEY = 'phoneFormat';
/** Meta records are objects; `format` says what the stored numbers are. */
interface PhoneFormatMark {
  format: 'e164';
  at: number;
}

export interface PhoneMigrationResult {
  /** Records rewritten. */
  changed: number;
  /** Numbers that cannot be read (e.g. national ones with no sms.defaultRegion): kept as they were. */
  kept: Array<{ collection: 'users' | 'tokens'; key: string; reason: string }>;
}

export async function normaliseStoredPhones(
  store: Store,
  region: string | undefined,
  logger?: Logger,
  now = Date.now(),
): Promise<PhoneMigrationResult> {
  const result: PhoneMigrationResult = { changed: 0, kept: [] };
  if ((store.data.meta[PHONE_FORMAT_KEY] as PhoneFormatMark | undefined)?.format === 'e164') return result;
  const changes: Change[] = [];
  const convert = (collection: 'users' | 'tokens', key: string, value: string): string | null => {
    try {
      return toE164(value, { region });
    } catch (err) {
      if (!(err instanceof PhoneNumberError)) throw err;
      result.kept.push({ collection, key, reason: err.message });
      logger?.warn(
        { collection, record: collection === 'users' ? key.split('\u0000').reverse().join('@') : key, phone: maskPhone(value), reason: err.message },
        'stored phone number kept as it was: not readable as E.164',
      );
      return null;
    }
  };
  for (const [key, user] of Object.entries(store.data.users)) {
    if (!user.mobile) continue;
    const e164 = convert('users', key, user.mobile);
    if (e164 !== null && e164 !== user.mobile) changes.push({ c: 'users', k: key, v: { ...user, mobile: e164 } });
  }
  for (const [key, token] of Object.entries(store.data.tokens)) {
    if (!token.phone) continue;
    const e164 = convert('tokens', key, token.phone);
    if (e164 !== null && e164 !== token.phone) changes.push({ c: 'tokens', k: key, v: { ...token, phone: e164 } });
  }
  // Marked only when nothing was left behind: a region configured later converts the rest.
  if (result.kept.length === 0) changes.push({ c: 'meta', k: PHONE_FORMAT_KEY, v: { format: 'e164', at: now } satisfies PhoneFormatMark });
  if (changes.length > 0) await store.commit(changes);
  result.changed = changes.filter((c) => c.c !== 'meta').length;
  if (result.changed > 0) logger?.info({ changed: result.changed, kept: result.kept.length }, 'stored phone numbers rewritten in E.164');
  return result;
}

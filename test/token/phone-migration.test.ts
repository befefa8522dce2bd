import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import type { TokenRecord, UserRecord } from '../../src/store/types.js';
import { normaliseStoredPhones, PHONE_FORMAT_KEY } from '../../src/token/phone-migration.js';
import { userKey } from '../../src/token/users.js';
import { createLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/harness.js';

const user = (login: string, mobile: string | null): UserRecord => ({ login, realm: 'default', mobile, givenname: '', surname: '', createdAt: 1 });
const token = (serial: string, phone: string | null) => ({ serial, phone, dynamicPhone: phone === null }) as unknown as TokenRecord;

/** What an older smsotpd stored: `+49 (0)176...` squeezed, national and plus-less numbers as typed. */
async function oldStore(dir: string, close: boolean) {
  const s = await openStore({ dataDir: dir });
  await s.commit([
    { c: 'users', k: userKey('default', 'alice'), v: user('alice', '+49017612345678') },
    { c: 'users', k: userKey('default', 'bob'), v: user('bob', '017612345679') },
    { c: 'users', k: userKey('default', 'carol'), v: user('carol', '4917612345670') },
    { c: 'users', k: userKey('default', 'dave'), v: user('dave', '+4917612345671') },
    { c: 'users', k: userKey('default', 'erin'), v: user('erin', null) },
    { c: 'tokens', k: 'SMS1', v: token('SMS1', '0176-1234-5672') },
    { c: 'tokens', k: 'SMS2', v: token('SMS2', null) },
  ]);
  if (close) await s.close();
  return s;
}

function logSink() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });
  return { logger, lines };
}

describe('stored phone numbers are rewritten in E.164', () => {
  it('converts users and tokens, durably, and marks the store so the next start skips the scan', async () => {
    const dir = tempDir();
    await oldStore(dir, true);
    const s = await openStore({ dataDir: dir });
    const r = await normaliseStoredPhones(s, 'DE');
    expect(r).toEqual({ changed: 4, kept: [] });
    await s.close();

    const again = await openStore({ dataDir: dir });
    const mobile = (login: string) => again.get('users', userKey('default', login))?.mobile;
    expect(mobile('alice')).toBe('+4917612345678');
    expect(mobile('bob')).toBe('+4917612345679');
    expect(mobile('carol')).toBe('+4917612345670');
    expect(mobile('dave')).toBe('+4917612345671');
    expect(mobile('erin')).toBeNull();
    expect(again.get('tokens', 'SMS1')?.phone).toBe('+4917612345672');
    expect(again.get('tokens', 'SMS2')?.phone).toBeNull();
    expect(again.get('meta', PHONE_FORMAT_KEY)).toMatchObject({ format: 'e164' });
    const before = again.stats().flushes;
    expect(await normaliseStoredPhones(again, 'DE')).toEqual({ changed: 0, kept: [] });
    expect(again.stats().flushes).toBe(before);
    await again.close();
  });

  it('converts records that exist only in the journal (the old daemon was killed)', async () => {
    const dir = tempDir();
    await oldStore(dir, false); // no close(): the records are in the journal, not the snapshot
    const s = await openStore({ dataDir: dir });
    await normaliseStoredPhones(s, 'DE');
    expect(s.get('users', userKey('default', 'bob'))?.mobile).toBe('+4917612345679');
    await s.close();
  });

  it('without a region, national numbers are kept as they were, logged masked, and tried again next start', async () => {
    const dir = tempDir();
    await oldStore(dir, true);
    const s = await openStore({ dataDir: dir });
    const { logger, lines } = logSink();
    const r = await normaliseStoredPhones(s, undefined, logger);
    // alice and carol convert without a region; bob and the token are national.
    expect(r.changed).toBe(2);
    expect(r.kept.map((k) => [k.collection, k.key])).toEqual([
      ['users', userKey('default', 'bob')],
      ['tokens', 'SMS1'],
    ]);
    expect(s.get('users', userKey('default', 'bob'))?.mobile).toBe('017612345679');
    expect(s.get('meta', PHONE_FORMAT_KEY)).toBeUndefined();
    const log = lines.join('');
    expect(log).toContain('bob@default');
    expect(log).not.toContain('017612345679');
    expect(log).not.toContain('0176-1234-5672');
    // A region configured later converts the rest.
    expect(await normaliseStoredPhones(s, 'DE')).toEqual({ changed: 2, kept: [] });
    expect(s.get('meta', PHONE_FORMAT_KEY)).toMatchObject({ format: 'e164' });
    await s.close();
  });
});

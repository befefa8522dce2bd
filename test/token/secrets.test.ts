import { statSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_FILE, loadOrCreateSecrets, safeEqual, SecretError } from '../../src/token/secrets.js';
import { tempDir } from '../helpers/harness.js';

describe('secrets at rest', () => {
  it('creates the key file 0600 once and reuses it', () => {
    const dir = tempDir();
    const a = loadOrCreateSecrets(dir);
    const file = path.join(dir, KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = readFileSync(file);
    const b = loadOrCreateSecrets(dir);
    expect(readFileSync(file).equals(key)).toBe(true);
    expect(b.decrypt(a.encrypt('seed'))).toBe('seed');
  });

  it('AES-GCM envelopes are randomised and tamper-evident', () => {
    const s = loadOrCreateSecrets(tempDir());
    const e1 = s.encrypt('3132333435363738393031323334353637383930');
    const e2 = s.encrypt('3132333435363738393031323334353637383930');
    expect(e1).not.toBe(e2);
    const raw = Buffer.from(e1.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => s.decrypt(`v1:${raw.toString('base64')}`)).toThrow(SecretError);
    expect(() => loadOrCreateSecrets(tempDir()).decrypt(e1)).toThrow(/does not authenticate/);
  });

  it('a damaged key file stops start-up with a clear message', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, KEY_FILE), 'short');
    expect(() => loadOrCreateSecrets(dir)).toThrow(/damaged; restore it from backup/);
  });

  it('hashes are keyed and salted; verify is exact', async () => {
    const dir = tempDir();
    const s = loadOrCreateSecrets(dir);
    const h1 = await s.hash('1234');
    const h2 = await s.hash('1234');
    expect(h1).not.toBe(h2);
    expect(await s.verify('1234', h1)).toBe(true);
    expect(await s.verify('1235', h1)).toBe(false);
    expect(await s.verify('1234', 'garbage')).toBe(false);
    expect(await s.verify('1234', h1.replace('$2048$', '$1048576$'))).toBe(false);
    // Another key file (pepper) cannot verify the hash: a stolen state file alone is not enough.
    expect(await loadOrCreateSecrets(tempDir()).verify('1234', h1)).toBe(false);
  });

  it('safeEqual compares exactly', () => {
    expect(safeEqual('123456', '123456')).toBe(true);
    expect(safeEqual('123456', '123457')).toBe(false);
    expect(safeEqual('123456', '1234567')).toBe(false);
  });
});

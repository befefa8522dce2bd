import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KDF, KEY_FILE, loadOrCreateSecrets, safeEqual, SecretError, secretsFromKey } from '../../src/token/secrets.js';
import { tempDir } from '../helpers/harness.js';

const key = Buffer.alloc(64, 7);

describe('secrets: edges', () => {
  it('the key file: 64 random bytes, created in a missing data dir, re-read unchanged, mode repaired to 0600', () => {
    const dir = path.join(tempDir(), 'nested', 'var');
    const a = loadOrCreateSecrets(dir);
    const file = path.join(dir, KEY_FILE);
    const bytes = readFileSync(file);
    expect(bytes).toHaveLength(64);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(file, 0o644);
    const b = loadOrCreateSecrets(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(b.jwtKey).toBe(a.jwtKey);
    // Both halves are in use: another file of the same length gives other keys.
    expect(loadOrCreateSecrets(tempDir()).jwtKey).not.toBe(a.jwtKey);
    chmodSync(file, 0o600);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a key file of the wrong length (too long too) names the file and both sizes; an unreadable one says so', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, KEY_FILE), Buffer.alloc(65));
    expect(() => loadOrCreateSecrets(dir)).toThrow(new RegExp(`key file ${path.join(dir, KEY_FILE)} has 65 bytes, expected 64: it is damaged`));
    const d2 = tempDir();
    mkdirSync(path.join(d2, KEY_FILE));
    expect(() => loadOrCreateSecrets(d2)).toThrow(SecretError);
    expect(() => loadOrCreateSecrets(d2)).toThrow(/^cannot read key file /);
  });

  it('the JWT key is an HMAC of the pepper half, never the encryption key', () => {
    const s = secretsFromKey(key);
    expect(s.jwtKey).toBe(createHmac('sha256', key.subarray(32, 64)).update('smsotpd jwt').digest('base64url'));
    const other = Buffer.concat([key.subarray(0, 32), Buffer.alloc(32, 8)]);
    // Same encryption half: envelopes still open; another pepper: another JWT key.
    expect(secretsFromKey(other).decrypt(s.encrypt('x'))).toBe('x');
    expect(secretsFromKey(other).jwtKey).not.toBe(s.jwtKey);
    const otherEnc = Buffer.concat([Buffer.alloc(32, 9), key.subarray(32, 64)]);
    expect(() => secretsFromKey(otherEnc).decrypt(s.encrypt('x'))).toThrow(/does not authenticate/);
  });

  it('envelopes: v1 prefix, 12-byte IV + 16-byte tag + ciphertext; other versions and short ones are refused', () => {
    const s = secretsFromKey(key);
    const e = s.encrypt('seed');
    expect(e.startsWith('v1:')).toBe(true);
    expect(Buffer.from(e.slice(3), 'base64')).toHaveLength(12 + 16 + 4);
    expect(s.decrypt(e)).toBe('seed');
    expect(s.decrypt(s.encrypt(''))).toBe('');
    expect(s.decrypt(s.encrypt('Grüße'))).toBe('Grüße');
    expect(() => s.decrypt(`v2:${e.slice(3)}`)).toThrow('unknown secret envelope version');
    expect(() => s.decrypt(e.slice(1))).toThrow('unknown secret envelope version');
    expect(() => s.decrypt(`v1:${Buffer.alloc(27).toString('base64')}`)).toThrow('secret envelope too short');
    expect(() => s.decrypt(`v1:${Buffer.alloc(28).toString('base64')}`)).toThrow(
      'secret envelope does not authenticate: wrong key file or damaged state',
    );
    const raw = Buffer.from(e.slice(3), 'base64');
    raw[0]! ^= 1;
    expect(() => s.decrypt(`v1:${raw.toString('base64')}`)).toThrow(SecretError);
    const tag = Buffer.from(e.slice(3), 'base64');
    tag[12]! ^= 1;
    expect(() => s.decrypt(`v1:${tag.toString('base64')}`)).toThrow(SecretError);
  });

  it('hash format carries its parameters; verify refuses tampered parameters and sizes, accepts other sane costs', async () => {
    const s = secretsFromKey(key);
    const h = await s.hash('1234');
    const parts = h.split('$');
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', String(KDF.N), String(KDF.r), String(KDF.p)]);
    expect(Buffer.from(parts[4]!, 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5]!, 'base64')).toHaveLength(KDF.keyLen);
    const with_ = (i: number, v: string) => parts.map((p, j) => (j === i ? v : p)).join('$');
    expect(await s.verify('1234', h)).toBe(true);
    expect(await s.verify('1234', with_(0, 'bcrypt'))).toBe(false);
    expect(await s.verify('1234', `${h}$extra`)).toBe(false);
    expect(await s.verify('1234', parts.slice(0, 5).join('$'))).toBe(false);
    for (const [i, bad] of [
      [1, '1'],
      [1, String(1 << 17)],
      [2, '0'],
      [2, '33'],
      [3, '0'],
      [3, '5'],
    ] as const) {
      expect(await s.verify('1234', with_(i, bad)), `${i}=${bad}`).toBe(false);
    }
    expect(await s.verify('1234', with_(5, Buffer.alloc(31).toString('base64')))).toBe(false);
    // Parameters at the edges of the sane range are computed, not refused (wrong result here).
    // N=2^16 with r=32 would need 256 MiB: refused, not thrown (it was a 500 on /auth before).
    expect(await s.verify('1234', with_(1, String(1 << 16)).replace(`$${KDF.r}$`, '$32$'))).toBe(false);
    expect(await s.verify('1234', with_(1, '3000'))).toBe(false);
    for (const [i, edge] of [
      [1, '2'],
      [1, String(1 << 16)],
      [2, '1'],
      [2, '32'],
      [3, '2'],
      [3, '4'],
    ] as const) {
      expect(await s.verify('1234', with_(i, edge)), `${i}=${edge}`).toBe(false);
    }
    // A hash made with other (sane) parameters verifies with them.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.alloc(16, 1);
    const peppered = createHmac('sha256', key.subarray(32, 64)).update('1234', 'utf8').digest();
    const out = scryptSync(peppered, salt, 32, { N: 1024, r: 8, p: 2, maxmem: 64 * 1024 * 1024 });
    expect(await s.verify('1234', `scrypt$1024$8$2$${salt.toString('base64')}$${out.toString('base64')}`)).toBe(true);
    expect(await s.verify('1235', `scrypt$1024$8$2$${salt.toString('base64')}$${out.toString('base64')}`)).toBe(false);
  });

  it('safeEqual: equal strings only, multi-byte characters compared as bytes', () => {
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('a', '')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
    expect(safeEqual('é', 'e')).toBe(false);
    expect(safeEqual('é', 'é')).toBe(true);
  });
});

describe('secrets: scrypt parameter bounds', () => {
  it('accepts the sane range, edges included, and refuses one step beyond each', async () => {
    const { saneScryptParams } = await import('../../src/token/secrets.js');
    expect(saneScryptParams(2, 1, 1)).toBe(true);
    expect(saneScryptParams(1, 1, 1)).toBe(false);
    expect(saneScryptParams(1 << 16, 1, 1)).toBe(true);
    expect(saneScryptParams((1 << 16) + 1, 1, 1)).toBe(false);
    expect(saneScryptParams(2048, 0, 1)).toBe(false);
    expect(saneScryptParams(2048, 32, 1)).toBe(true);
    expect(saneScryptParams(2048, 33, 1)).toBe(false);
    expect(saneScryptParams(2048, 10, 0)).toBe(false);
    expect(saneScryptParams(2048, 10, 4)).toBe(true);
    expect(saneScryptParams(2048, 10, 5)).toBe(false);
    // 128·N·r exactly half of maxmem (32 MiB) is allowed; double that is not.
    expect(saneScryptParams(8192, 32, 1)).toBe(true);
    expect(saneScryptParams(16384, 32, 1)).toBe(false);
    expect(saneScryptParams(1 << 16, 4, 1)).toBe(true);
    expect(saneScryptParams(1 << 16, 5, 1)).toBe(false);
  });

  it('errors are SecretErrors by name', () => {
    const err = (() => {
      try {
        secretsFromKey(key).decrypt('v9:x');
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.name).toBe('SecretError');
    expect(err).toBeInstanceOf(SecretError);
  });
});

describe('secrets: the key for backups', () => {
  it('exportKey is the key file itself, base64', () => {
    const dir = tempDir();
    const s = loadOrCreateSecrets(dir);
    expect(s.exportKey()).toBe(readFileSync(path.join(dir, KEY_FILE)).toString('base64'));
    expect(secretsFromKey(Buffer.from(s.exportKey(), 'base64')).decrypt(s.encrypt('seed'))).toBe('seed');
  });
});

import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, chmodSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets at rest. One key file per data dir holds two independent 32-byte keys:
 * an AES-256-GCM key for OTP seeds and queued SMS texts, and a pepper for PIN/password hashes,
 * so a copy of the state file alone yields neither seeds nor brute-forceable PIN hashes.
 */

export const KEY_FILE = 'secret.key';
const KEY_FILE_BYTES = 64;

/**
 * scrypt cost for PINs, passwords and API keys: N=2^11, r=10 takes about 4.2-5 ms (median) on the
 * development machines (2.5 MiB), roughly 20-25 ms on a Raspberry Pi 4. A burst of wrong PINs
 * must not freeze the appliance, and privacyIDEA's argon2 (0.5 s) would. The PIN's real
 * protection is the failcounter.
 */
export const KDF = { N: 2048, r: 10, p: 1, keyLen: 32, maxmem: 64 * 1024 * 1024 } as const;

export class SecretError extends Error {
  override name = 'SecretError';
}

export interface Secrets {
  encrypt(plain: string): string;
  decrypt(envelope: string): string;
  /** Keyed, salted scrypt hash; the string carries its own parameters. */
  hash(secret: string): Promise<string>;
  /** Constant-time verification against hash(); false for malformed stored hashes. */
  verify(secret: string, stored: string): Promise<boolean>;
  /** Key for signing JWTs, derived so it never equals the encryption key. */
  readonly jwtKey: string;
  /** The key file's bytes, base64, for a backup (which must be kept as safe as the appliance). */
  exportKey(): string;
}

/** Loads `<dataDir>/secret.key`, creating it (0600, fsynced) on first start. */
export function loadOrCreateSecrets(dataDir: string): Secrets {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, KEY_FILE);
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SecretError(`cannot read key file ${file}: ${(err as Error).message}`);
    }
    key = createKeyFile(file);
  }
  if (key.length !== KEY_FILE_BYTES) {
    throw new SecretError(
      `key file ${file} has ${key.length} bytes, expected ${KEY_FILE_BYTES}: it is damaged; restore it from backup (without it, stored OTP seeds cannot be decrypted)`,
    );
  }
  // A key file others can read (a careless copy, a restore) is made private again.
  chmodSync(file, 0o600);
  return secretsFromKey(key);
}

function createKeyFile(file: string): Buffer {
  const key = randomBytes(KEY_FILE_BYTES);
  // O_EXCL: two processes starting at once must not each write a different key.
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dirFd = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return key;
}

export function secretsFromKey(key: Buffer): Secrets {
  const encKey = key.subarray(0, 32);
  const pepper = key.subarray(32, 64);
  const jwtKey = createHmac('sha256', pepper).update('smsotpd jwt').digest('base64url');

  const derive = (secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const peppered = createHmac('sha256', pepper).update(secret).digest();
      scrypt(peppered, salt, KDF.keyLen, { N: n, r, p, maxmem: KDF.maxmem }, (err, out) => (err ? reject(err) : resolve(out)));
    });

  return {
    jwtKey,
    exportKey: () => key.toString('base64'),
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
    },
    decrypt(envelope) {
      if (!envelope.startsWith('v1:')) throw new SecretError('unknown secret envelope version');
      const raw = Buffer.from(envelope.slice(3), 'base64');
      if (raw.length < 28) throw new SecretError('secret envelope too short');
      const decipher = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretError('secret envelope does not authenticate: wrong key file or damaged state');
      }
    },
    async hash(secret) {
      const salt = randomBytes(16);
      const out = await derive(secret, salt, KDF.N, KDF.r, KDF.p);
      return `scrypt$${KDF.N}$${KDF.r}$${KDF.p}$${salt.toString('base64')}$${out.toString('base64')}`;
    },
    async verify(secret, stored) {
      const parts = stored.split('$');
      if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
      const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
      // Refuse parameters outside a sane range: a tampered hash must not make us burn memory.
      if (!saneScryptParams(n, r, p)) return false;
      const expected = Buffer.from(parts[5]!, 'base64');
      if (expected.length !== KDF.keyLen) return false;
      let out: Buffer;
      try {
        out = await derive(secret, Buffer.from(parts[4]!, 'base64'), n, r, p);
      } catch {
        return false; // N not a power of two, or other parameters scrypt refuses: a damaged hash.
      }
      return timingSafeEqual(out, expected);
    },
  };
}

/**
 * scrypt parameters a stored hash may ask for. A tampered hash must not make us burn memory or
 * time: N at most 2^16, r at most 32, p at most 4, and scrypt's 128·N·r bytes within half of
 * maxmem (N=2^16 with r=32 would be 256 MiB, which scrypt refuses by throwing).
 */
export function saneScryptParams(n: number, r: number, p: number): boolean {
  return n >= 2 && n <= 1 << 16 && r >= 1 && r <= 32 && p >= 1 && p <= 4 && 128 * n * r <= KDF.maxmem / 2;
}

/** Constant-time string equality (lengths are not secret here: OTP length is public). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

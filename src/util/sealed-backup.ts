import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * A backup file sealed with a passphrase: scrypt (N=2^15, r=8, p=1) derives an AES-256-GCM key,
 * so a backup downloaded from the console is no worse to lose than the appliance itself.
 * The format names its parameters, so they can grow without breaking old files.
 */
export const SEALED_FORMAT = 'smsotpd-backup-sealed';
export const PASSPHRASE_MIN = 12;

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, o: object) => Promise<Buffer>;
const PARAMS = { N: 1 << 15, r: 8, p: 1 };

export interface SealedBackup {
  format: typeof SEALED_FORMAT;
  formatVersion: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
}

export class BackupSealError extends Error {
  override name = 'BackupSealError';
}

const keyOf = (passphrase: string, salt: Buffer, k: { N: number; r: number; p: number }) =>
  scrypt(passphrase, salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 128 * k.N * k.r * 2 });

export async function sealBackup(json: string, passphrase: string): Promise<SealedBackup> {
  if (passphrase.length < PASSPHRASE_MIN) throw new BackupSealError(`The passphrase needs at least ${PASSPHRASE_MIN} characters.`);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', await keyOf(passphrase, salt, PARAMS), iv);
  const data = Buffer.concat([c.update(json, 'utf8'), c.final()]);
  return {
    format: SEALED_FORMAT,
    formatVersion: 1,
    kdf: { name: 'scrypt', ...PARAMS, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export function isSealed(v: unknown): v is SealedBackup {
  return typeof v === 'object' && v !== null && (v as { format?: unknown }).format === SEALED_FORMAT;
}

export async function openSealedBackup(b: SealedBackup, passphrase: string): Promise<string> {
  if (b.formatVersion !== 1 || b.cipher !== 'aes-256-gcm' || b.kdf?.name !== 'scrypt')
    throw new BackupSealError('unsupported sealed backup (made by a newer smsotpd?)');
  const { N, r, p } = b.kdf;
  if (!(N >= 1024 && N <= 1 << 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16))
    throw new BackupSealError('sealed backup has implausible key derivation parameters');
  const d = createDecipheriv('aes-256-gcm', await keyOf(passphrase, Buffer.from(b.kdf.salt, 'base64'), { N, r, p }), Buffer.from(b.iv, 'base64'));
  d.setAuthTag(Buffer.from(b.tag, 'base64'));
  try {
    return Buffer.concat([d.update(Buffer.from(b.data, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new BackupSealError('wrong passphrase, or the file is damaged');
  }
}

import { hotp } from 'otplib';

type Hashlib = 'sha1' | 'sha256' | 'sha512';
const generators = new Map<string, typeof hotp>();

/** RFC 4226 HOTP of a hex seed at `counter`. */
export function hotpValue(seedHex: string, counter: number, digits: 6 | 8, hashlib: Hashlib): string {
  const id = `${digits}:${hashlib}`;
  let gen = generators.get(id);
  if (!gen) {
    gen = hotp.clone({ digits, algorithm: hashlib as never, encoding: 'hex' as never });
    generators.set(id, gen);
  }
  return gen.generate(seedHex, counter);
}

/** Seed sizes privacyIDEA uses per hash (bytes). */
export const SEED_BYTES: Record<Hashlib, number> = { sha1: 20, sha256: 32, sha512: 64 };

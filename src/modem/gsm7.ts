/**
 * The GSM 03.38 default alphabet and its extension table (3GPP TS 23.038 6.2.1).
 * A character is GSM-7 if it is in the default table (one septet) or the extension table
 * (ESC + one septet); anything else forces UCS2 for the whole message.
 */

// Index = septet value. 0x1B is the escape to the extension table, never a character itself.
const DEFAULT =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

const EXTENSION: Record<number, string> = {
  0x0a: '\f',
  0x14: '^',
  0x28: '{',
  0x29: '}',
  0x2f: '\\',
  0x3c: '[',
  0x3d: '~',
  0x3e: ']',
  0x40: '|',
  0x65: '€',
};

export const ESCAPE = 0x1b;

const toDefault = new Map<string, number>();
for (let i = 0; i < DEFAULT.length; i++) if (i !== ESCAPE) toDefault.set(DEFAULT[i]!, i);
const toExtension = new Map<string, number>(Object.entries(EXTENSION).map(([k, v]) => [v, Number(k)]));

if (DEFAULT.length !== 128) throw new Error(`GSM-7 table has ${DEFAULT.length} entries`);

/** Septets for one character, or null when it is not representable in GSM-7. */
export function charToSeptets(ch: string): number[] | null {
  const d = toDefault.get(ch);
  if (d !== undefined) return [d];
  const e = toExtension.get(ch);
  if (e !== undefined) return [ESCAPE, e];
  return null;
}

/** Encodes text to septets; null when any character needs UCS2. */
export function encodeGsm7(text: string): number[] | null {
  const out: number[] = [];
  for (const ch of text) {
    const s = charToSeptets(ch);
    if (!s) return null;
    out.push(...s);
  }
  return out;
}

export function decodeGsm7(septets: number[]): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]!;
    if (s === ESCAPE) {
      const next = septets[++i];
      // An unknown extension code reads as a space, as the spec asks of receivers.
      out += next === undefined ? '' : (EXTENSION[next] ?? ' ');
    } else out += DEFAULT[s] ?? ' ';
  }
  return out;
}

/**
 * Packs septets LSB-first into octets, starting `fillBits` bits in (the padding that aligns
 * text after a user-data header to a septet boundary).
 */
export function packSeptets(septets: number[], fillBits = 0): Buffer {
  const totalBits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(totalBits / 8));
  septets.forEach((s, i) => {
    const pos = fillBits + i * 7;
    for (let b = 0; b < 7; b++) if ((s >> b) & 1) out[(pos + b) >> 3]! |= 1 << ((pos + b) & 7);
  });
  return out;
}

export function unpackSeptets(octets: Buffer, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const pos = fillBits + i * 7;
    let s = 0;
    for (let b = 0; b < 7; b++) if ((octets[(pos + b) >> 3]! >> ((pos + b) & 7)) & 1) s |= 1 << b;
    out.push(s);
  }
  return out;
}

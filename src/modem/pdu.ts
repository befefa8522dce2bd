import { decodeGsm7, encodeGsm7, ESCAPE, packSeptets, unpackSeptets } from './gsm7.js';

/**
 * SMS-SUBMIT PDUs (3GPP TS 23.040 9.2.2.2). PDU mode is the default because the PDU travels as
 * hex: a CR, Ctrl-Z or ESC in a text or number is data, never a command terminator.
 */

export class PduError extends Error {
  override name = 'PduError';
}

export interface SubmitOptions {
  /** `+4917612345678` (international) or national digits `017612345678`. */
  to: string;
  text: string;
  /** Relative validity; omitted = no TP-VP field. Rounded up to the next representable value. */
  validityMinutes?: number;
  /** TP-RD: the network drops a resend of a message it already has (same MR and address). */
  rejectDuplicates?: boolean;
  /** TP-SRR: ask the network for a status report per part. */
  statusReport?: boolean;
  /** 8-bit concatenation reference, used when the text needs several parts. */
  concatRef?: number;
  messageRef?: number;
}

export interface SubmitPdu {
  /** Uppercase hex, starting with `00` (use the SIM's service centre). */
  hex: string;
  /** Octets after the SMSC field: the N of AT+CMGS=N. */
  tpduLength: number;
  part: number;
  parts: number;
}

export interface DecodedSubmit {
  to: string;
  international: boolean;
  text: string;
  encoding: 'gsm7' | 'ucs2' | '8bit';
  rejectDuplicates: boolean;
  statusReport: boolean;
  validityMinutes?: number;
  messageRef: number;
  concat?: { ref: number; total: number; seq: number };
}

export const MAX_PARTS = 10;
const GSM7_SINGLE = 160;
const GSM7_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;
const CONCAT_UDH_OCTETS = 6; // UDHL + IEI 00 + len 03 + ref + total + seq

export function validPhoneNumber(to: string): boolean {
  return /^\+?[0-9]{1,20}$/.test(to);
}

/** Splits GSM-7 septets into parts of at most `size`, never between ESC and its character. */
function splitSeptets(septets: number[], size: number): number[][] {
  const parts: number[][] = [];
  let i = 0;
  while (i < septets.length) {
    let end = Math.min(i + size, septets.length);
    if (end < septets.length && septets[end - 1] === ESCAPE) end--;
    parts.push(septets.slice(i, end));
    i = end;
  }
  return parts;
}

/** Splits UTF-16 code units into parts of at most `size`, never inside a surrogate pair. */
function splitUcs2(text: string, size: number): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts;
}

function plan(text: string): { encoding: 'gsm7'; chunks: number[][] } | { encoding: 'ucs2'; chunks: string[] } {
  const septets = encodeGsm7(text);
  if (septets) {
    const chunks = septets.length <= GSM7_SINGLE ? [septets] : splitSeptets(septets, GSM7_PART);
    return { encoding: 'gsm7', chunks };
  }
  return { encoding: 'ucs2', chunks: text.length <= UCS2_SINGLE ? [text] : splitUcs2(text, UCS2_PART) };
}

export function planText(text: string): { encoding: 'gsm7' | 'ucs2'; parts: number; septetsOrChars: number } {
  const p = plan(text);
  const size = p.encoding === 'gsm7' ? p.chunks.reduce((n, c) => n + c.length, 0) : text.length;
  return { encoding: p.encoding, parts: p.chunks.length, septetsOrChars: size };
}

/** TP-VP relative format (23.040 9.2.3.12.1), rounded up so an OTP never dies early in the network. */
export function validityToVp(minutes: number): number {
  const m = Math.max(5, Math.ceil(minutes));
  if (m <= 720) return Math.ceil(m / 5) - 1;
  if (m <= 1440) return 143 + Math.ceil((m - 720) / 30);
  if (m <= 30 * 1440) return Math.min(196, 166 + Math.ceil(m / 1440));
  return Math.min(255, 192 + Math.ceil(m / (7 * 1440)));
}

export function vpToMinutes(vp: number): number {
  if (vp <= 143) return (vp + 1) * 5;
  if (vp <= 167) return 720 + (vp - 143) * 30;
  if (vp <= 196) return (vp - 166) * 1440;
  return (vp - 192) * 7 * 1440;
}

export function encodeAddress(to: string): Buffer {
  if (!validPhoneNumber(to)) throw new PduError(`invalid phone number: only an optional + and 1-20 digits are allowed`);
  const international = to.startsWith('+');
  const digits = international ? to.slice(1) : to;
  const padded = digits.length % 2 ? `${digits}F` : digits;
  const bcd = Buffer.alloc(padded.length / 2);
  for (let i = 0; i < padded.length; i += 2) bcd[i / 2] = parseInt(`${padded[i + 1]}${padded[i]}`, 16);
  return Buffer.concat([Buffer.from([digits.length, international ? 0x91 : 0x81]), bcd]);
}

export function encodeSubmit(o: SubmitOptions): SubmitPdu[] {
  const address = encodeAddress(o.to);
  const p = plan(o.text);
  const parts = p.chunks.length;
  if (parts === 0) throw new PduError('empty text');
  if (parts > MAX_PARTS) throw new PduError(`text too long: ${parts} parts, at most ${MAX_PARTS}`);
  const concat = parts > 1;
  const ref = o.concatRef ?? 0;
  if (concat && !(Number.isInteger(ref) && ref >= 0 && ref <= 255)) throw new PduError('concatRef must be 0..255');
  const vp = o.validityMinutes === undefined ? null : validityToVp(o.validityMinutes);
  const mr = o.messageRef ?? 0;

  const out: SubmitPdu[] = [];
  for (let i = 0; i < parts; i++) {
    const udh = concat ? Buffer.from([CONCAT_UDH_OCTETS - 1, 0x00, 0x03, ref, parts, i + 1]) : Buffer.alloc(0);
    let udl: number;
    let ud: Buffer;
    if (p.encoding === 'gsm7') {
      const septets = p.chunks[i]!;
      const headerSeptets = Math.ceil((udh.length * 8) / 7);
      const fill = headerSeptets * 7 - udh.length * 8;
      const body = packSeptets(septets, fill);
      // The header occupies whole octets; text septets start after the fill bits.
      ud = udh.length ? Buffer.concat([udh, body]) : body;
      udl = headerSeptets + septets.length;
      ud = ud.subarray(0, Math.ceil((udl * 7) / 8));
    } else {
      const chunk = p.chunks[i]!;
      const body = Buffer.alloc(chunk.length * 2);
      for (let k = 0; k < chunk.length; k++) body.writeUInt16BE(chunk.charCodeAt(k), k * 2);
      ud = Buffer.concat([udh, body]);
      udl = ud.length;
    }
    const firstOctet = 0x01 | (o.rejectDuplicates ? 0x04 : 0) | (vp !== null ? 0x10 : 0) | (o.statusReport ? 0x20 : 0) | (concat ? 0x40 : 0);
    const tpdu = Buffer.concat([
      Buffer.from([firstOctet, mr & 0xff]),
      address,
      Buffer.from([0x00, p.encoding === 'gsm7' ? 0x00 : 0x08]),
      vp !== null ? Buffer.from([vp]) : Buffer.alloc(0),
      Buffer.from([udl]),
      ud,
    ]);
    out.push({ hex: `00${tpdu.toString('hex').toUpperCase()}`, tpduLength: tpdu.length, part: i + 1, parts });
  }
  return out;
}

/** TP-UD (with its header when TP-UDHI is set): the text and a concatenation header if any. */
export function decodeUserData(
  udhi: boolean,
  dcs: number,
  udl: number,
  ud: Buffer,
): { text: string; concat?: { ref: number; total: number; seq: number }; encoding: 'gsm7' | 'ucs2' | '8bit' } {
  // DCS 23.038 4: general coding group 00xx: bits 2-3 the alphabet; F0-FF: bit 2.
  const group = dcs >> 4;
  const alphabet = group <= 7 ? (dcs >> 2) & 0x03 : group === 0x0f ? (dcs & 0x04 ? 1 : 0) : group === 0x0e ? 2 : 0;
  const ucs2 = alphabet === 2;
  const eight = alphabet === 1;
  let concat: { ref: number; total: number; seq: number } | undefined;
  let udhLen = 0;
  if (udhi) {
    if (ud.length < 1) throw new PduError('UDH missing');
    udhLen = ud[0]! + 1;
    if (ud.length < udhLen) throw new PduError('UDH truncated');
    let k = 1;
    while (k < udhLen) {
      const iei = ud[k]!;
      const len = ud[k + 1] ?? 0;
      if (iei === 0x00 && len === 3) concat = { ref: ud[k + 2]!, total: ud[k + 3]!, seq: ud[k + 4]! };
      else if (iei === 0x08 && len === 4) concat = { ref: (ud[k + 2]! << 8) | ud[k + 3]!, total: ud[k + 4]!, seq: ud[k + 5]! };
      k += 2 + len;
    }
  }
  let text: string;
  if (eight) {
    if (udl > ud.length) throw new PduError('user data shorter than UDL');
    text = ud.subarray(udhLen, udl).toString('latin1');
  } else if (ucs2) {
    if (udl > ud.length) throw new PduError('user data shorter than UDL');
    const body = ud.subarray(udhLen, udl);
    if (body.length % 2) throw new PduError('odd UCS2 length');
    text = '';
    for (let k = 0; k < body.length; k += 2) text += String.fromCharCode(body.readUInt16BE(k));
  } else {
    if (Math.ceil((udl * 7) / 8) > ud.length) throw new PduError('user data shorter than UDL');
    const headerSeptets = Math.ceil((udhLen * 8) / 7);
    const fill = headerSeptets * 7 - udhLen * 8;
    const septets = unpackSeptets(ud.subarray(udhLen), udl - headerSeptets, fill);
    text = decodeGsm7(septets);
  }
  return { text, ...(concat ? { concat } : {}), encoding: ucs2 ? 'ucs2' : eight ? '8bit' : 'gsm7' };
}

export function decodeSubmit(hex: string): DecodedSubmit {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) throw new PduError('PDU is not hex');
  const b = Buffer.from(hex, 'hex');
  let i = 0;
  const need = (n: number) => {
    if (i + n > b.length) throw new PduError('PDU is truncated');
  };
  need(1);
  const smscLen = b[i++]!;
  need(smscLen);
  i += smscLen;
  need(2);
  const first = b[i++]!;
  if ((first & 0x03) !== 0x01) throw new PduError('not an SMS-SUBMIT');
  const messageRef = b[i++]!;
  need(2);
  const digits = b[i++]!;
  const ton = b[i++]!;
  const addrOctets = Math.ceil(digits / 2);
  need(addrOctets);
  let number = '';
  for (let k = 0; k < addrOctets; k++) {
    const o = b[i + k]!;
    number += (o & 0x0f).toString(16) + ((o >> 4) & 0x0f).toString(16);
  }
  i += addrOctets;
  number = number.slice(0, digits).toUpperCase();
  if (!/^[0-9]*$/.test(number)) throw new PduError('address holds non-digits');
  need(2);
  i++; // TP-PID
  const dcs = b[i++]!;
  const vpf = (first >> 3) & 0x03;
  let validityMinutes: number | undefined;
  if (vpf === 2) {
    need(1);
    validityMinutes = vpToMinutes(b[i++]!);
  } else if (vpf === 1 || vpf === 3) {
    need(7);
    i += 7;
  }
  need(1);
  const udl = b[i++]!;
  const ud = b.subarray(i);
  const { text, concat, encoding } = decodeUserData((first & 0x40) !== 0, dcs, udl, ud);
  const international = ton === 0x91;
  return {
    to: international ? `+${number}` : number,
    international,
    text,
    encoding,
    rejectDuplicates: (first & 0x04) !== 0,
    statusReport: (first & 0x20) !== 0,
    ...(validityMinutes !== undefined ? { validityMinutes } : {}),
    messageRef,
    ...(concat ? { concat } : {}),
  };
}

export {
  decodeAddressField,
  decodeDeliver,
  decodeStatusReport,
  decodeTimestamp,
  encodeDeliver,
  encodeStatusReport,
  reportOutcome,
} from './pdu-receive.js';
export type { DecodedDeliver, DecodedStatusReport, ReportOutcome } from './pdu-receive.js';

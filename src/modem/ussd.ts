import { decodeGsm7, unpackSeptets } from './gsm7.js';

/** USSD answers (3GPP TS 27.007 7.15): `+CUSD: <m>[,<str>,<dcs>]`. */

export class UssdError extends Error {
  override name = 'UssdError';
}

const ENDED: Record<string, string> = {
  '2': 'the network ended the USSD session',
  '3': 'another local client answered',
  '4': 'the network does not support this USSD operation',
  '5': 'the network timed out',
};

/**
 * The answer text. dcs 72 (0x48) or any UCS2 data coding: `str` is UTF-16BE hex. `packed`
 * (Huawei): GSM 7-bit packed hex. Otherwise the modem already decoded it to text.
 */
export function parseCusd(line: string, packed = false): string {
  const m = /^\+CUSD:\s*(\d)\s*(?:,\s*"((?:[^"]|"")*)"\s*(?:,\s*(\d+))?)?/.exec(line);
  if (!m) throw new UssdError(`unreadable USSD answer: ${line.slice(0, 80)}`);
  const [, mode, str, dcsText] = m;
  if (str === undefined) throw new UssdError(ENDED[mode!] ?? `USSD ended (mode ${mode})`);
  const dcs = dcsText === undefined ? 15 : Number(dcsText);
  const hex = /^(?:[0-9A-Fa-f]{2})+$/.test(str);
  if (hex && (dcs === 72 || (dcs & 0x0c) === 0x08 || dcs === 0x11)) {
    const b = Buffer.from(str, 'hex');
    let out = '';
    for (let i = 0; i + 1 < b.length; i += 2) out += String.fromCharCode(b.readUInt16BE(i));
    return out;
  }
  if (hex && packed) {
    const b = Buffer.from(str, 'hex');
    let text = decodeGsm7(unpackSeptets(b, Math.floor((b.length * 8) / 7)));
    // A CR pads the last septet when it would otherwise read as '@' (23.038 6.1.2.3.1).
    if (text.endsWith('\r') || ((b.length * 8) % 7 === 0 && text.endsWith('@'))) text = text.slice(0, -1);
    return text;
  }
  return str;
}

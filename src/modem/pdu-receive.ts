import { decodeGsm7, encodeGsm7, packSeptets, unpackSeptets } from './gsm7.js';
import { decodeUserData, encodeAddress, PduError } from './pdu.js';

/**
 * PDUs a modem receives: SMS-DELIVER (an incoming SMS, 3GPP TS 23.040 9.2.2.1) and
 * SMS-STATUS-REPORT (9.2.2.3). The encoders exist for the simulator and the tests.
 */

export type ReportOutcome = 'delivered' | 'undelivered' | 'pending';

export interface DecodedStatusReport {
  /** TP-MR of the submit the report is about. */
  reference: number;
  /** TP-RA, `+` prefixed when international. */
  recipient: string;
  /** TP-SCTS: when the service centre took the submit, epoch ms. */
  serviceCentreTime: number;
  /** TP-DT: delivery, last attempt, or giving up, epoch ms. */
  dischargeTime: number;
  status: number;
  outcome: ReportOutcome;
}

export interface DecodedDeliver {
  from: string;
  text: string;
  /** TP-SCTS, epoch ms. */
  t: number;
  concat?: { ref: number; total: number; seq: number };
}

/** TP-ST (9.2.3.15): 0x00-0x1F done, 0x20-0x3F still trying, 0x40-0x5F failed for good, 0x60-0x7F gave up (temporary error); 0x80+ reserved. */
export function reportOutcome(status: number): ReportOutcome {
  if (status <= 0x1f) return 'delivered';
  if (status <= 0x3f) return 'pending';
  // 0x60-0x7F: the SC stopped trying after temporary errors: as final as a permanent one for us.
  if (status <= 0x7f) return 'undelivered';
  return 'pending';
}

class Reader {
  i = 0;
  constructor(readonly b: Buffer) {}
  need(n: number): void {
    if (this.i + n > this.b.length) throw new PduError('PDU is truncated');
  }
  byte(): number {
    this.need(1);
    return this.b[this.i++]!;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
}

function swapped(octet: number): number {
  return (octet & 0x0f) * 10 + ((octet >> 4) & 0x0f);
}

/** TP-SCTS / TP-DT (9.2.3.11): YY MM DD hh mm ss TZ, semi-octets swapped; TZ quarters of an hour, bit 3 of the raw octet = minus. */
export function decodeTimestamp(b: Buffer): number {
  if (b.length !== 7) throw new PduError('time stamp must be 7 octets');
  const [yy, mo, dd, hh, mi, ss] = [0, 1, 2, 3, 4, 5].map((k) => swapped(b[k]!)) as [number, number, number, number, number, number];
  const tzRaw = b[6]!;
  const quarters = (tzRaw & 0x07) * 10 + ((tzRaw >> 4) & 0x0f);
  const sign = tzRaw & 0x08 ? -1 : 1;
  const local = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  if (Number.isNaN(local)) throw new PduError('bad time stamp');
  return local - sign * quarters * 15 * 60_000;
}

export function encodeTimestamp(ms: number): Buffer {
  const d = new Date(ms);
  const sw = (n: number) => ((n % 10) << 4) | Math.floor(n / 10);
  return Buffer.from([
    sw(d.getUTCFullYear() % 100),
    sw(d.getUTCMonth() + 1),
    sw(d.getUTCDate()),
    sw(d.getUTCHours()),
    sw(d.getUTCMinutes()),
    sw(d.getUTCSeconds()),
    0,
  ]);
}

/** An address field (9.1.2.5): digit count, type, semi-octets; alphanumeric senders are packed GSM-7. */
export function decodeAddressField(r: Reader): string {
  const digits = r.byte();
  const type = r.byte();
  const octets = Math.ceil(digits / 2);
  const raw = r.bytes(octets);
  if (((type >> 4) & 0x07) === 0x05) {
    // Alphanumeric (an operator's "Vodafone"): `digits` counts semi-octets of packed septets.
    return decodeGsm7(unpackSeptets(raw, Math.floor((digits * 4) / 7)));
  }
  let number = '';
  for (const o of raw) number += (o & 0x0f).toString(16) + ((o >> 4) & 0x0f).toString(16);
  number = number.slice(0, digits).toUpperCase();
  if (!/^[0-9*#ABC]*$/.test(number)) throw new PduError('address holds non-digits');
  return ((type >> 4) & 0x07) === 0x01 ? `+${number}` : number;
}

function skipSmsc(r: Reader): void {
  const len = r.byte();
  r.bytes(len);
}

function reader(hex: string): Reader {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) throw new PduError('PDU is not hex');
  return new Reader(Buffer.from(hex, 'hex'));
}

export function decodeStatusReport(hex: string): DecodedStatusReport {
  const r = reader(hex);
  skipSmsc(r);
  const first = r.byte();
  if ((first & 0x03) !== 0x02) throw new PduError('not an SMS-STATUS-REPORT');
  const reference = r.byte();
  const recipient = decodeAddressField(r);
  const serviceCentreTime = decodeTimestamp(r.bytes(7));
  const dischargeTime = decodeTimestamp(r.bytes(7));
  const status = r.byte();
  return { reference, recipient, serviceCentreTime, dischargeTime, status, outcome: reportOutcome(status) };
}

export function decodeDeliver(hex: string): DecodedDeliver {
  const r = reader(hex);
  skipSmsc(r);
  const first = r.byte();
  if ((first & 0x03) !== 0x00) throw new PduError('not an SMS-DELIVER');
  const from = decodeAddressField(r);
  r.byte(); // TP-PID
  const dcs = r.byte();
  const t = decodeTimestamp(r.bytes(7));
  const udl = r.byte();
  const ud = r.b.subarray(r.i);
  const { text, concat } = decodeUserData((first & 0x40) !== 0, dcs, udl, ud);
  return { from, text, t, ...(concat ? { concat } : {}) };
}

/** An SMS-STATUS-REPORT PDU (with an empty SMSC field), as a network would send it. */
export function encodeStatusReport(o: { reference: number; recipient: string; submittedAt: number; dischargedAt: number; status: number }): string {
  const tpdu = Buffer.concat([
    Buffer.from([0x06, o.reference & 0xff]),
    encodeAddress(o.recipient),
    encodeTimestamp(o.submittedAt),
    encodeTimestamp(o.dischargedAt),
    Buffer.from([o.status & 0xff]),
  ]);
  return `00${tpdu.toString('hex').toUpperCase()}`;
}

/** SMS-DELIVER PDUs for a text (GSM-7, or UCS2 when needed; concatenated past one part). */
export function encodeDeliver(o: { from: string; text: string; t: number; concatRef?: number }): string[] {
  const septets = encodeGsm7(o.text);
  const chunks: Array<number[] | string> = [];
  if (septets)
    for (let i = 0; i < Math.max(1, septets.length); i += septets.length <= 160 ? 160 : 153)
      chunks.push(septets.slice(i, i + (septets.length <= 160 ? 160 : 153)));
  else
    for (let i = 0; i < Math.max(1, o.text.length); i += o.text.length <= 70 ? 70 : 67)
      chunks.push(o.text.slice(i, i + (o.text.length <= 70 ? 70 : 67)));
  const total = chunks.length;
  return chunks.map((chunk, k) => {
    const udh = total > 1 ? Buffer.from([5, 0, 3, (o.concatRef ?? 1) & 0xff, total, k + 1]) : Buffer.alloc(0);
    let ud: Buffer;
    let udl: number;
    if (typeof chunk === 'string') {
      const body = Buffer.alloc(chunk.length * 2);
      for (let i = 0; i < chunk.length; i++) body.writeUInt16BE(chunk.charCodeAt(i), i * 2);
      ud = Buffer.concat([udh, body]);
      udl = ud.length;
    } else {
      const headerSeptets = Math.ceil((udh.length * 8) / 7);
      const fill = headerSeptets * 7 - udh.length * 8;
      ud = Buffer.concat([udh, packSeptets(chunk, fill)]);
      udl = headerSeptets + chunk.length;
    }
    const first = 0x04 | (total > 1 ? 0x40 : 0);
    const tpdu = Buffer.concat([
      Buffer.from([first]),
      encodeAddress(o.from),
      Buffer.from([0x00, septets ? 0x00 : 0x08]),
      encodeTimestamp(o.t),
      Buffer.from([udl]),
      ud,
    ]);
    return `00${tpdu.toString('hex').toUpperCase()}`;
  });
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDeliver,
  decodeStatusReport,
  decodeTimestamp,
  encodeDeliver,
  encodeStatusReport,
  encodeSubmit,
  decodeSubmit,
  PduError,
  reportOutcome,
} from '../../src/modem/pdu.js';
import { encodeGsm7, packSeptets } from '../../src/modem/gsm7.js';

// SMSC none, SMS-STATUS-REPORT (06), MR 0x2A, RA +49176123456, SCTS 26-12-04 10:20:30 +01:00, DT 10:20:35, ST 00.
const REPORT = '00062A0B919471163254F6622140010203406221400102534000';

describe('SMS-STATUS-REPORT (23.040 9.2.2.3)', () => {
  it('decodes reference, recipient, both time stamps (time zone applied) and the status', () => {
    expect(decodeStatusReport(REPORT)).toEqual({
      reference: 42,
      recipient: '+49176123456',
      serviceCentreTime: Date.UTC(2026, 11, 4, 9, 20, 30),
      dischargeTime: Date.UTC(2026, 11, 4, 9, 20, 35),
      status: 0,
      outcome: 'delivered',
    });
  });

  it('an SMSC field before the report is skipped; a national recipient stays national', () => {
    const withSmsc = `07919471060070F0${REPORT.slice(2).replace('0B91', '0B81')}`;
    expect(decodeStatusReport(withSmsc)).toMatchObject({ reference: 42, recipient: '49176123456' });
  });

  it('TP-ST ranges: done, pending, failed for good, gave up; reserved values are not final', () => {
    expect([0x00, 0x01, 0x02, 0x1f].map(reportOutcome)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect([0x20, 0x25, 0x3f].map(reportOutcome)).toEqual(['pending', 'pending', 'pending']);
    expect([0x40, 0x46, 0x5f, 0x60, 0x7f].map(reportOutcome)).toEqual(['undelivered', 'undelivered', 'undelivered', 'undelivered', 'undelivered']);
    expect([0x80, 0xff].map(reportOutcome)).toEqual(['pending', 'pending']);
  });

  it('round-trips through the encoder the simulator uses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.stringMatching(/^\+?[0-9]{1,15}$/),
        fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2098, 0, 1) }),
        fc.integer({ min: 0, max: 255 }),
        (mr, to, t, st) => {
          const at = Math.floor(t / 1000) * 1000;
          const d = decodeStatusReport(encodeStatusReport({ reference: mr, recipient: to, submittedAt: at, dischargedAt: at + 5000, status: st }));
          expect(d).toEqual({
            reference: mr,
            recipient: to,
            serviceCentreTime: at,
            dischargeTime: at + 5000,
            status: st,
            outcome: reportOutcome(st),
          });
        },
      ),
    );
  });

  it('refuses what is not a status report, or is cut short', () => {
    expect(() => decodeStatusReport('0001')).toThrow(PduError);
    expect(() => decodeStatusReport(REPORT.slice(0, 30))).toThrow(/truncated/);
    expect(() => decodeStatusReport('zz')).toThrow(/not hex/);
    expect(() => decodeStatusReport(encodeSubmit({ to: '+491', text: 'x' })[0]!.hex)).toThrow(/not an SMS-STATUS-REPORT/);
  });

  it('time stamps: negative zones, bad dates', () => {
    // 26-12-04 10:00:00 -02:00 (8 quarters, sign bit in the raw octet).
    expect(decodeTimestamp(Buffer.from('62214001000088', 'hex'))).toBe(Date.UTC(2026, 11, 4, 12, 0, 0));
    expect(decodeTimestamp(Buffer.from('62214001000023', 'hex'))).toBe(Date.UTC(2026, 11, 4, 10, 0, 0) - 32 * 15 * 60_000);
    expect(() => decodeTimestamp(Buffer.from('6221', 'hex'))).toThrow(/7 octets/);
  });
});

describe('SMS-DELIVER (23.040 9.2.2.1)', () => {
  it('round-trips GSM-7, the extension table, UCS2 and concatenated texts', () => {
    const t = Date.UTC(2026, 11, 4, 8, 0, 0);
    for (const text of ['Your credit: 5 EUR', 'braces {} and € [x]', 'Привет 😀', 'long '.repeat(50), 'ü'.repeat(100)]) {
      const parts = encodeDeliver({ from: '+4915112345678', text, t, concatRef: 3 });
      const decoded = parts.map(decodeDeliver);
      expect(decoded.map((d) => d.text).join(''), text).toBe(text);
      expect(decoded[0]).toMatchObject({ from: '+4915112345678', t });
      if (parts.length > 1) expect(decoded.map((d) => d.concat)).toEqual(parts.map((_, i) => ({ ref: 3, total: parts.length, seq: i + 1 })));
    }
  });

  it('an alphanumeric sender (an operator name) is decoded from packed GSM-7', () => {
    // From "Vodafone": TON 5 (0xD0), 14 semi-octets of packed septets.
    const name = packSeptets(encodeGsm7('Vodafone')!).toString('hex').toUpperCase();
    const pdu = `00040ED0${name}00006221400100004005C8329BFD06`;
    expect(decodeDeliver(pdu)).toMatchObject({ from: 'Vodafone', text: 'Hello' });
  });

  it('8-bit data is read as bytes; SUBMIT PDUs are refused', () => {
    const head = '00040B919471163254F60004' + '62214001000040' + '03';
    expect(decodeDeliver(`${head}414243`).text).toBe('ABC');
    expect(() => decodeDeliver(`${head}4142`)).toThrow(/shorter than UDL/);
    expect(() => decodeDeliver(encodeSubmit({ to: '+491', text: 'x' })[0]!.hex)).toThrow(/not an SMS-DELIVER/);
  });
});

describe('SMS-SUBMIT with a status report request', () => {
  it('sets TP-SRR (0x20) only when asked, next to TP-RD and TP-VPF', () => {
    const [plain] = encodeSubmit({ to: '+4917612345678', text: 'x', validityMinutes: 10 });
    const [srr] = encodeSubmit({ to: '+4917612345678', text: 'x', validityMinutes: 10, statusReport: true, rejectDuplicates: true });
    expect(plain!.hex.slice(2, 4)).toBe('11');
    expect(srr!.hex.slice(2, 4)).toBe('35');
    expect(decodeSubmit(srr!.hex)).toMatchObject({ statusReport: true, rejectDuplicates: true });
    expect(decodeSubmit(plain!.hex)).toMatchObject({ statusReport: false, rejectDuplicates: false });
  });
});

describe('receive codec edges', () => {
  it('encodeDeliver splits GSM-7 past 160 (153 per part) and UCS2 past 70 (67); upper-case hex; empty text is one part', () => {
    const t = Date.UTC(2026, 0, 1);
    expect(encodeDeliver({ from: '+1', text: 'x'.repeat(160), t })).toHaveLength(1);
    const two = encodeDeliver({ from: '+1', text: 'x'.repeat(161), t, concatRef: 1 }).map(decodeDeliver);
    expect(two.map((d) => d.text.length)).toEqual([153, 8]);
    expect(encodeDeliver({ from: '+1', text: 'ж'.repeat(70), t })).toHaveLength(1);
    expect(encodeDeliver({ from: '+1', text: 'ж'.repeat(71), t, concatRef: 1 }).map((p) => decodeDeliver(p).text.length)).toEqual([67, 4]);
    expect(encodeDeliver({ from: '+1', text: '', t })).toHaveLength(1);
    const [p] = encodeDeliver({ from: '+1', text: 'a', t });
    expect(p).toBe(p!.toUpperCase());
    expect(encodeStatusReport({ reference: 1, recipient: '+1', submittedAt: t, dischargedAt: t, status: 0 })).toMatch(/^[0-9A-F]+$/);
    expect(decodeDeliver(p!.toLowerCase()).text).toBe('a');
  });

  it('recipient digits A-C and * # pass; other letters are refused; a partial hex string is not hex', () => {
    // RA with 4 semi-octets "12A3": BCD 21 3A.
    const base = '0006010481213A' + '62214001020340' + '62214001025340' + '00';
    expect(decodeStatusReport(base).recipient).toBe('12A3');
    expect(() => decodeStatusReport(base.replace('213A', '213D'))).toThrow('address holds non-digits');
    expect(() => decodeStatusReport(`x${base}`)).toThrow('PDU is not hex');
    expect(() => decodeStatusReport(`${base}x`)).toThrow('PDU is not hex');
    expect(() => decodeStatusReport(`${base}0`)).toThrow('PDU is not hex');
  });
});

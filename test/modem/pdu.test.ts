import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSubmit, encodeSubmit, PduError, planText, validityToVp, vpToMinutes } from '../../src/modem/pdu.js';

describe('SMS-SUBMIT PDU', () => {
  it('encodes a single GSM-7 part exactly', () => {
    const [p] = encodeSubmit({ to: '+31641600986', text: 'hellohello' });
    // 00 SMSC | 01 SUBMIT | 00 MR | 0B 91 1346610089F6 | 00 PID | 00 DCS | 0A UDL | packed text
    expect(p!.hex).toBe('0001000B911346610089F600000AE8329BFD4697D9EC37');
    expect(p!.tpduLength).toBe(p!.hex.length / 2 - 1);
  });

  it('sets reject-duplicates, relative validity and UCS2 for non-GSM text', () => {
    const [p] = encodeSubmit({ to: '0176', text: 'Код', validityMinutes: 5, rejectDuplicates: true });
    // 0x15 = SUBMIT, RD, VPF relative; 04 81 1067 national; DCS 08; VP 00 (5 min); UDL 06; К о д = 041A 043E 0434
    expect(p!.hex).toBe('0015000481106700080006041A043E0434');
    const d = decodeSubmit(p!.hex);
    expect(d).toMatchObject({ to: '0176', international: false, text: 'Код', encoding: 'ucs2', rejectDuplicates: true, validityMinutes: 5 });
  });

  it('splits long texts into concatenated parts with one reference', () => {
    const text = 'x'.repeat(161);
    const parts = encodeSubmit({ to: '+4917612345678', text, concatRef: 42 });
    expect(parts.map((p) => [p.part, p.parts])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(parts.map((p) => decodeSubmit(p.hex).concat)).toEqual([
      { ref: 42, total: 2, seq: 1 },
      { ref: 42, total: 2, seq: 2 },
    ]);
    expect(parts.map((p) => decodeSubmit(p.hex).text).join('')).toBe(text);
    expect(planText(text)).toEqual({ encoding: 'gsm7', parts: 2, septetsOrChars: 161 });
    expect(planText('€'.repeat(80)).parts).toBe(1);
    expect(planText('€'.repeat(81)).parts).toBe(2);
  });

  it('refuses anything but + and digits as a number: no injection through the address', () => {
    for (const bad of ['+49 176', '+49176\r\nAT+CFUN=0', '0176\u001a', '\u001b', 'abc', '', '+'.repeat(2), '1'.repeat(21)]) {
      expect(() => encodeSubmit({ to: bad, text: 'x' }), JSON.stringify(bad)).toThrow(PduError);
    }
  });

  it('refuses texts beyond 10 parts', () => {
    expect(() => encodeSubmit({ to: '+491', text: 'x'.repeat(153 * 10 + 1), concatRef: 1 })).toThrow(/at most 10/);
  });

  it('validity periods round up to representable values', () => {
    expect(validityToVp(5)).toBe(0);
    expect(validityToVp(6)).toBe(1);
    expect(vpToMinutes(validityToVp(300 / 60))).toBeGreaterThanOrEqual(5);
    for (const m of [1, 7, 61, 719, 721, 1441, 10000, 50000, 600000])
      expect(vpToMinutes(validityToVp(m))).toBeGreaterThanOrEqual(Math.min(m, vpToMinutes(255)));
  });

  it('round-trips any text and number (property)', () => {
    const number = fc.tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,20}$/)).map(([intl, d]) => (intl ? `+${d}` : d));
    const text = fc.oneof(
      fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
      fc.string({ minLength: 1, maxLength: 700, unit: fc.constantFrom(...'abc€[]{}\\^~|\r\n\u001a\u001b@£$¤ÄÖÑÜ§¿'.split('')) }),
      fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }),
    );
    fc.assert(
      fc.property(number, text, fc.integer({ min: 0, max: 255 }), fc.boolean(), (to, t, ref, rd) => {
        const plan = planText(t);
        fc.pre(plan.parts <= 10);
        const parts = encodeSubmit({ to, text: t, concatRef: ref, rejectDuplicates: rd, validityMinutes: 5 });
        expect(parts).toHaveLength(plan.parts);
        let joined = '';
        for (const p of parts) {
          expect(p.hex).toMatch(/^[0-9A-F]+$/);
          expect(p.tpduLength).toBe(p.hex.length / 2 - 1);
          const d = decodeSubmit(p.hex);
          expect(d.to).toBe(to);
          expect(d.rejectDuplicates).toBe(rd);
          if (parts.length > 1) expect(d.concat).toEqual({ ref, total: parts.length, seq: p.part });
          joined += d.text;
        }
        expect(joined).toBe(t);
      }),
      { numRuns: 400, seed: 20261124 },
    );
  });

  it('decoding refuses malformed PDUs with PduError', () => {
    for (const bad of ['zz', '00', '0001', '0002000B91', '0001000B911346610089F600000AE832']) expect(() => decodeSubmit(bad)).toThrow(PduError);
  });
});

describe('PDU codec edges (what the mutation run found untested)', () => {
  it('UCS2 splits at 67 code units past 70, never inside a surrogate pair; GSM-7 never between ESC and its character', async () => {
    const { encodeSubmit: enc, decodeSubmit: dec, planText: plan } = await import('../../src/modem/pdu.js');
    const u = 'ж'.repeat(100);
    const up = enc({ to: '+491', text: u, concatRef: 1 });
    expect(up.map((p) => dec(p.hex).text.length)).toEqual([67, 33]);
    expect(enc({ to: '+491', text: 'ж'.repeat(70) })).toHaveLength(1);
    expect(enc({ to: '+491', text: 'ж'.repeat(71), concatRef: 1 })).toHaveLength(2);
    const pair = 'a'.repeat(66) + '😀' + 'b'.repeat(10);
    const pp = enc({ to: '+491', text: pair, concatRef: 2 }).map((p) => dec(p.hex).text);
    expect(pp[0]).toBe('a'.repeat(66));
    expect(pp.join('')).toBe(pair);
    const esc = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const ep = enc({ to: '+491', text: esc, concatRef: 3 }).map((p) => dec(p.hex).text);
    expect(ep[0]).toBe('a'.repeat(152));
    expect(ep.join('')).toBe(esc);
    expect(plan('€x')).toEqual({ encoding: 'gsm7', parts: 1, septetsOrChars: 3 });
    expect(plan('ж'.repeat(71))).toEqual({ encoding: 'ucs2', parts: 2, septetsOrChars: 71 });
    expect(plan('x'.repeat(160)).parts).toBe(1);
    expect(plan('x'.repeat(161)).parts).toBe(2);
  });

  it("validity period: the relative format's four ranges, rounded up, and back", async () => {
    const { validityToVp, vpToMinutes } = await import('../../src/modem/pdu.js');
    expect([1, 5, 6, 720, 721, 750, 1440, 1441, 2880, 30 * 1440, 30 * 1440 + 1, 35 * 1440, 10_000_000].map(validityToVp)).toEqual([
      0, 0, 1, 143, 144, 144, 167, 168, 168, 196, 197, 197, 255,
    ]);
    expect([0, 143, 144, 167, 168, 196, 197, 255].map(vpToMinutes)).toEqual([5, 720, 750, 1440, 2880, 30 * 1440, 5 * 7 * 1440, 63 * 7 * 1440]);
  });

  it('refuses what it cannot send, with the reason', async () => {
    const { encodeSubmit: enc, PduError: E } = await import('../../src/modem/pdu.js');
    expect(() => enc({ to: '+49 1', text: 'x' })).toThrow('invalid phone number: only an optional + and 1-20 digits are allowed');
    expect(() => enc({ to: '+491', text: 'x'.repeat(153 * 10 + 1) })).toThrow('text too long: 11 parts, at most 10');
    expect(enc({ to: '+491', text: 'x'.repeat(153 * 10), concatRef: 0 })).toHaveLength(10);
    for (const ref of [256, -1, 1.5]) expect(() => enc({ to: '+491', text: 'x'.repeat(200), concatRef: ref })).toThrow('concatRef must be 0..255');
    expect(enc({ to: '+491', text: 'short', concatRef: 999 })).toHaveLength(1);
    expect(new E('x').name).toBe('PduError');
  });

  it('message reference, odd and even numbers, national numbers', async () => {
    const { encodeSubmit: enc, decodeSubmit: dec } = await import('../../src/modem/pdu.js');
    expect(dec(enc({ to: '+123', text: 'x', messageRef: 5 })[0]!.hex)).toMatchObject({ to: '+123', messageRef: 5, international: true });
    expect(dec(enc({ to: '1234', text: 'x' })[0]!.hex)).toMatchObject({ to: '1234', messageRef: 0, international: false });
    expect(dec(enc({ to: '+491', text: 'x' })[0]!.hex)).not.toHaveProperty('validityMinutes');
  });

  it('decodeSubmit: SMSC field, lower-case hex, absolute/enhanced validity skipped, 16-bit concatenation, and clear errors', async () => {
    const { decodeSubmit: dec, encodeSubmit: enc } = await import('../../src/modem/pdu.js');
    const hex = enc({ to: '+4917612345678', text: 'hi' })[0]!.hex;
    expect(dec(hex.toLowerCase()).text).toBe('hi');
    expect(dec(`0491947106${hex.slice(2)}`).text).toBe('hi');
    // First octet 0x19 (VPF absolute): 7 octets of validity skipped; 0x09 (enhanced) the same.
    const tpdu = hex.slice(2);
    const abs = `0019${tpdu.slice(2, 4)}${tpdu.slice(4, 4 + 2 + 2 + 14)}0000${'62214001000040'}02E834`;
    expect(dec(abs)).toMatchObject({ text: 'hi' });
    expect(dec(`0009${abs.slice(4)}`)).toMatchObject({ text: 'hi' });
    expect(() => dec('ABC')).toThrow('PDU is not hex');
    expect(() => dec('ZZ')).toThrow('PDU is not hex');
    expect(() => dec('00')).toThrow('PDU is truncated');
    expect(() => dec('000400')).toThrow('not an SMS-SUBMIT');
    const { decodeUserData: ud } = await import('../../src/modem/pdu.js');
    expect(() => ud(true, 0, 1, Buffer.alloc(0))).toThrow('UDH missing');
    expect(() => ud(true, 0, 5, Buffer.from('0500', 'hex'))).toThrow('UDH truncated');
    expect(() => ud(false, 8, 3, Buffer.from('0041', 'hex'))).toThrow('user data shorter than UDL');
    expect(() => ud(false, 8, 3, Buffer.from('004100', 'hex'))).toThrow('odd UCS2 length');
    expect(() => ud(false, 0, 5, Buffer.from('41', 'hex'))).toThrow('user data shorter than UDL');
  });

  it('data coding groups: 8-bit, UCS2 and GSM-7 in the general and the F0/E0/C0 groups', async () => {
    const { decodeUserData } = await import('../../src/modem/pdu.js');
    const ab = Buffer.from('4142', 'hex');
    expect(decodeUserData(false, 0x04, 2, ab)).toEqual({ text: 'AB', encoding: '8bit' });
    expect(decodeUserData(false, 0xf4, 2, ab)).toEqual({ text: 'AB', encoding: '8bit' });
    expect(decodeUserData(false, 0x48, 2, ab)).toEqual({ text: '䅂', encoding: 'ucs2' });
    expect(decodeUserData(false, 0xe0, 2, ab)).toEqual({ text: '䅂', encoding: 'ucs2' });
    expect(decodeUserData(false, 0xf0, 1, Buffer.from('41', 'hex')).encoding).toBe('gsm7');
    expect(decodeUserData(false, 0xc0, 1, Buffer.from('41', 'hex'))).toEqual({ text: 'A', encoding: 'gsm7' });
    // 16-bit concatenation reference (IEI 08).
    const udh16 = Buffer.from('0608040102030241', 'hex');
    expect(decodeUserData(true, 0x04, 8, udh16)).toEqual({ text: 'A', concat: { ref: 0x0102, total: 3, seq: 2 }, encoding: '8bit' });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGsm7, encodeGsm7, packSeptets, unpackSeptets } from '../../src/modem/gsm7.js';
import { decodeSubmit, encodeSubmit, PduError, planText, validityToVp, vpToMinutes } from '../../src/modem/pdu.js';

describe('GSM-7', () => {
  it('packs the classic "hellohello" example', () => {
    expect(packSeptets(encodeGsm7('hellohello')!).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
  });
  it('uses the extension table with an escape', () => {
    expect(encodeGsm7('€[')).toEqual([0x1b, 0x65, 0x1b, 0x3c]);
    expect(decodeGsm7([0x1b, 0x65, 0x1b, 0x3c])).toBe('€[');
    expect(encodeGsm7('😀')).toBeNull();
  });
});

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
    expect(parts.map((p) => [p.part, p.parts])).toEqual([[1, 2], [2, 2]]);
    expect(parts.map((p) => decodeSubmit(p.hex).concat)).toEqual([{ ref: 42, total: 2, seq: 1 }, { ref: 42, total: 2, seq: 2 }]);
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
    for (const m of [1, 7, 61, 719, 721, 1441, 10000, 50000, 600000]) expect(vpToMinutes(validityToVp(m))).toBeGreaterThanOrEqual(Math.min(m, vpToMinutes(255)));
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

  it('septet packing round-trips at every fill offset (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 200 }), fc.integer({ min: 0, max: 6 }), (s, fill) => {
        expect(unpackSeptets(packSeptets(s, fill), s.length, fill)).toEqual(s);
      }),
      { seed: 7 },
    );
  });

  it('decoding refuses malformed PDUs with PduError', () => {
    for (const bad of ['zz', '00', '0001', '0002000B91', '0001000B911346610089F600000AE832']) expect(() => decodeSubmit(bad)).toThrow(PduError);
  });
});

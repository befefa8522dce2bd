import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charToSeptets, decodeGsm7, encodeGsm7, ESCAPE, packSeptets, unpackSeptets } from '../../src/modem/gsm7.js';

/** 3GPP TS 23.038 6.2.1, by septet value (0x1B is the escape). */
const DEFAULT_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXTENSION: Array<[number, string]> = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
];

describe('GSM-7 alphabet', () => {
  it('every character of the default table is its one septet, and back', () => {
    expect(ESCAPE).toBe(0x1b);
    for (let i = 0; i < 128; i++) {
      if (i === ESCAPE) continue;
      const ch = DEFAULT_TABLE[i]!;
      expect(charToSeptets(ch), `septet ${i}`).toEqual([i]);
      expect(decodeGsm7([i])).toBe(ch);
    }
  });

  it('the extension table: ESC and one septet, and back', () => {
    for (const [code, ch] of EXTENSION) {
      expect(charToSeptets(ch), ch).toEqual([ESCAPE, code]);
      expect(decodeGsm7([ESCAPE, code])).toBe(ch);
    }
    expect(encodeGsm7('€[')).toEqual([0x1b, 0x65, 0x1b, 0x3c]);
    expect(decodeGsm7([0x1b, 0x65, 0x1b, 0x3c])).toBe('€[');
  });

  it('what is in neither table needs UCS2', () => {
    for (const ch of ['😀', 'ж', '`', 'ç', '\t', '\u001b', 'á']) expect(charToSeptets(ch), ch).toBeNull();
    expect(encodeGsm7('ok 😀')).toBeNull();
    expect(encodeGsm7('')).toEqual([]);
  });

  it('a receiver reads an unknown extension code as a space, a lone ESC at the end as nothing, and non-septets as spaces', () => {
    expect(decodeGsm7([0x41, ESCAPE, 0x41, 0x42])).toBe('A B');
    expect(decodeGsm7([0x41, ESCAPE])).toBe('A');
    expect(decodeGsm7([0x41, 128, 0x42])).toBe('A B');
    expect(decodeGsm7([])).toBe('');
  });
});

describe('septet packing (23.038 6.1.2.1)', () => {
  it('packs the classic "hellohello" example', () => {
    expect(packSeptets(encodeGsm7('hellohello')!).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
  });

  it('fill bits shift the text past a user data header; the length rounds up to whole octets', () => {
    // One septet 0x7F after 1 fill bit: bits 1-7 of the first octet.
    expect(packSeptets([0x7f], 1).toString('hex')).toBe('fe');
    expect(packSeptets([0x7f], 2).toString('hex')).toBe('fc01');
    expect(packSeptets([0x41, 0x42], 6).toString('hex')).toBe('405008');
  });

  it('sizes: 8 septets are 7 octets; none are none', () => {
    expect(packSeptets(new Array(8).fill(0x7f))).toHaveLength(7);
    expect(packSeptets(new Array(9).fill(0))).toHaveLength(8);
    expect(packSeptets([])).toHaveLength(0);
    expect(packSeptets([], 3)).toHaveLength(1);
  });

  it('unpacks what was packed, at a fill offset, reading only `count` septets', () => {
    const packed = packSeptets([0x41, 0x42, 0x43], 3);
    expect(unpackSeptets(packed, 3, 3)).toEqual([0x41, 0x42, 0x43]);
    expect(unpackSeptets(packed, 2, 3)).toEqual([0x41, 0x42]);
    expect(unpackSeptets(Buffer.from('E8329BFD4697D9EC37', 'hex'), 10)).toEqual(encodeGsm7('hellohello'));
    // Past the end reads as zero bits.
    expect(unpackSeptets(Buffer.from([0x7f]), 2)).toEqual([0x7f, 0]);
  });

  it('septet packing round-trips at every fill offset (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 200 }), fc.integer({ min: 0, max: 6 }), (s, fill) => {
        expect(unpackSeptets(packSeptets(s, fill), s.length, fill)).toEqual(s);
      }),
      { seed: 7 },
    );
  });
});

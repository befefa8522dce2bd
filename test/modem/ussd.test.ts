import { describe, expect, it } from 'vitest';
import { packSeptets, encodeGsm7 } from '../../src/modem/gsm7.js';
import { parseCusd, UssdError } from '../../src/modem/ussd.js';

describe('USSD answers (+CUSD)', () => {
  it('text the modem already decoded (dcs 15)', () => {
    expect(parseCusd('+CUSD: 0,"Balance: 12.34 EUR",15')).toBe('Balance: 12.34 EUR');
    expect(parseCusd('+CUSD: 1,"Menu, pick 1",15')).toBe('Menu, pick 1');
  });

  it('UCS2 as UTF-16BE hex (dcs 72)', () => {
    expect(parseCusd('+CUSD: 0,"00420061006C0061006E00630065003A00200031002C0035002020AC",72')).toBe('Balance: 1,5 €');
  });

  it('packed GSM 7-bit hex (Huawei), with the CR pad removed', () => {
    const hex = packSeptets(encodeGsm7('Saldo 5 EUR')!).toString('hex').toUpperCase();
    expect(parseCusd(`+CUSD: 0,"${hex}",15`, true)).toBe('Saldo 5 EUR');
    const seven = packSeptets(encodeGsm7('1234567\r')!).toString('hex');
    expect(parseCusd(`+CUSD: 0,"${seven}",15`, true)).toBe('1234567');
  });

  it('ended sessions and garbage are clear errors', () => {
    expect(() => parseCusd('+CUSD: 4')).toThrow(/does not support/);
    expect(() => parseCusd('+CUSD: 2')).toThrow(/ended the USSD session/);
    expect(() => parseCusd('+CUSD: 9')).toThrow(/mode 9/);
    expect(() => parseCusd('nonsense')).toThrow(UssdError);
  });
});

describe('USSD answer edges', () => {
  it('hex-looking text is text unless UCS2 or packed; a 7-octet packed answer drops its padding "@"; a real "@" stays', () => {
    expect(parseCusd('+CUSD: 0,"00410042",15')).toBe('00410042');
    expect(parseCusd('+CUSD: 0,"Text"')).toBe('Text');
    expect(parseCusd('+CUSD: 0,"not hex",72')).toBe('not hex');
    expect(parseCusd('+CUSD: 0,"0041",8')).toBe('A');
    expect(parseCusd('+CUSD: 0,"0041",17')).toBe('A');
    expect(parseCusd('+CUSD: 0,"004100",72')).toBe('A');
    const seven = packSeptets(encodeGsm7('1234567')!).toString('hex');
    expect(seven.length / 2).toBe(7);
    expect(parseCusd(`+CUSD: 0,"${seven}",15`, true)).toBe('1234567');
    const at = packSeptets(encodeGsm7('ab@')!).toString('hex');
    expect(parseCusd(`+CUSD: 0,"${at}",15`, true)).toBe('ab@');
    expect(parseCusd(`+CUSD:0,"x"`)).toBe('x');
    expect(() => parseCusd('x +CUSD: 0,"y"')).toThrow('unreadable USSD answer: x +CUSD: 0,"y"');
    expect(new UssdError('e').name).toBe('UssdError');
  });
});

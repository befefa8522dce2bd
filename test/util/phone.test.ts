import { describe, expect, it } from 'vitest';
import { isPhoneRegion, PhoneNumberError, toE164 } from '../../src/util/phone.js';

const fails = (raw: string, region?: string): PhoneNumberError => {
  try {
    toE164(raw, { region });
  } catch (err) {
    if (err instanceof PhoneNumberError) return err;
    throw err;
  }
  throw new Error(`${raw} was accepted`);
};

describe('phone numbers to E.164', () => {
  it.each([
    ['+49 (0)176 12345678', undefined, '+4917612345678'],
    ['+49 (0)176 12345678', 'DE', '+4917612345678'],
    ['+49 0176 12345678', undefined, '+4917612345678'],
    ['0176-1234-5678', 'DE', '+4917612345678'],
    ['0176/1234.5678', 'DE', '+4917612345678'],
    ['4917612345678', undefined, '+4917612345678'],
    ['4917612345678', 'DE', '+4917612345678'],
    ['0049 176 12345678', undefined, '+4917612345678'],
    ['0049 176 12345678', 'DE', '+4917612345678'],
    ['011 49 176 12345678', 'US', '+4917612345678'],
    ['+44 (0)20 7946 0958', 'DE', '+442079460958'],
    // Italy keeps its leading 0 after the country code: the library knows, we do not strip it.
    ['+39 06 1234567', undefined, '+39061234567'],
    ['  +4917612345678  ', undefined, '+4917612345678'],
  ])('%s (region %s) -> %s', (raw, region, e164) => {
    expect(toE164(raw, { region })).toBe(e164);
  });

  it('digits without a prefix are national in their region unless they begin with its country code', () => {
    // 469 555 1234 is a Dallas number; read internationally it would be a possible Swedish one (+46).
    expect(toE164('4695551234', { region: 'US' })).toBe('+14695551234');
    expect(toE164('14155552671', { region: 'US' })).toBe('+14155552671');
    // Without a region there is only the international reading.
    expect(toE164('46701234567')).toBe('+46701234567');
  });

  it('falls back to the other reading when the first is not a possible number', () => {
    // As a Swiss number (+41 55552671) it is too short, so without region it is refused...
    expect(fails('4155552671').rule).toBe('length');
    // ...and with region US the national reading wins anyway.
    expect(toE164('4155552671', { region: 'US' })).toBe('+14155552671');
  });

  it('accepts unassigned and private ranges: only impossible numbers are refused', () => {
    // +49 100... is not an assigned German range (isValid() says no), but it has a possible length.
    expect(toE164('+49 100 1234567')).toBe('+491001234567');
    expect(toE164('0100 1234567', { region: 'DE' })).toBe('+491001234567');
  });

  it('national input without a region is refused, naming what to do', () => {
    const e = fails('0176 12345678');
    expect(e.rule).toBe('needs-region');
    expect(e.message).toMatch(/sms\.defaultRegion/);
    expect(e.message).toMatch(/\+49/);
  });

  it.each([
    ['abc', 'characters'],
    ['+49 176 1234567x', 'characters'],
    ['tel:+4917612345678', 'characters'],
    ['', 'characters'],
    ['+', 'characters'],
    ['()', 'characters'],
    ['1'.repeat(65), 'characters'],
    ['+999 123456', 'country-code'],
    ['+49 1', 'length'],
    ['+4917612345678901234', 'length'],
    ['+49 176 123456789012', 'length'],
  ])('refuses %j by the %s rule', (raw, rule) => {
    expect(fails(raw).rule).toBe(rule);
  });

  it('length errors name the country code; messages never carry the number', () => {
    const e = fails('+4917612345678901234');
    expect(e.message).toMatch(/\+49/);
    expect(e.message).not.toContain('17612345678');
    expect(fails('0', 'DE').message).toMatch(/too short for \+49/);
    expect(fails('+49 176 123456789012').message).toMatch(/15 digits/);
  });

  it('names each broken rule exactly', () => {
    const e = fails('+999 123456');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('PhoneNumberError');
    expect(e.message).toBe('+999... does not begin with a country calling code');
    expect(fails('+49 1').message).toBe('the number is too short');
    expect(fails('+1 23').message).toBe('the number is not a possible length for +1');
    expect(fails('0176 1234567890123', 'DE')).toMatchObject({ rule: 'length', message: 'the number is not a possible length for +49' });
    expect(fails('+4917612345678901').message).toBe('the number is too long (E.164 allows at most 15 digits)');
  });

  it('takes exactly 15 digits and exactly 64 characters, not one more', () => {
    expect(toE164('+491761234567890')).toBe('+491761234567890');
    const sixtyFour = '+49' + ' '.repeat(50) + '17612345678';
    expect(sixtyFour).toHaveLength(64);
    expect(toE164(sixtyFour)).toBe('+4917612345678');
    expect(fails('+49' + ' '.repeat(51) + '17612345678').rule).toBe('characters');
  });

  it("uses the region's own international prefix (RU: 8 10)", () => {
    expect(toE164('8 10 49 176 12345678', { region: 'RU' })).toBe('+4917612345678');
    expect(toE164('8 800 555 35 35', { region: 'RU' })).toBe('+78005553535');
  });

  it('an unknown region is ignored rather than guessed (config validation refuses it earlier)', () => {
    expect(isPhoneRegion('DE')).toBe(true);
    expect(isPhoneRegion('de')).toBe(false);
    expect(isPhoneRegion('XX')).toBe(false);
    expect(isPhoneRegion('__proto__')).toBe(false);
    expect(fails('0176 12345678', 'XX').rule).toBe('needs-region');
  });

  it('is a fixed point: E.164 in, the same E.164 out', () => {
    for (const n of ['+4917612345678', '+442079460958', '+14155552671', '+39061234567']) {
      expect(toE164(n)).toBe(n);
      expect(toE164(n, { region: 'DE' })).toBe(n);
    }
  });
});

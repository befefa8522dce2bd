import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameRecipient } from '../../src/sms/recipient.js';

describe('sameRecipient', () => {
  it.each([
    ['+4917612345678', '+4917612345678'],
    ['+4917612345678', '4917612345678'],
    ['+4917612345678', '004917612345678'],
    ['+4917612345678', '017612345678'],
    ['+4917612345678', '17612345678'],
    ['0176 1234-5678', '+49 (176) 12345678'],
  ])('%s is %s', (a, b) => {
    expect(sameRecipient(a, b)).toBe(true);
    expect(sameRecipient(b, a)).toBe(true);
  });

  it.each([
    ['+4917612345678', '+4917612345679'],
    // Same subscriber digits, different countries: both say so, so they differ.
    ['+4917612345678', '+4317612345678'],
    ['+4917612345678', '0043 17612345678'],
    // A tail too short to identify anyone.
    ['+4917612345678', '345678'],
    ['+4917612345678', ''],
    ['+4917612345678', 'Vodafone'],
    ['+4917612345678', '+49176123456789012345678'],
  ])('%s is not %s', (a, b) => {
    expect(sameRecipient(a, b)).toBe(false);
    expect(sameRecipient(b, a)).toBe(false);
  });

  it('is symmetric, and every number is itself in its international and national forms', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{1,2}$/), fc.stringMatching(/^[1-9]\d{6,10}$/), (cc, subscriber) => {
        const intl = `+${cc}${subscriber}`;
        expect(sameRecipient(intl, `00${cc}${subscriber}`)).toBe(true);
        expect(sameRecipient(intl, `0${subscriber}`)).toBe(true);
        expect(sameRecipient(`0${subscriber}`, intl)).toBe(true);
      }),
    );
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => sameRecipient(a, b) === sameRecipient(b, a)));
  });
});

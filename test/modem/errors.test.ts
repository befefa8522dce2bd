import { describe, expect, it } from 'vitest';
import { classifyCme, classifyCms, parseErrorCode, type ErrorClass } from '../../src/modem/errors.js';

const classes = (f: (n: number) => ErrorClass, codes: number[]) => new Set(codes.map(f));

describe('+CMS ERROR classes (27.005 3.2.5, 24.011 E.2, 23.040 9.2.3.22)', () => {
  it('not ready for SMS: not allowed/supported before "SMS Ready", memory full, no network, network timeout', () => {
    for (const c of [302, 303, 322, 331, 332]) expect(classifyCms(c), String(c)).toBe('not-ready');
  });

  it('temporary: network out of order, temporary failure, congestion, resources, SC busy, vendor busy codes', () => {
    for (const c of [38, 41, 42, 47, 192, 512, 513, 514, 515, 535]) expect(classifyCms(c), String(c)).toBe('temporary');
  });

  it('the modem needs attention (SIM trouble, bad index, no +CNMA pending)', () => {
    for (const c of [310, 311, 312, 313, 314, 315, 316, 317, 318, 320, 321, 340]) expect(classifyCms(c), String(c)).toBe('modem');
  });

  it('ambiguous: may have gone out', () => {
    for (const c of [111, 500]) expect(classifyCms(c), String(c)).toBe('ambiguous');
  });

  it('permanent: the number, barring, the PDU, the SMSC; and every TP-FCS 128-255 but 192', () => {
    for (const c of [1, 8, 10, 21, 27, 28, 29, 30, 50, 69, 81, 95, 96, 97, 98, 99, 127, 301, 304, 305, 330])
      expect(classifyCms(c), String(c)).toBe('permanent');
    for (let c = 128; c <= 255; c++) expect(classifyCms(c), String(c)).toBe(c === 192 ? 'temporary' : 'permanent');
  });

  it('unknown codes are temporary (the dispatcher bounds the retries)', () => {
    expect(classes(classifyCms, [0, 2, 126, 256, 300, 319, 323, 341, 501, 999, Number.NaN])).toEqual(new Set(['temporary']));
  });
});

describe('+CME ERROR classes (27.007 9.2)', () => {
  it('permanent, the modem, temporary', () => {
    for (const c of [3, 4, 50]) expect(classifyCme(c), String(c)).toBe('permanent');
    for (const c of [10, 11, 12, 13, 15, 16, 17, 18, 20, 21, 22, 23, 30, 31, 32]) expect(classifyCme(c), String(c)).toBe('modem');
    expect(classes(classifyCme, [14, 100, 0, 1, 2, 5, 19, 24, 33, 49, 51, 999, Number.NaN])).toEqual(new Set(['temporary']));
  });
});

describe('error codes from numbers or verbose texts', () => {
  it('numbers, with the white space a modem adds', () => {
    expect(parseErrorCode('42', 'CMS')).toBe(42);
    expect(parseErrorCode(' 302 ', 'CMS')).toBe(302);
    expect(parseErrorCode('0', 'CME')).toBe(0);
  });

  it('verbose texts in any case; +CME and +CMS have their own tables', () => {
    expect(parseErrorCode('Congestion', 'CMS')).toBe(42);
    expect(parseErrorCode('  SIM PIN required ', 'CME')).toBe(11);
    expect(parseErrorCode('SIM PIN required', 'CMS')).toBe(311);
    expect(parseErrorCode('operation not allowed', 'CME')).toBe(3);
    expect(parseErrorCode('operation not allowed', 'CMS')).toBe(302);
    expect(parseErrorCode('memory full', 'CMS')).toBe(322);
    expect(parseErrorCode('network time-out', 'CMS')).toBe(332);
    expect(parseErrorCode('Network timeout', 'CMS')).toBe(332);
    expect(parseErrorCode('unknown', 'CME')).toBe(100);
    expect(parseErrorCode('Unknown error', 'CMS')).toBe(500);
    expect(parseErrorCode('SM Rejected-Duplicate SM', 'CMS')).toBe(197);
  });

  it('anything else is NaN, also names of an object’s own properties', () => {
    for (const t of ['', 'x', '4 2', '-1', '1e3', 'congestion!', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(parseErrorCode(t, 'CMS'), t).toBeNaN();
      expect(parseErrorCode(t, 'CME'), t).toBeNaN();
    }
    expect(parseErrorCode('memory full', 'CME')).toBeNaN();
  });
});

import { describe, expect, it } from 'vitest';
import { parseCclk } from '../../src/modem/network-time.js';

describe('+CCLK network time (27.007 8.15)', () => {
  it('local time with the time zone in quarters of an hour, east and west', () => {
    expect(parseCclk('+CCLK: "26/11/24,15:30:00+04"')).toBe(Date.UTC(2026, 10, 24, 14, 30, 0));
    expect(parseCclk('+CCLK: "26/11/24,15:30:00-08"')).toBe(Date.UTC(2026, 10, 24, 17, 30, 0));
    expect(parseCclk('+CCLK: "26/01/01,00:10:00+22"')).toBe(Date.UTC(2025, 11, 31, 18, 40, 0));
    expect(parseCclk('+CCLK: "26/11/24,15:30:00-0"')).toBe(Date.UTC(2026, 10, 24, 15, 30, 0));
  });

  it('without a zone it is UTC; quotes and the space after the colon are optional', () => {
    expect(parseCclk('+CCLK: "26/11/24,15:30:00"')).toBe(Date.UTC(2026, 10, 24, 15, 30, 0));
    expect(parseCclk('+CCLK:26/11/24,15:30:07+00')).toBe(Date.UTC(2026, 10, 24, 15, 30, 7));
  });

  it('the boot default of a modem without network time parses too (callers judge plausibility)', () => {
    expect(parseCclk('+CCLK: "04/01/01,00:00:12+00"')).toBe(Date.UTC(2004, 0, 1, 0, 0, 12));
  });

  it('anything else is null', () => {
    for (const bad of [
      'garbage',
      '',
      '+CCLK: "26/11/24"',
      '+CCLK: "26-11-24,15:30:00"',
      '+CCLK: "2026/11/24,15:30:00"',
      'CCLK: "26/11/24,15:30:00"',
    ]) {
      expect(parseCclk(bad), bad).toBeNull();
    }
  });
});

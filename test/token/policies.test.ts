import { describe, expect, it } from 'vitest';
import { addFailure, checkFailCounter, secondsUntilCleared } from '../../src/token/policies/failcounter.js';
import { expiryOf, isLive, previousCounters, withinBlockingWindow } from '../../src/token/policies/challenge.js';
import { choosePin, pinDecision } from '../../src/token/policies/pin.js';
import { inWindow, PhoneWindow, recordSms, underLimit } from '../../src/token/policies/sms-limit.js';

describe('failcounter policy', () => {
  const s = (failCount: number, failExceededAt: number | null = null, maxFail = 3) => ({ failCount, maxFail, failExceededAt });

  it('usable below maxFail, without clearing anything', () => {
    expect(checkFailCounter(s(0), 0, 5)).toEqual({ usable: true, cleared: null });
    expect(checkFailCounter(s(2), 0, 5)).toEqual({ usable: true, cleared: null });
  });

  it('locked at maxFail; the clear timeout clears it exactly when it has passed, never with 0', () => {
    expect(checkFailCounter(s(3, 1000), 1000, 0)).toEqual({ usable: false });
    expect(checkFailCounter(s(3, 1000), 10_000_000, 0)).toEqual({ usable: false });
    expect(checkFailCounter(s(3, 1000), 1000 + 5 * 60_000 - 1, 5)).toEqual({ usable: false });
    expect(checkFailCounter(s(3, 1000), 1000 + 5 * 60_000, 5)).toEqual({ usable: true, cleared: { failCount: 0, maxFail: 3, failExceededAt: null } });
    // Locked without a timestamp (older data): stays locked.
    expect(checkFailCounter(s(3, null), 10_000_000, 5)).toEqual({ usable: false });
    expect(checkFailCounter(s(4, 0), 60_000, 1)).toEqual({ usable: true, cleared: { failCount: 0, maxFail: 3, failExceededAt: null } });
  });

  it('a failure counts up, saturates at maxFail and stamps the first time it got there', () => {
    expect(addFailure(s(0), 50)).toEqual(s(1, null));
    expect(addFailure(s(1), 50)).toEqual(s(2, null));
    expect(addFailure(s(2), 50)).toEqual(s(3, 50));
    expect(addFailure(s(3, 50), 99)).toEqual(s(3, 50));
    expect(addFailure(s(5, null), 99)).toEqual(s(3, 99));
    expect(addFailure(s(0, 7, 1), 99)).toEqual(s(1, 7, 1));
  });

  it('seconds until a lock clears itself', () => {
    expect(secondsUntilCleared(s(1), 0, 5)).toBe(0);
    expect(secondsUntilCleared(s(3, 0), 0, 0)).toBeNull();
    expect(secondsUntilCleared(s(3, null), 0, 5)).toBeNull();
    expect(secondsUntilCleared(s(3, 0), 0, 5)).toBe(300);
    expect(secondsUntilCleared(s(3, 0), 1, 5)).toBe(300);
    expect(secondsUntilCleared(s(3, 0), 1000, 5)).toBe(299);
    expect(secondsUntilCleared(s(3, 0), 400_000, 5)).toBe(0);
  });
});

describe('SMS limit policy', () => {
  const limit = { perWindow: 2, windowMs: 1000 };

  it('the window is half-open: an SMS exactly windowMs ago no longer counts', () => {
    expect(inWindow([0, 500, 999, 1000], 1000, 1000)).toEqual([500, 999, 1000]);
    expect(inWindow([1], 1000, 1000)).toEqual([1]);
    expect(inWindow([], 1000, 1000)).toEqual([]);
  });

  it('under the limit until perWindow SMS are in the window', () => {
    expect(underLimit([], 0, limit)).toBe(true);
    expect(underLimit([0], 0, limit)).toBe(true);
    expect(underLimit([0, 1], 1, limit)).toBe(false);
    expect(underLimit([0, 1], 1000, limit)).toBe(true);
    expect(underLimit([0, 1], 1001, limit)).toBe(true);
  });

  it('recording keeps only the window and at most perWindow entries, newest last', () => {
    expect(recordSms([], 5, limit)).toEqual([5]);
    expect(recordSms([0, 1], 1001, limit)).toEqual([1001]);
    expect(recordSms([600, 700], 900, limit)).toEqual([700, 900]);
    expect(recordSms([0], 999, limit)).toEqual([0, 999]);
  });

  it('per phone number, with the SMS already planned in this request counted', () => {
    const w = new PhoneWindow(limit);
    expect(w.allows('+491', 0)).toBe(true);
    expect(w.allows('+491', 0, 1)).toBe(true);
    expect(w.allows('+491', 0, 2)).toBe(false);
    w.add('+491', 0);
    expect(w.count('+491', 0)).toBe(1);
    expect(w.allows('+491', 0)).toBe(true);
    expect(w.allows('+491', 0, 1)).toBe(false);
    w.add('+491', 10);
    expect(w.allows('+491', 10)).toBe(false);
    expect(w.allows('+492', 10)).toBe(true);
    expect(w.count('+491', 1000)).toBe(1);
    expect(w.allows('+491', 1010)).toBe(true);
  });

  it('sweeps at most once per window: an entry that expired since the last sweep stays until the next', () => {
    const w = new PhoneWindow(limit);
    w.add('+1', 0);
    w.add('+2', 999);
    w.add('+3', 1001); // sweeps: +1 goes, +2 stays
    expect(w.size).toBe(2);
    w.add('+4', 2000); // +2 has expired, but the last sweep was 999 ms ago
    expect(w.size).toBe(3);
    expect(w.count('+2', 2000)).toBe(0);
    w.add('+5', 2001); // a window after the last sweep: +2 and +3 go
    expect(w.size).toBe(2);
    expect(w.count('+4', 2001)).toBe(1);
  });

  it('forgets numbers whose window is over (memory bounded by numbers in use)', () => {
    const w = new PhoneWindow(limit);
    w.add('+491', 0);
    w.add('+492', 0);
    expect(w.size).toBe(2);
    w.add('+493', 999);
    expect(w.size).toBe(3);
    w.add('+493', 2500);
    expect(w.size).toBe(1);
    expect(w.count('+493', 2500)).toBe(1);
    // A sweep keeps what is still inside the window.
    w.add('+494', 2600);
    w.add('+495', 4000);
    expect(w.size).toBe(1);
    const v = new PhoneWindow(limit);
    v.add('+1', 1000);
    v.add('+2', 1500);
    v.add('+3', 2200);
    expect(v.size).toBe(2);
    expect(v.count('+2', 2200)).toBe(1);
  });
});

describe('challenge policy', () => {
  it('live until the expiry instant, exclusive', () => {
    expect(isLive({ createdAt: 0, expiresAt: 100 }, 99)).toBe(true);
    expect(isLive({ createdAt: 0, expiresAt: 100 }, 100)).toBe(false);
    expect(isLive(null, 0)).toBe(false);
    expect(isLive(undefined, 0)).toBe(false);
  });

  it('the blocking window applies to a live challenge younger than the window', () => {
    const c = { createdAt: 1000, expiresAt: 5000 };
    expect(withinBlockingWindow(c, 1000, 60)).toBe(true);
    expect(withinBlockingWindow(c, 1059, 60)).toBe(true);
    expect(withinBlockingWindow(c, 1060, 60)).toBe(false);
    expect(withinBlockingWindow({ createdAt: 1000, expiresAt: 1010 }, 1010, 60)).toBe(false);
    expect(withinBlockingWindow(null, 0, 60)).toBe(false);
    expect(withinBlockingWindow(c, 1000, 0)).toBe(false);
  });

  it('expiry is validity seconds after now', () => {
    expect(expiryOf(1000, 300)).toBe(301_000);
  });

  it('previous counters: the newest used first, `window` of them, never below 1', () => {
    expect(previousCounters(5, 3)).toEqual([5, 4, 3]);
    expect(previousCounters(2, 10)).toEqual([2, 1]);
    expect(previousCounters(0, 10)).toEqual([]);
    expect(previousCounters(1, 1)).toEqual([1]);
    expect(previousCounters(3, 0)).toEqual([]);
  });
});

describe('PIN policy', () => {
  it('a stored PIN is verified; no PIN matches the empty PIN only when made so explicitly', () => {
    expect(pinDecision({ pinHash: 'scrypt$...' }, '')).toBe('verify');
    expect(pinDecision({ pinHash: 'scrypt$...', noPin: true }, '1234')).toBe('verify');
    expect(pinDecision({ pinHash: null, noPin: true }, '')).toBe('match');
    expect(pinDecision({ pinHash: null, noPin: true }, 'x')).toBe('no-match');
    expect(pinDecision({ pinHash: null }, '')).toBe('no-match');
    expect(pinDecision({ pinHash: null, noPin: false }, '')).toBe('no-match');
  });

  it('enrolment takes exactly one of a non-empty PIN and nopin', () => {
    expect(choosePin({ pin: '1234' })).toEqual({ pin: '1234' });
    expect(choosePin({ pin: '1234', noPin: false })).toEqual({ pin: '1234' });
    expect(choosePin({ noPin: true })).toEqual({ pin: null });
    expect(choosePin({ pin: '', noPin: true })).toEqual({ pin: null });
    expect(choosePin({ pin: '1', noPin: true })).toEqual({ error: 'Give either a PIN or nopin=1, not both.' });
    expect(choosePin({})).toEqual({ error: "Missing parameter: 'pin' (a token without a PIN needs nopin=1)." });
    expect(choosePin({ pin: '' })).toEqual({ error: "Missing parameter: 'pin' (a token without a PIN needs nopin=1)." });
  });
});

import { describe, expect, it } from 'vitest';
import { lazyModule } from '../../src/util/lazy-module.js';

describe('lazyModule', () => {
  it('loads at the first call, not at creation, and gives the same copy every time', () => {
    const missing = lazyModule('smsotpd-no-such-package');
    expect(() => missing()).toThrow(/smsotpd-no-such-package/);
    const ldap = lazyModule<typeof import('ldapts')>('ldapts');
    const first = ldap();
    expect(typeof first.Client).toBe('function');
    expect(ldap()).toBe(first);
    // Another accessor meets the same module: instanceof works across them.
    expect(lazyModule<typeof import('ldapts')>('ldapts')().ResultCodeError).toBe(first.ResultCodeError);
  });
});

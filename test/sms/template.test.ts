import { describe, expect, it } from 'vitest';
import { renderSmsText } from '../../src/sms/template.js';

describe('SMS text template', () => {
  const now = new Date(2026, 10, 24, 9, 5, 7).getTime();
  it('expands privacyIDEA tags; {user} is the given name; unknown tags vanish', () => {
    const t = renderSmsText('{otp} for {username} ({user} {surname}@{userrealm}) {serial} {date} {time} {nope}<otp>', {
      otp: '123456',
      serial: 'PISM1',
      username: 'alice',
      givenname: 'Alice',
      surname: 'Smith',
      userrealm: 'default',
      now,
    });
    expect(t).toBe('123456 for alice (Alice Smith@default) PISM1 2026-11-24 09:05:07 123456');
  });
  it('{tokentype} and {challenge}; absent values are empty', () => {
    expect(renderSmsText('{tokentype}:{challenge}:{username}:{serial}<serial>', { otp: '1', challenge: 'VPN', now })).toBe('sms:VPN::');
  });
  it('treats built-in object property names as unknown tags', () => {
    expect(renderSmsText('{constructor}{toString}{__proto__}{hasOwnProperty}{otp}', { otp: '42', now })).toBe('42');
  });
  it('leaves stray braces alone instead of failing the login', () => {
    expect(renderSmsText('{ {otp} }', { otp: '1', now })).toBe('{ 1 }');
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhone } from '../../src/util/logger.js';

describe('logs never carry secrets', () => {
  it('redacts PIN, OTP, pass, passwords, keys and texts at any depth', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ pin: '1234', pass: '1234567890', otp: '567890', req: { password: 'hunter22', text: 'Your code 567890' }, cfg: { x: { PASSWORD: 'p4ss' } }, simPin: '0000' }, 'event');
    const out = lines.join('');
    for (const secret of ['1234', '567890', 'hunter22', 'p4ss', '"0000"']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });
  it('masks phone numbers, keeping the country code and last two digits', () => {
    expect(maskPhone('+4917612345678')).toBe('+49*********78');
    expect(maskPhone('017612345678')).toBe('01********78');
    expect(maskPhone('123')).toBe('***');
  });
});

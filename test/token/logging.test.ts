import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhone, scrubDigits } from '../../src/util/logger.js';

describe('logs never carry secrets', () => {
  it('redacts PIN, OTP, pass, passwords, keys and texts at any depth', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info(
      {
        pin: '1234',
        pass: '1234567890',
        otp: '567890',
        req: { password: 'hunter22', text: 'Your code 567890' },
        cfg: { x: { PASSWORD: 'p4ss' } },
        simPin: '0000',
      },
      'event',
    );
    const out = lines.join('');
    for (const secret of ['1234', '567890', 'hunter22', 'p4ss', '"0000"']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });
  it('masks phone numbers, keeping the country code and last two digits', () => {
    expect(maskPhone('+4917612345678')).toBe('+49*********78');
    expect(maskPhone('017612345678')).toBe('01********78');
    expect(maskPhone('123')).toBe('***');
  });
  it('scrubs OTP-length digit runs and masks phone numbers in text from outside', () => {
    expect(scrubDigits('REJECTED: Your code 123456 to +4917612345678 (id 42)')).toBe('REJECTED: Your code ****** to +49*********78 (id 42)');
    expect(scrubDigits('550 <4917612345678@sms.example.org> unknown')).toBe('550 <49*********78@sms.example.org> unknown');
  });
});

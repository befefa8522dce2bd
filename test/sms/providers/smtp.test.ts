import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { smtpProviderSchema } from '../../../src/config/schema.js';
import type { OutgoingSms } from '../../../src/sms/provider.js';
import { createSmtpProvider } from '../../../src/sms/providers/smtp.js';
import { silentLogger } from '../../../src/util/logger.js';

let cert: { key: Buffer; cert: Buffer };
const servers: SMTPServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

beforeAll(() => {
  // A committed self-signed localhost certificate: npm test needs no openssl binary.
  const dir = path.join(import.meta.dirname, '../../fixtures/tls');
  cert = { key: readFileSync(path.join(dir, 'localhost.key')), cert: readFileSync(path.join(dir, 'localhost.crt')) };
});

interface Mail {
  from: string;
  to: string[];
  data: string;
  user?: string;
}

async function smtp(opts: Partial<SMTPServerOptions>): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    disabledCommands: [],
    ...cert,
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (c) => (data += c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
    ...opts,
  });
  // A refused TLS handshake (the CHECK_SSL test) surfaces as a server error: expected here.
  server.on('error', () => {});
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as AddressInfo).port, mails };
}

const msg: OutgoingSms = {
  id: 'x',
  to: '+4917612345678',
  text: 'Your code 123456',
  expiresAt: Date.now() + 60_000,
  attempt: 1,
  resend: false,
  progress: {},
};
const ctx = { signal: new AbortController().signal, checkpoint: async () => {} };
const make = (cfg: Record<string, unknown>) =>
  createSmtpProvider(
    smtpProviderSchema.parse({
      id: 'mail',
      type: 'smtp',
      MAILSERVER: '127.0.0.1',
      MAILSENDER: 'otp@example.org',
      MAILTO: '{phone}@sms.example.org',
      CHECK_SSL: 'no',
      TIMEOUT: 3,
      ...cfg,
    }),
    { logger: silentLogger },
  );

describe('SMTP provider (privacyIDEA SmtpSMSProvider semantics)', () => {
  it('builds recipient, subject and body from the number and the text', async () => {
    const s = await smtp({});
    await make({ PORT: s.port, SUBJECT: 'SMS to <phone>', BODY: '{otp}' }).send(msg, ctx);
    expect(s.mails[0]!.to).toEqual(['+4917612345678@sms.example.org']);
    expect(s.mails[0]!.from).toBe('otp@example.org');
    expect(s.mails[0]!.data).toMatch(/Subject: SMS to \+4917612345678/);
    expect(s.mails[0]!.data).toMatch(/\r\n\r\nYour code 123456/);
  });

  it('AUTH with STARTTLS required; wrong credentials are a clear permanent failure', async () => {
    const s = await smtp({
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'otp' && auth.password === 'pw') return cb(null, { user: 'otp' });
        cb(new Error('Invalid username or password'));
      },
    });
    await make({ PORT: s.port, STARTTLS: true, MAILUSER: 'otp', MAILPASSWORD: 'pw' }).send(msg, ctx);
    expect(s.mails[0]!.user).toBe('otp');
    const bad = await make({ PORT: s.port, STARTTLS: true, MAILUSER: 'otp', MAILPASSWORD: 'nope' })
      .send(msg, ctx)
      .catch((e) => e);
    expect(bad).toMatchObject({ kind: 'permanent', code: 'EAUTH' });
    expect(bad.message).toMatch(/authentication failed/);
  });

  it('implicit TLS; a self-signed certificate is refused unless CHECK_SSL is no', async () => {
    const s = await smtp({ secure: true });
    await make({ PORT: s.port, TLS: true }).send(msg, ctx);
    expect(s.mails).toHaveLength(1);
    const strict = await make({ PORT: s.port, TLS: true, CHECK_SSL: 'yes' })
      .send(msg, ctx)
      .catch((e) => e);
    expect(['permanent', 'unavailable']).toContain(strict.kind);
    expect(s.mails).toHaveLength(1);
  });

  it('a rejected recipient is permanent; a deferral (4xx) is temporary; no server is unavailable', async () => {
    const s = await smtp({
      onRcptTo(addr, _session, cb) {
        if (addr.address.startsWith('+4999')) return cb(Object.assign(new Error('No such user'), { responseCode: 550 }));
        if (addr.address.startsWith('+4988')) return cb(Object.assign(new Error('Try later'), { responseCode: 451 }));
        cb();
      },
    });
    const r1 = await make({ PORT: s.port })
      .send({ ...msg, to: '+49991234' }, ctx)
      .catch((e) => e);
    expect(r1.kind).toBe('permanent');
    const r2 = await make({ PORT: s.port })
      .send({ ...msg, to: '+49881234' }, ctx)
      .catch((e) => e);
    expect(r2.kind).toBe('temporary');
    const r3 = await make({ PORT: 1 })
      .send(msg, ctx)
      .catch((e) => e);
    expect(r3.kind).toBe('unavailable');
  });
});

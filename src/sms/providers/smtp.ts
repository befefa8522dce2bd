import nodemailer from 'nodemailer';
import type { SmtpProviderConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { SendFailure, type OutgoingSms, type SendContext, type SendOk, type SmsProvider } from '../provider.js';
import { gatewayProvider } from './gateway.js';
import { ProviderCounters } from './counters.js';
import { compilePhoneRewrite } from './phone-rewrite.js';

/** privacyIDEA's tags: `{otp}`/`{phone}` (new style) and `<otp>`/`<phone>` (legacy). {otp} is the whole text. */
function fill(template: string, phone: string, text: string): string {
  return template.split('{phone}').join(phone).split('<phone>').join(phone).split('{otp}').join(text).split('<otp>').join(text);
}

/**
 * privacyIDEA's SMTP SMS provider: a mail to an e-mail-to-SMS gateway, recipient built from the
 * number. Plain, STARTTLS (required when STARTTLS is set) or implicit TLS; SMTP AUTH.
 */
export function createSmtpProvider(cfg: SmtpProviderConfig, deps: { logger: Logger; clock?: Clock | undefined }): SmsProvider {
  const clock = deps.clock ?? systemClock;
  const rewrite = compilePhoneRewrite(cfg.REGEXP);
  const verify = cfg.CHECK_SSL === true || cfg.CHECK_SSL === 'yes';
  const timeoutMs = cfg.TIMEOUT * 1000;
  const transport = nodemailer.createTransport({
    host: cfg.MAILSERVER,
    port: cfg.PORT ?? (cfg.TLS ? 465 : 25),
    secure: cfg.TLS,
    requireTLS: cfg.STARTTLS,
    auth: cfg.MAILUSER ? { user: cfg.MAILUSER, pass: cfg.MAILPASSWORD ?? '' } : undefined,
    tls: { rejectUnauthorized: verify },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const counters = new ProviderCounters();

  return gatewayProvider({
    id: cfg.id,
    type: 'smtp',
    detail: () => ({ server: cfg.MAILSERVER, ...counters.view() }),
    close: () => transport.close(),
    async send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
      const phone = rewrite(msg.to);
      const t0 = clock.now();
      if (ctx.signal.aborted) throw new SendFailure('temporary', 'cancelled', 'aborted');
      try {
        const info = await transport.sendMail({
          from: cfg.MAILSENDER,
          to: fill(cfg.MAILTO, phone, msg.text),
          subject: fill(cfg.SUBJECT, phone, msg.text),
          text: fill(cfg.BODY, phone, msg.text),
        });
        counters.latency(clock.now() - t0);
        if (info.rejected.length) throw new SendFailure('permanent', `the SMTP server rejected the recipient`, 'rejected');
        counters.ok();
        return { ok: true, ref: info.messageId };
      } catch (err) {
        if (err instanceof SendFailure) throw counters.fail(err);
        const e = err as Error & { code?: string; responseCode?: number };
        if (e.code === 'EAUTH') throw counters.fail(new SendFailure('permanent', 'SMTP authentication failed: check MAILUSER/MAILPASSWORD', 'EAUTH'));
        // The reply code decides: 5xx refused for good, 4xx deferred (try again later).
        if (e.responseCode && e.responseCode >= 500) {
          throw counters.fail(
            new SendFailure('permanent', `the SMTP server refused the mail: ${e.responseCode} ${firstLine(e.message)}`, `SMTP ${e.responseCode}`),
          );
        }
        if (e.responseCode && e.responseCode >= 400)
          throw counters.fail(
            new SendFailure('temporary', `the SMTP server deferred the mail: ${e.responseCode} ${firstLine(e.message)}`, `SMTP ${e.responseCode}`),
          );
        if (e.code === 'EENVELOPE')
          throw counters.fail(new SendFailure('permanent', `the SMTP server refused the envelope: ${firstLine(e.message)}`, 'EENVELOPE'));
        if (e.code === 'ETLS')
          throw counters.fail(
            new SendFailure(
              'permanent',
              `TLS with ${cfg.MAILSERVER} failed: ${firstLine(e.message)} (CHECK_SSL no accepts self-signed certificates)`,
              'ETLS',
            ),
          );
        // Connection trouble before DATA was accepted: nothing was delivered.
        throw counters.fail(
          new SendFailure('unavailable', `cannot reach ${cfg.MAILSERVER}: ${e.code ?? ''} ${firstLine(e.message)}`, e.code ?? 'connect'),
        );
      }
    },
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}

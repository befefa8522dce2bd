import { Hono } from 'hono';
import { notFoundError, parameterError, policyError, queueFull } from '../../token/errors.js';
import { normalisePhone } from '../../token/users.js';
import { MAX_TEXT_CHARS } from '../../sms/outbox.js';
import { countSmsParts, MAX_SMS_PARTS } from '../../sms/parts.js';
import { maskPhone } from '../../util/logger.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { int, readParams, req } from '../params.js';
import { messageView } from '../views/message.js';

const INBOX_PAGE_MAX = 500;

/** The gateway role: privacyIDEA (or anything else) hands us SMS to deliver through our modems. */
export function smsRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.post('/send', async (c) => {
    const p = await readParams(c);
    const to = normalisePhone(req(p, 'phone'), 'phone', deps.config.sms.defaultRegion);
    const text = req(p, 'text');
    if (text.length === 0) throw parameterError("ERR905: Parameter 'text' is empty.");
    if (text.length > MAX_TEXT_CHARS) throw parameterError(`ERR905: Parameter 'text' is too long (at most ${MAX_TEXT_CHARS} characters).`);
    // Limited by what goes on the air: 1,530 GSM-7 characters are 10 parts, UCS-2 ones 23.
    const { parts, encoding } = countSmsParts(text);
    if (parts > MAX_SMS_PARTS) {
      throw parameterError(
        `Parameter 'text' needs ${parts} SMS parts in ${encoding === 'gsm7' ? 'GSM-7' : 'UCS-2'} (at most ${MAX_SMS_PARTS}: ${encoding === 'gsm7' ? '1,530' : '670'} characters).`,
      );
    }
    // Validity defaults to the OTP validity: a gateway message is usually an OTP from privacyIDEA.
    const validity = int(p, 'validity', deps.config.token.challengeValidity, 10, 7 * 86_400);
    if (deps.dispatcher.isFull()) throw queueFull(`ERR-503: The SMS queue is full (${deps.config.sms.maxQueued} messages waiting); retry later.`);
    const [record] = await deps.enqueue([{ to, text, expiresAt: deps.clock.now() + validity * 1000, origin: 'api' }]);
    if (!record) throw new Error('enqueue returned no record');
    const id = c.get('identity');
    deps.audit.write({
      administrator: id.username,
      action: 'POST /sms/send',
      client: c.get('client'),
      message: record.id,
      result: true,
      reason: `to ${maskPhone(to)}`,
    });
    return ok(c, { id: record.id, state: record.state }, { detail: { message: 'SMS queued' } });
  });

  // Admin only: an API key for the gateway role may send, not read what others text the appliance.
  app.get('/inbox', async (c) => {
    if (c.get('identity').role !== 'admin') throw policyError('ERR303: The inbox needs an admin (JWT or the local CLI); API keys may only send.');
    const p = await readParams(c);
    const page = deps.inbox.list(int(p, 'page', 1, 1, 1_000_000), int(p, 'pagesize', 50, 1, INBOX_PAGE_MAX));
    return ok(c, page);
  });

  app.get('/:id', (c) => {
    const r = deps.outbox.message(c.req.param('id'));
    if (!r) throw notFoundError('ERR601: No such message (final messages are kept sms.keepFinalHours hours, at most sms.keepFinalMax of them).');
    return ok(c, messageView(r));
  });

  return app;
}

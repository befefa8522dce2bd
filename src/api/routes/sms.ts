import { Hono } from 'hono';
import { notFoundError, parameterError, queueFull } from '../../token/errors.js';
import { normalisePhone } from '../../token/users.js';
import { buildQueuedMessage, MAX_TEXT_CHARS, publicMessageView } from '../../sms/outbox.js';
import { maskPhone } from '../../util/logger.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { int, readParams, req } from '../params.js';

/** The gateway role: privacyIDEA (or anything else) hands us SMS to deliver through our modems. */
export function smsRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.post('/send', async (c) => {
    const p = await readParams(c);
    const to = normalisePhone(req(p, 'phone'), 'phone', deps.config.sms.defaultRegion);
    const text = req(p, 'text');
    if (text.length === 0) throw parameterError("ERR905: Parameter 'text' is empty.");
    if (text.length > MAX_TEXT_CHARS) throw parameterError(`ERR905: Parameter 'text' is too long (at most ${MAX_TEXT_CHARS} characters).`);
    // Validity defaults to the OTP validity: a gateway message is usually an OTP from privacyIDEA.
    const validity = int(p, 'validity', deps.config.token.challengeValidity, 10, 7 * 86_400);
    if (deps.dispatcher.isFull()) throw queueFull(`ERR-503: The SMS queue is full (${deps.config.sms.maxQueued} messages waiting); retry later.`);
    const now = deps.clock.now();
    const { record, change } = buildQueuedMessage({ to, text, expiresAt: now + validity * 1000, origin: 'api' }, now, (s) => deps.secrets.encrypt(s));
    await deps.store.commit([change]);
    deps.dispatcher.enqueued(record.id);
    const id = c.get('identity');
    deps.audit.write({ administrator: id.username, action: 'POST /sms/send', client: c.get('client'), message: record.id, result: true, reason: `to ${maskPhone(to)}` });
    return ok(c, { id: record.id, state: record.state }, { detail: { message: 'SMS queued' } });
  });

  app.get('/:id', (c) => {
    const r = deps.store.get('outbox', c.req.param('id'));
    if (!r) throw notFoundError('ERR601: No such message (final messages are kept sms.keepFinalHours hours, at most sms.keepFinalMax of them).');
    return ok(c, publicMessageView(r));
  });

  return app;
}

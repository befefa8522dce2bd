import { Hono } from 'hono';
import { notFoundError, parameterError, PiError } from '../../token/errors.js';
import { UssdError, USSD_TIMEOUT_DEFAULT_MS } from '../../sms/ussd.js';
import { scrubDigits } from '../../util/logger.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { int, readParams, req } from '../params.js';

/** What each USSD failure is over HTTP: the CLI prints the message as it is. */
function httpError(e: UssdError): PiError {
  switch (e.kind) {
    case 'invalid':
      return parameterError(`ERR905: ${e.message}`);
    case 'unknown-modem':
      return notFoundError(`ERR601: ${e.message}`);
    case 'unsupported':
      return parameterError(`ERR905: ${e.message}`);
    case 'timeout':
      return new PiError(-504, e.message, 'upstreamTimeout');
    case 'failed':
      return new PiError(-502, e.message, 'upstreamFailed');
  }
}

/** Modem tools (admin JWT or the local CLI): USSD, e.g. the balance. */
export function modemRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.post('/:id/ussd', async (c) => {
    const p = await readParams(c);
    const modem = c.req.param('id');
    const code = req(p, 'code');
    // Below the CLI's 30 s socket timeout, so the CLI gets this answer, not its own.
    const timeoutMs = int(p, 'timeout', USSD_TIMEOUT_DEFAULT_MS / 1000, 1, 25) * 1000;
    // A top-up code can carry a voucher number: the audit log keeps only its shape.
    const audit = {
      administrator: c.get('identity').username,
      action: 'POST /modem/<id>/ussd',
      client: c.get('client'),
      modem: modem.slice(0, 64),
      reason: `code ${scrubDigits(code.slice(0, 40))}`,
    };
    try {
      const r = await deps.ussd.run(modem, code, { timeoutMs, signal: c.req.raw.signal });
      deps.audit.write({ ...audit, result: true });
      return ok(c, r);
    } catch (err) {
      if (!(err instanceof UssdError)) throw err;
      deps.audit.write({ ...audit, result: false, reason: `${audit.reason}: ${err.message}` });
      throw httpError(err);
    }
  });

  return app;
}

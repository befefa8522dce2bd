import { Hono } from 'hono';
import { parameterError } from '../../token/errors.js';
import { requireAdmin } from '../auth.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { flag, opt, readParams, type Params } from '../params.js';
import type { CheckOutcome } from '../../token/validate.js';
import { checkDetail, triggerDetail } from '../views/validate.js';

/** `state` is the FreeRADIUS plugin's name for `transaction_id`; both at once must agree. */
function transactionId(p: Params): string | undefined {
  const tid = opt(p, 'transaction_id');
  const state = opt(p, 'state');
  if (tid !== undefined && state !== undefined && tid !== state) {
    throw parameterError("'transaction_id' and 'state' differ; send one of them.");
  }
  const v = tid ?? state;
  // An empty transaction_id is what some clients send on the first leg: treat it as absent.
  return v === '' ? undefined : v;
}

export function validateRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  const audit = (client: string, action: string, out: CheckOutcome) =>
    deps.audit.write({
      action,
      client,
      user: out.audit.user,
      realm: out.audit.realm,
      serial: out.audit.serials.join(','),
      result: out.value,
      authentication: out.authentication,
      reason: out.audit.reason,
    });

  const check = async (c: import('hono').Context<AppEnv>, action: string) => {
    const client = c.get('client');
    const p = await readParams(c);
    const out = await deps.validator.check({
      user: opt(p, 'user'),
      realm: opt(p, 'realm') || undefined,
      serial: opt(p, 'serial'),
      pass: opt(p, 'pass') ?? '',
      transactionId: transactionId(p),
      exception: flag(p, 'exception'),
      challenge: opt(p, 'challenge'),
    });
    audit(client, action, out);
    c.set('result', out.authentication);
    return out;
  };

  app.on(['GET', 'POST'], '/check', async (c) => {
    const out = await check(c, `${c.req.method} /validate/check`);
    return ok(c, out.value, { id: 2, authentication: out.authentication, detail: checkDetail(out) });
  });

  app.on(['GET', 'POST'], '/radiuscheck', async (c) => {
    const out = await check(c, `${c.req.method} /validate/radiuscheck`);
    return c.body(null, out.value ? 204 : 400);
  });

  /**
   * privacyIDEA's poll for out-of-band (push) tokens. An SMS challenge is answered through
   * /validate/check, which removes it, so a poll never finds one answered: `false`, "pending",
   * exactly what privacyIDEA answers for SMS tokens and for unknown transaction ids.
   */
  const poll = async (c: import('hono').Context<AppEnv>) => {
    const p = await readParams(c);
    const tid = c.req.param('transaction_id') ?? opt(p, 'transaction_id');
    if (!tid) throw parameterError("Missing parameter: 'transaction_id'");
    if (!/^\d{1,64}$/.test(tid)) throw parameterError("Parameter 'transaction_id' must be digits.");
    deps.audit.write({ action: 'GET /validate/polltransaction', client: c.get('client'), result: false, reason: 'status: pending' });
    return ok(c, false, { id: 2, authentication: 'REJECT', detail: { challenge_status: 'pending' } });
  };
  app.get('/polltransaction', poll);
  app.get('/polltransaction/:transaction_id', poll);

  app.on(['GET', 'POST'], '/triggerchallenge', requireAdmin(deps), async (c) => {
    const p = await readParams(c);
    const out = await deps.validator.trigger({
      user: opt(p, 'user'),
      realm: opt(p, 'realm') || undefined,
      serial: opt(p, 'serial'),
      exception: flag(p, 'exception'),
      challenge: opt(p, 'challenge'),
    });
    deps.audit.write({
      administrator: c.get('identity').username,
      action: 'POST /validate/triggerchallenge',
      client: c.get('client'),
      user: out.audit.user,
      realm: out.audit.realm,
      serial: out.audit.serials.join(','),
      result: out.count > 0,
      reason: out.audit.reason,
    });
    return ok(c, out.count, { id: 2, authentication: out.authentication, detail: triggerDetail(out) });
  });

  return app;
}

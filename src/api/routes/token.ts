import { Hono, type Context } from 'hono';
import { parameterError } from '../../token/errors.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { flag, int, opt, readParams, type Params } from '../params.js';
import { initDetail, tokenPageView } from '../views/token.js';

export function tokenRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });
  const audit = (c: Context<AppEnv>, action: string, serial: string | undefined, result: boolean, extra: Record<string, unknown> = {}) =>
    deps.audit.write({ administrator: c.get('identity').username, action, client: c.get('client'), serial, result, ...extra });

  app.post('/init', async (c) => {
    const p = await readParams(c);
    const otplen = opt(p, 'otplen');
    const t = await deps.tokenAdmin.init({
      type: opt(p, 'type'),
      serial: opt(p, 'serial'),
      user: opt(p, 'user'),
      realm: opt(p, 'realm') || undefined,
      phone: opt(p, 'phone'),
      dynamicPhone: flag(p, 'dynamic_phone'),
      pin: opt(p, 'pin'),
      noPin: flag(p, 'nopin'),
      otplen: otplen === undefined ? undefined : int(p, 'otplen', 6, 6, 8),
      hashlib: opt(p, 'hashlib'),
      description: opt(p, 'description'),
      genkey: flag(p, 'genkey'),
      otpkey: opt(p, 'otpkey'),
    });
    audit(c, 'POST /token/init', t.serial, true, { user: t.user ?? undefined, realm: t.realm ?? undefined });
    return ok(c, true, { detail: initDetail(t) });
  });

  app.get('/', async (c) => {
    const p = await readParams(c);
    const active = opt(p, 'active');
    const page = await deps.tokenAdmin.list({
      serial: opt(p, 'serial'),
      user: opt(p, 'user'),
      realm: opt(p, 'realm') || undefined,
      type: opt(p, 'type'),
      active: active === undefined ? undefined : flag(p, 'active'),
      page: int(p, 'page', 1, 1, 1_000_000),
      pagesize: int(p, 'pagesize', 15, 1, 1000),
    });
    return ok(c, tokenPageView(page));
  });

  app.delete('/:serial', async (c) => {
    const serial = c.req.param('serial');
    const n = await deps.tokenAdmin.remove(serial);
    audit(c, 'DELETE /token', serial, n > 0);
    return ok(c, n);
  });

  /** privacyIDEA takes the serial from the path or the `serial` parameter. */
  const serialOf = (c: Context<AppEnv>, p: Params) => {
    const fromPath = c.req.param('serial');
    const fromParam = opt(p, 'serial');
    if (fromPath && fromParam && fromPath !== fromParam) throw parameterError('serial in path and parameter differ.');
    const s = fromPath ?? fromParam;
    if (!s) throw parameterError("Missing parameter: 'serial'");
    return s;
  };

  for (const [path, fn] of [
    ['enable', (s: string) => deps.tokenAdmin.setActive(s, true)],
    ['disable', (s: string) => deps.tokenAdmin.setActive(s, false)],
    ['reset', (s: string) => deps.tokenAdmin.resetFailcount(s)],
  ] as const) {
    const handler = async (c: Context<AppEnv>) => {
      const p = await readParams(c);
      const serial = serialOf(c, p);
      const value = await fn(serial);
      audit(c, `POST /token/${path}`, serial, true);
      return ok(c, value);
    };
    app.post(`/${path}`, handler);
    app.post(`/${path}/:serial`, handler);
  }

  const setpin = async (c: Context<AppEnv>) => {
    const p = await readParams(c);
    const serial = serialOf(c, p);
    const n = await deps.tokenAdmin.setPin(serial, opt(p, 'otppin'), flag(p, 'nopin'));
    audit(c, 'POST /token/setpin', serial, true);
    return ok(c, n);
  };
  app.post('/setpin', setpin);
  app.post('/setpin/:serial', setpin);

  return app;
}

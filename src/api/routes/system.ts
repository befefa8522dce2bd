import { Hono } from 'hono';
import { authError, parameterError } from '../../token/errors.js';
import { issueJwt, requireAdmin } from '../auth.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { opt, readParams, req } from '../params.js';
import { maskPhone } from '../../util/logger.js';
import type { AdjustableClock } from '../../util/clock.js';

/** Which time source the daemon uses (see time-keeper.ts); plain system time in the CLI and tests. */
function clockView(deps: AppDeps) {
  const c = deps.clock as Partial<AdjustableClock>;
  return {
    now: new Date(deps.clock.now()).toISOString(),
    source: c.source ?? 'system',
    offsetSeconds: Math.round((c.offsetMs ?? 0) / 1000),
    checked: c.checkedAt ? new Date(c.checkedAt).toISOString() : null,
  };
}

/** The newest outbox records for the status page: masked numbers, never texts. */
function recentMessages(deps: AppDeps, n: number) {
  return deps.outbox.newest(n).map((r) => ({
    id: r.id,
    to: maskPhone(r.to),
    state: r.state,
    provider: r.provider,
    attempts: r.attempts,
    duplicates: r.duplicates,
    created: r.createdAt / 1000,
    sent: r.sentAt === null ? null : r.sentAt / 1000,
    error: r.lastError,
    origin: r.origin,
  }));
}

export function authRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });
  app.post('/', async (c) => {
    const p = await readParams(c);
    let username = req(p, 'username');
    const password = req(p, 'password');
    // privacyIDEA accepts admin@realm; admins here have no realm.
    if (opt(p, 'realm') === undefined && username.includes('@')) username = username.slice(0, username.lastIndexOf('@'));
    if (!(await deps.accounts.verifyAdmin(username, password))) {
      deps.audit.write({ action: 'POST /auth', client: c.get('client'), administrator: username, result: false, reason: 'wrong credentials' });
      throw authError();
    }
    const token = await issueJwt(deps, username);
    deps.audit.write({ action: 'POST /auth', client: c.get('client'), administrator: username, result: true });
    return ok(
      c,
      { token, role: 'admin', username, realm: '', log_level: 20, rights: [], menus: ['tokens', 'users'], auth: true },
      { id: 2, authentication: 'ACCEPT' },
    );
  });
  return app;
}

/** Own additions: health, status, and the admin/API-key management the CLI uses. */
export function systemRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.get('/healthz', (c) => (deps.ready() ? c.json({ status: 'ok' }, 200) : c.json({ status: 'starting' }, 503)));

  app.get('/status', requireAdmin(deps), (c) => {
    const d = deps.dispatcher.status();
    return ok(c, {
      uptime: Math.round((deps.clock.now() - deps.startedAt) / 1000),
      ready: deps.ready(),
      queue: d.queue,
      sms: d.counters,
      providers: d.providers,
      tokens: deps.tokenAdmin.count(),
      users: deps.users.count(),
      store: deps.storeStats(),
      clock: clockView(deps),
      signalHistory: deps.signals.get(),
      recent: recentMessages(deps, 20),
      tls: deps.tls?.() ?? null,
      // Health only: BINDPW and the rest of the resolver config never leave the process.
      directory: deps.directory.health(),
    });
  });

  /** A consistent snapshot: the state is serialised in one synchronous step, so no write interleaves. */
  app.get('/backup', requireAdmin(deps), (c) => {
    const body = deps.backup();
    deps.audit.write({ action: 'GET /backup', administrator: c.get('identity').username, client: c.get('client'), result: true });
    return ok(c, body);
  });

  app.post('/admin', requireAdmin(deps), async (c) => {
    const p = await readParams(c);
    const r = await deps.accounts.addAdmin(req(p, 'username'), req(p, 'password'));
    deps.audit.write({
      action: 'POST /admin/',
      administrator: c.get('identity').username,
      client: c.get('client'),
      user: req(p, 'username'),
      result: true,
      reason: r.created ? 'created' : 'password changed',
    });
    return ok(c, r.created);
  });
  app.get('/admin', requireAdmin(deps), (c) => ok(c, deps.accounts.listAdmins()));
  app.delete('/admin/:name', requireAdmin(deps), async (c) => {
    const name = c.req.param('name');
    if (c.get('identity').username === name) throw parameterError('You cannot delete the admin you are logged in as.');
    return ok(c, await deps.accounts.removeAdmin(name));
  });

  app.post('/apikey', requireAdmin(deps), async (c) => {
    const p = await readParams(c);
    const name = req(p, 'name');
    const secret = await deps.accounts.addApiKey(name);
    deps.audit.write({
      action: 'POST /apikey/',
      administrator: c.get('identity').username,
      client: c.get('client'),
      reason: `api key ${name} created`,
      result: true,
    });
    return ok(c, { name, key: `${name}:${secret}` }, { detail: { message: 'Store this key now: it cannot be shown again.' } });
  });
  app.get('/apikey', requireAdmin(deps), (c) => ok(c, deps.accounts.listApiKeys()));
  app.delete('/apikey/:name', requireAdmin(deps), async (c) => ok(c, await deps.accounts.removeApiKey(c.req.param('name'))));

  return app;
}

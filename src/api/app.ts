import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PiError, internalError } from '../token/errors.js';
import { DirectoryError } from '../directory/errors.js';
import { requireAdmin, requireGateway } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { errorBody, fail } from './envelope.js';
import { authRoutes, systemRoutes } from './routes/system.js';
import { smsRoutes } from './routes/sms.js';
import { tokenRoutes } from './routes/token.js';
import { userRoutes } from './routes/user.js';
import { directoryRoutes } from './routes/directory.js';
import { validateRoutes } from './routes/validate.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

const IMPORT_BODY_BYTES = 16 * 1024 * 1024;

/** The client address: the socket peer, or X-Forwarded-For's last hop when the peer is a trusted proxy. */
function clientAddress(c: import('hono').Context<AppEnv>, trusted: string[]): string {
  if (c.env?.local) return 'local';
  const peer = c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
  if (trusted.includes(peer)) {
    const fwd = c.req.header('X-Forwarded-For')?.split(',').map((s) => s.trim()).filter(Boolean);
    if (fwd?.length) return fwd[fwd.length - 1]!.slice(0, 64);
  }
  return peer;
}

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.use('*', async (c, next) => {
    c.set('client', clientAddress(c, deps.config.trustedProxies));
    c.set('bodyLimit', deps.config.limits.bodyBytes);
    await next();
    // routePath is the matched pattern (`/token/:serial`), so serials never become label values.
    const endpoint = c.res.status === 404 && c.req.routePath === '*' ? 'unknown' : c.req.routePath;
    deps.metrics.request(`${c.req.method} ${endpoint}`, c.get('result') ?? String(c.res.status));
  });
  const tooLarge = (max: number) => (c: import('hono').Context) =>
    c.json(errorBody(new PiError(905, `ERR905: Request body too large (at most ${max} bytes).`, 413)), 413);
  app.use('/user/import', bodyLimit({ maxSize: IMPORT_BODY_BYTES, onError: tooLarge(IMPORT_BODY_BYTES) }));

  app.route('/validate', validateRoutes(deps));
  app.route('/auth', authRoutes(deps));
  app.use('/token/*', requireAdmin(deps));
  app.route('/token', tokenRoutes(deps));
  app.use('/user/*', requireAdmin(deps));
  app.route('/user', userRoutes(deps));
  app.use('/directory/*', requireAdmin(deps));
  app.route('/directory', directoryRoutes(deps));
  app.use('/sms/*', requireGateway(deps));
  app.route('/sms', smsRoutes(deps));
  app.route('/', systemRoutes(deps));
  app.get('/', (c) => {
    c.header('Content-Security-Policy', STATUS_PAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    return c.html(STATUS_PAGE_HTML);
  });
  app.get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  app.notFound((c) => fail(c, new PiError(601, `ERR601: No such endpoint: ${c.req.method} ${c.req.path}`, 404)));
  app.onError((err, c) => {
    if (err instanceof PiError) return fail(c, err);
    if (err instanceof DirectoryError) return fail(c, new PiError(err.code, err.message, err.httpStatus));
    deps.logger.error({ err, path: c.req.path }, 'request failed');
    return fail(c, internalError('ERR-500: Internal error; see the server log.'));
  });
  return app;
}

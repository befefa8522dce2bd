import { Hono } from 'hono';
import { PiError, internalError } from '../token/errors.js';
import { DirectoryError } from '../directory/errors.js';
import { requireAdmin, requireGateway } from './auth.js';
import { routeLabel } from './metrics.js';
import type { AppDeps, AppEnv } from './context.js';
import { fail } from './envelope.js';
import { loginThrottles } from './login-throttle.js';
import { clientAddress } from './middleware/client-address.js';
import { rateLimit } from './middleware/rate-limit.js';
import { securityHeaders } from './middleware/security-headers.js';
import { authRoutes, systemRoutes } from './routes/system.js';
import { smsRoutes } from './routes/sms.js';
import { modemRoutes } from './routes/modem.js';
import { tokenRoutes } from './routes/token.js';
import { IMPORT_MAX_BYTES, userRoutes } from './routes/user.js';
import { directoryRoutes } from './routes/directory.js';
import { validateRoutes } from './routes/validate.js';
import { CSP as CONSOLE_CSP, consoleRoutes } from './console/index.js';

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.use(
    '*',
    clientAddress({
      isLocal: (c) => !!(c.env as AppEnv['Bindings'] | undefined)?.local,
      peer: (c) => (c.env as AppEnv['Bindings'] | undefined)?.incoming?.socket?.remoteAddress ?? null,
      trustedProxies: deps.config.trustedProxies,
    }),
  );
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    c.set('bodyLimit', c.req.path === '/user/import' ? IMPORT_MAX_BYTES : deps.config.limits.bodyBytes);
    await next();
    const seconds = (performance.now() - t0) / 1000;
    deps.metrics.request({ method: c.req.method, route: routeLabel(c), status: c.res.status, seconds, authentication: c.get('result') });
  });
  app.use('*', securityHeaders({ csp: CONSOLE_CSP }));

  // Every login path is throttled per client address (and per admin or API key name).
  const throttles = loginThrottles(deps);
  app.use('/auth', throttles.auth);
  app.use('/auth/*', throttles.auth);
  for (const p of [
    '/token/*',
    '/user/*',
    '/modem/*',
    '/status',
    '/backup',
    '/admin',
    '/admin/*',
    '/apikey',
    '/apikey/*',
    '/validate/triggerchallenge',
  ]) {
    app.use(p, throttles.admin);
  }
  app.use('/sms/*', throttles.gateway);

  const validateLimit = rateLimit<import('hono').Context<AppEnv>>({
    take: (c) => deps.validateLimiter.take(c.get('client')),
    who: (c) => c.get('client'),
    onLimited: (c) => deps.audit.write({ action: `${c.req.method} ${c.req.path}`, client: c.get('client'), result: false, reason: 'rate limited' }),
  });
  app.use('/validate/check', validateLimit);
  app.use('/validate/radiuscheck', validateLimit);
  app.use('/validate/polltransaction', validateLimit);
  app.use('/validate/polltransaction/*', validateLimit);

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
  app.use('/modem/*', requireAdmin(deps));
  app.route('/modem', modemRoutes(deps));
  app.route('/', systemRoutes(deps));
  // The web console at `/` and `/console/*` (contract 11).
  app.route('/', consoleRoutes(deps, { throttle: throttles.state }));
  app.get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  app.notFound((c) => fail(c, new PiError(601, `No such endpoint: ${c.req.method} ${c.req.path}`, 'notFound')));
  app.onError((err, c) => {
    if (err instanceof PiError || err instanceof DirectoryError) return fail(c, err);
    deps.logger.error({ err, path: c.req.path }, 'request failed');
    return fail(c, internalError('Internal error; see the server log.'));
  });
  return app;
}

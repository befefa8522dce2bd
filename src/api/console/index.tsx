import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { randomBytes } from 'node:crypto';
import type { AppDeps, AppEnv } from '../context.js';
import { ASSETS } from './assets.js';
import { auditConsole, fields, render, type ConsoleEnv, type Ctx } from './context.js';
import { DEFAULT_THROTTLE, FailureThrottle } from '../middleware/failure-throttle.js';
import { sameSecret, SessionStore, type SessionEnd } from './session.js';
import { Layout } from './ui.js';
import { overviewPage } from './pages/overview.js';
import { userPages } from './pages/users.js';
import { tokenPages } from './pages/tokens.js';
import { messagePages } from './pages/messages.js';
import { auditPages } from './pages/audit.js';
import { modemPages } from './pages/modems.js';
import { systemPages } from './pages/system.js';

/**
 * The web console: server-rendered pages at `/` and `/console/*`, forms that work without
 * JavaScript (the only script is the optional live refresh). Sessions are cookies bound to
 * an in-memory store; every form carries a CSRF token; cross-site posts are refused by Origin
 * and Sec-Fetch-Site before the token is even looked at.
 */

export const CSP = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";
const FORM_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The origin the browser sees: this URL's, except behind a trusted reverse proxy that terminates
 * TLS and says so with X-Forwarded-Proto (the Origin check and the cookie's Secure flag follow it).
 */
function ownOrigin(c: Context, trusted: readonly string[]): URL {
  const url = new URL(c.req.url);
  const peer = (c.env as AppEnv['Bindings'] | undefined)?.incoming?.socket?.remoteAddress;
  const proto = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase();
  if (peer && trusted.includes(peer) && (proto === 'https' || proto === 'http')) url.protocol = `${proto}:`;
  return url;
}

const ENDED: Record<SessionEnd | 'logout', string> = {
  idle: 'Your session ended after a time without activity: log in again.',
  expired: 'Your session reached its maximum length: log in again.',
  unknown: 'Log in to continue.',
  logout: 'You are logged out.',
};

/** Headers for every console answer: nothing from elsewhere, never in a frame, never cached. */
const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts.
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  if (!c.req.path.startsWith('/console/assets/')) c.header('Cache-Control', 'no-store');
};

/** Why a state-changing request is refused as cross-site, or null when it comes from this console. */
export function crossSiteReason(c: Context, trusted: readonly string[]): string | null {
  const own = ownOrigin(c, trusted).origin;
  const origin = c.req.header('Origin');
  if (origin !== undefined && origin !== own) return `the request came from ${origin.slice(0, 100)}, not from this console`;
  const site = c.req.header('Sec-Fetch-Site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `the browser marked the request ${site.slice(0, 30)}`;
  return null;
}

function refused(c: Context, why: string) {
  return render(
    c,
    <Layout title="Refused" session={null}>
      <section class="card">
        <h1>Request refused</h1>
        <p>{why}. Nothing was changed.</p>
        <p>
          <a href="/">Back to the console</a>
        </p>
      </section>
    </Layout>,
    403,
  );
}

function LoginPage(p: { csrf: string; error?: string; notice?: string; next?: string; user?: string }) {
  return (
    <Layout title="Log in" session={null}>
      <section class="card login">
        <h1>smsotpd administrator</h1>
        {p.notice ? <p role="status">{p.notice}</p> : null}
        {p.error ? (
          <p class="flash bad" role="alert">
            {p.error}
          </p>
        ) : null}
        <form class="stack" method="post" action="/console/login">
          <input type="hidden" name="_csrf" value={p.csrf} />
          {p.next ? <input type="hidden" name="next" value={p.next} /> : null}
          <label>
            User
            <input name="username" autocomplete="username" required maxlength={64} value={p.user ?? ''} />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required maxlength={256} />
          </label>
          <button type="submit">Log in</button>
        </form>
      </section>
    </Layout>
  );
}

/** Only paths of this console: an open redirect through `next` would be a phishing helper. */
const safeNext = (next: string | undefined) => (next && /^\/(console\/[A-Za-z0-9/_.?=&%-]*)?$/.test(next) && !next.startsWith('//') ? next : '/');

/**
 * `throttle`: the API's login throttle state, shared so that guesses spread over POST /auth and
 * the console's login form count together (one made from the same config when absent).
 */
export function consoleRoutes(deps: AppDeps, opts: { throttle?: FailureThrottle; sleep?: (ms: number) => Promise<void> } = {}) {
  const app = new Hono<ConsoleEnv>({ strict: false });
  const trusted = deps.config.trustedProxies;
  const isTls = (c: Context) => ownOrigin(c, trusted).protocol === 'https:';
  /** `__Host-` binds the cookie to this origin, which needs Secure, which needs TLS (plain http://127.0.0.1 works without). */
  const cookieName = (c: Context, base: string) => (isTls(c) ? `__Host-${base}` : base);
  const cookieOptions = (c: Context) => ({ httpOnly: true, secure: isTls(c), sameSite: 'Strict' as const, path: '/' });
  const cfg = deps.config.console;
  const sessions = new SessionStore(deps.clock, cfg.idleMinutes * 60_000, cfg.maxHours * 3_600_000, cfg.maxSessions);
  const a = deps.config.auth;
  const throttle =
    opts.throttle ??
    new FailureThrottle(
      { ...DEFAULT_THROTTLE, freeFailures: a.freeFailures, blockAfter: a.blockAfterFailures, windowMs: a.failureWindow * 1000 },
      () => deps.clock.now(),
    );
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  for (const a of ASSETS) {
    app.get(a.path, (c) => {
      c.header('Content-Type', a.type);
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      c.header('X-Content-Type-Options', 'nosniff');
      return c.body(a.body);
    });
  }
  app.use('/', securityHeaders);
  app.use('/console/*', securityHeaders);
  app.use('/console/*', bodyLimit({ maxSize: FORM_BODY_BYTES, onError: (c) => c.text('The form is too large (at most 2 MB).', 413) }));

  const showLogin = (c: Ctx, opts: { error?: string; notice?: string; status?: number; user?: string; next?: string } = {}) => {
    let csrf = getCookie(c, cookieName(c, 'smsotpd_login'));
    if (!csrf || csrf.length !== 32) {
      csrf = randomBytes(24).toString('base64url');
      setCookie(c, cookieName(c, 'smsotpd_login'), csrf, cookieOptions(c));
    }
    return render(c, <LoginPage csrf={csrf} error={opts.error} notice={opts.notice} user={opts.user} next={opts.next} />, opts.status ?? 200);
  };

  /** The session of this request, or a redirect to the login form that says why there is none. */
  const withSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const token = getCookie(c, cookieName(c, 'smsotpd_session'));
    const s = sessions.touch(token);
    // A deleted admin's sessions end with it.
    const end: SessionEnd | null = typeof s === 'string' ? s : deps.accounts.listAdmins().includes(s.admin) ? null : 'unknown';
    if (end !== null || typeof s === 'string') {
      if (token) deleteCookie(c, cookieName(c, 'smsotpd_session'), cookieOptions(c));
      if (c.req.header('X-Console-Live')) return c.text('session ended', 401);
      if (c.req.method === 'GET' && c.req.path === '/') return showLogin(c, { notice: token ? ENDED[end ?? 'unknown'] : undefined });
      const next = c.req.method === 'GET' ? c.req.path + (new URL(c.req.url).search || '') : undefined;
      return c.redirect(`/?ended=${end ?? 'unknown'}${next ? `&next=${encodeURIComponent(next)}` : ''}`, 303);
    }
    c.set('session', s);
    await next();
  };

  /** Every state change: same origin, and the session's CSRF token in the form. */
  const checkForm: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const why = crossSiteReason(c, trusted);
    const s = c.get('session');
    let ok = why === null;
    if (ok) {
      const f = await fields(c).catch(() => null);
      ok = !!f && sameSecret(f.str('_csrf', 100), s.csrf);
    }
    if (!ok) {
      auditConsole(c, deps, `refused ${c.req.path}`, false, { reason: why ?? 'missing or wrong CSRF token' });
      return refused(
        c,
        why
          ? `Refused: ${why}`
          : 'Refused: the form carried no valid CSRF token (it is older than your session, or came from another site). Reload the page and try again',
      );
    }
    await next();
  };

  app.get('/', async (c, next) => {
    const token = getCookie(c, cookieName(c, 'smsotpd_session'));
    if (!token) {
      const ended = c.req.query('ended') as SessionEnd | 'logout' | undefined;
      return showLogin(c, { notice: ended && ended in ENDED ? ENDED[ended] : undefined, next: c.req.query('next') });
    }
    return next();
  });

  app.post('/console/login', async (c) => {
    const why = crossSiteReason(c, trusted);
    if (why) return refused(c, `Refused: ${why}`);
    const f = await fields(c);
    const username = f.str('username', 64);
    const password = f.str('password', 256);
    const client = c.get('client');
    if (!sameSecret(f.str('_csrf', 100), getCookie(c, cookieName(c, 'smsotpd_login')) ?? '\u0000')) {
      return showLogin(c, { error: 'The login form had expired: please log in again.', status: 403, user: username });
    }
    // The API's keys (src/api/login-throttle.ts): failures here and at POST /auth add up.
    const keys = [`addr:${client.slice(0, 128)}`, `admin:${username.slice(0, 128)}`];
    const v = throttle.verdict(keys);
    if (v.blockedMs > 0) {
      const s = Math.ceil(v.blockedMs / 1000);
      deps.audit.write({
        action: 'console: login',
        administrator: username,
        client,
        result: false,
        reason: `throttled: ${v.failures} authentication failures; retry in ${s} s`,
      });
      c.header('Retry-After', String(s));
      return showLogin(c, { error: `Too many failed logins: try again in ${s} s.`, status: 429, user: username });
    }
    throttle.begin(keys);
    let ok = false;
    try {
      if (v.delayMs > 0) await sleep(v.delayMs);
      ok = !!username && !!password && (await deps.accounts.verifyAdmin(username, password));
    } finally {
      throttle.end(keys, ok ? 'success' : 'failure');
    }
    if (!ok) {
      deps.audit.write({ action: 'console: login', administrator: username, client, result: false, reason: 'wrong credentials' });
      return showLogin(c, { error: 'Wrong user or password.', status: 401, user: username });
    }
    const { token } = sessions.create(username);
    setCookie(c, cookieName(c, 'smsotpd_session'), token, cookieOptions(c));
    deleteCookie(c, cookieName(c, 'smsotpd_login'), cookieOptions(c));
    deps.audit.write({ action: 'console: login', administrator: username, client, result: true });
    return c.redirect(safeNext(f.opt('next', 300)), 303);
  });

  app.use('/', withSession);
  app.use('/console/*', withSession);
  app.use('/console/*', checkForm);

  app.post('/console/logout', (c) => {
    auditConsole(c, deps, 'logout', true);
    sessions.destroy(getCookie(c, cookieName(c, 'smsotpd_session')));
    deleteCookie(c, cookieName(c, 'smsotpd_session'), cookieOptions(c));
    return c.redirect('/?ended=logout', 303);
  });

  const parts = { deps, sessions };
  overviewPage(app, parts);
  userPages(app, parts);
  tokenPages(app, parts);
  messagePages(app, parts);
  auditPages(app, parts);
  modemPages(app, parts);
  systemPages(app, parts);
  return app;
}

export type ConsoleApp = Hono<ConsoleEnv>;
export interface Parts {
  deps: AppDeps;
  sessions: SessionStore;
}

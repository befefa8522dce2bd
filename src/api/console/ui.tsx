import type { Child } from 'hono/jsx';
import { ICON, LIVE, STYLE } from './assets.js';
import type { Session } from './session.js';

export const PAGES = [
  { name: 'Users', path: '/console/users' },
  { name: 'Tokens', path: '/console/tokens' },
  { name: 'Messages', path: '/console/messages' },
  { name: 'Audit', path: '/console/audit' },
  { name: 'Modems', path: '/console/modems' },
  { name: 'System', path: '/console/system' },
] as const;
export type PageName = (typeof PAGES)[number]['name'] | 'Overview';

/** Every page: skip link, the named navigation, who is logged in, a logout button. */
export function Layout(p: { title: string; session: Session | null; active?: PageName; flash?: Session['flash']; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{`${p.title} · smsotpd`}</title>
        <link rel="icon" href={ICON.path} type="image/svg+xml" />
        <link rel="stylesheet" href={STYLE.path} />
        {p.session ? <script src={LIVE.path} defer></script> : null}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        {p.session ? (
          <header class="top">
            <a class="brand" href="/">
              smsotpd
            </a>
            <nav class="main" aria-label="Console">
              <ul>
                {PAGES.map((x) => (
                  <li>
                    <a href={x.path} aria-current={p.active === x.name ? 'page' : undefined}>
                      {x.name}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <div class="who">
              <span>{p.session.admin}</span>
              <form method="post" action="/console/logout">
                <Csrf session={p.session} />
                <button type="submit">Log out</button>
              </form>
            </div>
          </header>
        ) : null}
        <main id="main">
          {p.flash ? (
            <p class={`flash ${p.flash.kind}`} role={p.flash.kind === 'bad' ? 'alert' : 'status'}>
              {p.flash.text}
            </p>
          ) : null}
          {p.children}
        </main>
      </body>
    </html>
  );
}

export const Csrf = (p: { session: Session }) => <input type="hidden" name="_csrf" value={p.session.csrf} />;

/** A one-button form posting to `action` with hidden fields: how every row action works without JavaScript. */
export function Action(p: {
  action: string;
  session: Session;
  fields?: Record<string, string>;
  label: string;
  name?: string;
  kind?: 'danger' | 'secondary';
}) {
  return (
    <form method="post" action={p.action}>
      <Csrf session={p.session} />
      {Object.entries(p.fields ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={p.kind} aria-label={p.name ? `${p.label} ${p.name}` : undefined}>
        {p.label}
      </button>
    </form>
  );
}

const GOOD = new Set(['ready', 'sent', 'delivered', 'closed', 'ok', 'active', 'registered', 'success', 'home', 'new']);
const BAD = new Set([
  'down',
  'failed',
  'open',
  'expired',
  'undelivered',
  'sim-locked',
  'disabled',
  'locked',
  'failure',
  'offline',
  'denied',
  'error',
]);

/** A state shown as text in a coloured pill; states not known here (new ones) get the neutral colour. */
export function Pill(p: { state: string }) {
  const cls = GOOD.has(p.state) ? 'ok' : BAD.has(p.state) ? 'bad' : 'warn';
  return <span class={`pill ${cls}`}>{p.state}</span>;
}

export const time = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '');

/** A signal sparkline (dBm over time), drawn server-side; text alternative for screen readers. */
export function Spark(p: { points: Array<{ t: number; dbm: number | null }> }) {
  const vals = p.points.filter((x) => x.dbm !== null) as Array<{ t: number; dbm: number }>;
  const w = 180;
  const h = 40;
  if (vals.length < 2) return <span class="muted">collecting…</span>;
  const lo = -113;
  const hi = -51;
  const xs = (i: number) => ((i / (vals.length - 1)) * (w - 2) + 1).toFixed(1);
  const ys = (v: number) => (h - 2 - ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo)) * (h - 4)).toFixed(1);
  const min = Math.min(...vals.map((v) => v.dbm));
  const max = Math.max(...vals.map((v) => v.dbm));
  return (
    <svg class="spark" width={w} height={h} role="img" aria-label={`signal from ${min} to ${max} dBm over ${vals.length} samples`}>
      <polyline fill="none" stroke="#1d5fd1" stroke-width="1.5" points={vals.map((v, i) => `${xs(i)},${ys(v.dbm)}`).join(' ')} />
    </svg>
  );
}

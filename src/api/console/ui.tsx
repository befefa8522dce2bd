import type { Child } from 'hono/jsx';
import { ICON, LIVE, STYLE } from './assets.js';
import type { Ctx } from './context.js';
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

/** A form that changes something: posted with the session's CSRF token and the hidden `fields` that say what it acts on. */
export function PostForm(p: {
  action: string;
  session: Session;
  fields?: Record<string, string>;
  class?: 'stack' | 'inline';
  enctype?: 'multipart/form-data';
  children?: Child;
}) {
  return (
    <form class={p.class} method="post" action={p.action} enctype={p.enctype}>
      <Csrf session={p.session} />
      {Object.entries(p.fields ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      {p.children}
    </form>
  );
}

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
    <PostForm action={p.action} session={p.session} fields={p.fields}>
      <button type="submit" class={p.kind} aria-label={p.name ? `${p.label} ${p.name}` : undefined}>
        {p.label}
      </button>
    </PostForm>
  );
}

/** A search or filter form: GET, so the result has an address that can be bookmarked and refreshed live. */
export function FilterForm(p: { action: string; submit: string; children?: Child }) {
  return (
    <form class="inline" method="get" action={p.action}>
      {p.children}
      <button type="submit" class="secondary">
        {p.submit}
      </button>
    </form>
  );
}

/** A filter form's values from the query string, each cut to its length limit ('' when absent). */
export function filterValues<K extends string>(c: Ctx, limits: Record<K, number>): Record<K, string> {
  const out = Object.create(null) as Record<K, string>;
  for (const k of Object.keys(limits) as K[]) out[k] = (c.req.query(k) ?? '').slice(0, limits[k]);
  return out;
}

/** A labelled drop-down; `any` adds a first, empty choice that means "no filter". */
export function Select(p: { label: string; name: string; value: string; options: Array<readonly [value: string, text: string]>; any?: boolean }) {
  return (
    <label>
      {p.label}
      <select name={p.name}>
        {p.any ? <option value="">any</option> : null}
        {p.options.map(([v, text]) => (
          <option value={v} selected={v === p.value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The From/To pair of a time filter; `datetime-local` has no zone, so the labels say UTC (see parseTime). */
export function TimeRange(p: { from: string; to: string }) {
  return (
    <>
      <label>
        From (UTC)
        <input name="from" type="datetime-local" value={p.from} />
      </label>
      <label>
        To (UTC)
        <input name="to" type="datetime-local" value={p.to} />
      </label>
    </>
  );
}

/** A `datetime-local` value (or a full ISO time) as epoch ms; one without a zone is UTC, as TimeRange's labels say. */
export const parseTime = (v: string | undefined): number | null => {
  if (!v) return null;
  const t = Date.parse(/Z$|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isFinite(t) ? t : null;
};

/** A table with a header row; `empty`, when given, is the one row that stands in for no rows. */
export function Table(p: { cols: Child[]; empty?: Child | null; children?: Child }) {
  return (
    <table>
      <thead>
        <tr>
          {p.cols.map((c) => (
            <th scope="col">{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {p.empty === null || p.empty === undefined ? null : (
          <tr>
            <td colspan={p.cols.length}>{p.empty}</td>
          </tr>
        )}
        {p.children}
      </tbody>
    </table>
  );
}

/** The named values of one thing, a row each with its name as the row header; `cls` styles the value cell. */
export type Fact = readonly [name: string, value: Child, cls?: string];
export function Facts(p: { rows: Fact[] }) {
  return (
    <table>
      <tbody>
        {p.rows.map(([name, value, cls]) => (
          <tr>
            <th scope="row">{name}</th>
            <td class={cls}>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Big figures with small labels (the overview's cards); an `id` marks a figure a browser test reads. */
export function Figures(p: { items: Array<readonly [label: string, value: Child, id?: string]> }) {
  return (
    <div class="kv">
      {p.items.map(([label, value, id]) => (
        <div>
          <span class="l">{label}</span>
          <b class="big" id={id}>
            {value}
          </b>
        </div>
      ))}
    </div>
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

import { createHash } from 'node:crypto';

/**
 * The status page at `/`: one self-contained document (air-gapped sites: no external assets).
 * It logs in through /auth, keeps the JWT in sessionStorage, and polls /status. Every value
 * from the server is placed with textContent, never as HTML.
 */

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;align-items:center;gap:16px}header h1{font-size:18px;margin:0;font-weight:600}
header .sp{flex:1}header button{background:transparent;color:#fff;border:1px solid #566;border-radius:4px;padding:4px 10px;cursor:pointer}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(340px,1fr))}
section{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:12px 16px}section.wide{grid-column:1/-1}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:#5b6475;margin:0 0 8px}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eceef2;font-variant-numeric:tabular-nums}th{color:#5b6475;font-weight:500;font-size:12px}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#e6e8ee}
.ok{background:#d7f5e3;color:#116032}.warn{background:#fff1c7;color:#7a5400}.bad{background:#fde0df;color:#9b1c17}
.big{font-size:28px;font-weight:600}.kv{display:flex;gap:24px;flex-wrap:wrap}.kv div span{display:block;color:#5b6475;font-size:12px}
#login{max-width:320px;margin:80px auto;background:#fff;padding:24px;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
#login input{width:100%;padding:8px;margin:6px 0 12px;border:1px solid #ccd;border-radius:4px}#login button{width:100%;padding:8px;background:#1d5fd1;color:#fff;border:0;border-radius:4px;cursor:pointer}
#err{color:#9b1c17;min-height:1.4em}svg{display:block}.muted{color:#8a91a0}
`;

const SCRIPT = `
(() => {
  const $ = (s) => document.querySelector(s);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
  const pill = (text, cls) => el('span', text, 'pill ' + cls);
  const stateClass = (s) => ['ready','sent','delivered','closed','ok','registered'].includes(s) ? 'ok' : ['down','failed','open','expired','undelivered','sim-locked'].includes(s) ? 'bad' : 'warn';
  const ago = (t) => { if (!t) return ''; const s = Math.round(Date.now() / 1000 - t); return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago'; };
  let timer = null;

  function showLogin(msg) {
    clearInterval(timer); sessionStorage.removeItem('jwt');
    $('#app').hidden = true; $('#login').hidden = false; $('#err').textContent = msg || '';
  }
  async function login(ev) {
    ev.preventDefault();
    const r = await fetch('/auth', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: $('#user').value, password: $('#pass').value }) });
    const b = await r.json().catch(() => ({}));
    if (!r.ok || !b.result || !b.result.status) return showLogin((b.result && b.result.error && b.result.error.message) || 'Login failed');
    sessionStorage.setItem('jwt', b.result.value.token); $('#pass').value = ''; start();
  }
  function spark(points) {
    const w = 160, h = 36, ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg'); svg.setAttribute('width', w); svg.setAttribute('height', h); svg.setAttribute('role', 'img');
    const vals = points.filter((p) => p.dbm !== null);
    if (vals.length < 2) { const t = document.createElementNS(ns, 'text'); t.setAttribute('x', 0); t.setAttribute('y', 22); t.setAttribute('fill', '#8a91a0'); t.textContent = 'collecting…'; svg.appendChild(t); return svg; }
    const lo = -113, hi = -51, xs = (i) => (i / (vals.length - 1)) * (w - 2) + 1, ys = (v) => h - 2 - ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo)) * (h - 4);
    const path = document.createElementNS(ns, 'polyline'); path.setAttribute('fill', 'none'); path.setAttribute('stroke', '#1d5fd1'); path.setAttribute('stroke-width', '1.5');
    path.setAttribute('points', vals.map((p, i) => xs(i).toFixed(1) + ',' + ys(p.dbm).toFixed(1)).join(' '));
    svg.appendChild(path); return svg;
  }
  function row(cells) { const tr = el('tr'); for (const c of cells) { const td = el('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c); tr.appendChild(td); } return tr; }
  function fill(id, rows) { const tb = $(id); tb.replaceChildren(...rows); }

  function render(v) {
    $('#updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    $('#q-depth').textContent = v.queue.depth; $('#q-age').textContent = v.queue.oldestAgeSeconds + ' s';
    $('#c-sent').textContent = v.sms.sent; $('#c-dup').textContent = v.sms.duplicates; $('#c-exp').textContent = v.sms.expired + v.sms.failed;
    $('#c-dlv').textContent = v.sms.delivered ?? 0; $('#c-undlv').textContent = v.sms.undelivered ?? 0;
    $('#n-tokens').textContent = v.tokens; $('#n-users').textContent = v.users;
    const modems = [];
    for (const p of v.providers) for (const m of (p.detail.modems || [])) modems.push(m);
    fill('#modems', modems.length ? modems.map((m) => row([m.id, pill(m.state, stateClass(m.state)), m.signalDbm === null || m.signalDbm === undefined ? '–' : m.signalDbm + ' dBm', spark((v.signalHistory || {})[m.id] || []), m.operator || '', m.registration || '', m.queue ?? '', m.sent ?? ''])) : [row(['no modems configured', '', '', '', '', '', '', ''])]);
    fill('#providers', v.providers.map((p) => row([p.id, p.type, pill(p.health, stateClass(p.health)), pill(p.breaker.state, stateClass(p.breaker.state)), p.sent, p.failures.temporary + p.failures.permanent + p.failures.unavailable + p.failures.ambiguous, p.lastError || ''])));
    const dirs = v.directory || []; $('#directory').hidden = dirs.length === 0;
    fill('#directories', dirs.map((d) => row([d.resolver, pill(d.up === null ? 'not asked yet' : d.up ? 'up' : 'down', d.up === null ? 'warn' : d.up ? 'ok' : 'bad'), (d.uri || '') + (d.failover ? ' (failover)' : ''), d.lastSuccess ? ago(d.lastSuccess / 1000) : '–', d.lastError ? ago(d.lastError.t / 1000) + ': ' + d.lastError.message : ''])));
    fill('#recent', v.recent.length ? v.recent.map((m) => row([ago(m.created), m.to, pill(m.state, stateClass(m.state)), m.provider || '', m.attempts, m.duplicates || '', m.error || ''])) : [row(['no messages yet', '', '', '', '', '', ''])]);
  }
  async function poll() {
    const jwt = sessionStorage.getItem('jwt'); if (!jwt) return showLogin();
    try {
      const r = await fetch('/status', { headers: { Authorization: jwt } });
      if (r.status === 401) return showLogin('Session expired: log in again');
      const b = await r.json(); if (b.result && b.result.status) render(b.result.value);
    } catch { $('#updated').textContent = 'connection lost, retrying…'; }
  }
  function start() { $('#login').hidden = true; $('#app').hidden = false; poll(); clearInterval(timer); timer = setInterval(poll, 2000); }
  $('#login-form').addEventListener('submit', login);
  $('#logout').addEventListener('click', () => showLogin());
  if (sessionStorage.getItem('jwt')) start(); else showLogin();
})();
`;

export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`,
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const table = (id: string, heads: string[]) =>
  `<table><thead><tr>${heads.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody id="${id}"></tbody></table>`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>smsotpd status</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body>
<div id="login" hidden><h2>smsotpd administrator</h2><form id="login-form"><label>User<input id="user" autocomplete="username" required></label><label>Password<input id="pass" type="password" autocomplete="current-password" required></label><div id="err"></div><button type="submit">Log in</button></form></div>
<div id="app" hidden>
<header><h1>smsotpd</h1><span class="muted" id="updated"></span><span class="sp"></span><button id="logout" type="button">Log out</button></header>
<main>
<section><h2>Queue</h2><div class="kv"><div><span>waiting</span><b class="big" id="q-depth">–</b></div><div><span>oldest</span><b class="big" id="q-age">–</b></div><div><span>sent</span><b class="big" id="c-sent">–</b></div><div><span>duplicates</span><b class="big" id="c-dup">–</b></div><div><span>expired / failed</span><b class="big" id="c-exp">–</b></div><div><span>delivered</span><b class="big" id="c-dlv">–</b></div><div><span>undelivered</span><b class="big" id="c-undlv">–</b></div></div></section>
<section><h2>Enrolment</h2><div class="kv"><div><span>tokens</span><b class="big" id="n-tokens">–</b></div><div><span>users</span><b class="big" id="n-users">–</b></div></div></section>
<section class="wide"><h2>Modems</h2>${table('modems', ['modem', 'state', 'signal', 'last hour', 'operator', 'registration', 'queue', 'sent'])}</section>
<section class="wide"><h2>Providers</h2>${table('providers', ['provider', 'type', 'health', 'circuit', 'sent', 'failures', 'last error'])}</section>
<section class="wide" id="directory" hidden><h2>Directory</h2>${table('directories', ['resolver', 'state', 'server', 'last success', 'last error'])}</section>
<section class="wide"><h2>Last sends</h2>${table('recent', ['when', 'to', 'state', 'provider', 'attempts', 'duplicates', 'error'])}</section>
</main></div>
<script>${SCRIPT}</script>
</body></html>`;

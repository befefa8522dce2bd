import { createHash } from 'node:crypto';

/**
 * The console's only two static files, served by the app under a content hash (cached for a
 * year, never stale): no CDN, no external font, nothing for an air-gapped site to miss.
 */

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
a{color:#1547a8}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #f0a400;outline-offset:2px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.skip{position:absolute;left:-9999px;top:0;background:#fff;padding:8px;z-index:9}.skip:focus{left:8px}
header.top{background:#1d2330;color:#fff;display:flex;align-items:center;gap:18px;padding:0 20px;flex-wrap:wrap}
header.top .brand{font-weight:600;font-size:17px;padding:12px 0;color:#fff;text-decoration:none}
nav.main ul{display:flex;gap:2px;list-style:none;margin:0;padding:0;flex-wrap:wrap}
nav.main a{display:block;color:#dfe3ea;text-decoration:none;padding:13px 12px;border-bottom:3px solid transparent}
nav.main a:hover{color:#fff}nav.main a[aria-current=page]{color:#fff;border-bottom-color:#6ea0ff}
header.top .who{margin-left:auto;display:flex;gap:10px;align-items:center;color:#c5cbd6;font-size:14px}
header.top form{margin:0}header.top button{background:transparent;color:#fff;border:1px solid #6b7486;border-radius:4px;padding:4px 10px;cursor:pointer;font:inherit;font-size:14px}
main{padding:18px 20px;max-width:1280px}
h1{font-size:22px;margin:0 0 14px}h2{font-size:16px;margin:0 0 10px}
section.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:14px 16px;margin:0 0 16px}
.grid{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(320px,1fr))}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ee;vertical-align:top;font-variant-numeric:tabular-nums}
th{color:#4a5263;font-weight:600;font-size:13px}
.scroll{overflow-x:auto}
.pill{display:inline-block;padding:1px 9px;border-radius:10px;font-size:13px;background:#e6e8ee;color:#1d2330}
.ok{background:#d3f2df;color:#0b5129}.warn{background:#fff0c2;color:#6b4a00}.bad{background:#fddcdb;color:#8a1712}
.big{font-size:26px;font-weight:600;display:block}.kv{display:flex;gap:26px;flex-wrap:wrap}.kv span.l{display:block;color:#4a5263;font-size:13px}
form.stack{display:grid;gap:10px;max-width:520px}form.inline{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-end;margin:0 0 12px}td form.inline,.flash+form.inline{margin:0}
label{display:grid;gap:3px;font-size:14px;color:#2c3444;font-weight:500}
fieldset{border:1px solid #d5d9e1;border-radius:6px;padding:8px 12px}legend{font-size:14px;font-weight:500}
fieldset label{display:flex;gap:6px;align-items:center;font-weight:400}
input,select,textarea{font:inherit;padding:6px 8px;border:1px solid #8d95a5;border-radius:4px;background:#fff;color:#1d2330;min-width:0}
textarea{min-height:120px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
button,.button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #1547a8;background:#1d5fd1;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:#1547a8}button.danger{background:#b3261e;border-color:#8a1712}
td form{display:inline;margin:0 4px 0 0}td button{padding:2px 9px;font-size:13px}
.flash{padding:10px 14px;border-radius:6px;margin:0 0 14px}.flash.ok{border:1px solid #8fd1a9}.flash.bad{border:1px solid #e89b98}
.muted{color:#4f5768}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
.secret{font-family:ui-monospace,Menlo,Consolas,monospace;background:#fff8dc;border:1px dashed #b08a00;padding:8px;display:block;word-break:break-all}
.login{max-width:360px;margin:70px auto}
.login h1{font-size:20px}
pre.config{background:#f7f8fa;border:1px solid #e1e4ea;padding:10px;overflow:auto;font-size:13px;max-height:520px}
svg.spark{display:block}
`;

/** Live refresh: re-fetches the page every 5 s and swaps each [data-live] region; stops while a control inside has focus. */
const LIVE_JS = `
(function () {
  var regions = document.querySelectorAll('[data-live]');
  if (!regions.length) return;
  function busy() { var a = document.activeElement; for (var i = 0; i < regions.length; i++) if (regions[i].contains(a) && a !== document.body) return true; return false; }
  function tick() {
    if (document.visibilityState !== 'visible' || busy()) return;
    fetch(location.href, { headers: { 'X-Console-Live': '1' }, credentials: 'same-origin', redirect: 'manual' }).then(function (r) {
      if (r.type === 'opaqueredirect' || r.status === 401) { location.reload(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, 'text/html');
      regions.forEach(function (el) { var next = doc.getElementById(el.id); if (next) el.replaceWith(next); });
      regions = document.querySelectorAll('[data-live]');
    }).catch(function () {});
  }
  setInterval(tick, 5000);
})();
`;

function asset(name: string, ext: string, body: string, type: string) {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { path: `/console/assets/${name}.${hash}.${ext}`, body, type };
}

export const STYLE = asset('console', 'css', CSS, 'text/css; charset=utf-8');
export const LIVE = asset('live', 'js', LIVE_JS, 'text/javascript; charset=utf-8');
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2330"/><path d="M4 5h8v5H7l-3 2z" fill="#6ea0ff"/></svg>';
export const ICON = asset('icon', 'svg', ICON_SVG, 'image/svg+xml');
export const ASSETS = [STYLE, LIVE, ICON];

import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../../src/api/middleware/security-headers.js';

describe('security headers middleware', () => {
  it('nosniff, no referrer, no framing, no-store unless set; the CSP on HTML only', async () => {
    const a = new Hono();
    a.use('*', securityHeaders({ csp: "default-src 'none'" }));
    a.get('/json', (c) => c.json({ ok: true }));
    a.get('/html', (c) => c.html('<p>hi</p>'));
    a.get('/cached', (c) => {
      c.header('Cache-Control', 'max-age=60');
      return c.text('x');
    });
    const j = await a.request('/json');
    expect(j.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(j.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(j.headers.get('X-Frame-Options')).toBe('DENY');
    expect(j.headers.get('Cache-Control')).toBe('no-store');
    expect(j.headers.get('Content-Security-Policy')).toBeNull();
    expect((await a.request('/html')).headers.get('Content-Security-Policy')).toBe("default-src 'none'");
    expect((await a.request('/cached')).headers.get('Cache-Control')).toBe('max-age=60');
  });

  it("sets them on the handler's own answer object, not on a rebuilt copy", async () => {
    // A rebuilt answer is a web-stream Response that @hono/node-server writes on its slow path.
    let made: Response | undefined;
    let sent: Response | undefined;
    const a = new Hono();
    a.use('*', async (c, next) => {
      await next();
      sent = c.res;
    });
    a.use('*', securityHeaders());
    a.get('/json', (c) => (made = c.json({ ok: true })));
    const r = await a.request('/json');
    expect(sent).toBeDefined();
    expect(sent).toBe(made);
    expect(r.headers.get('X-Frame-Options')).toBe('DENY');
  });

  it('an answer with immutable headers (a redirect) is rebuilt and still gets them', async () => {
    const a = new Hono();
    a.use('*', securityHeaders());
    a.get('/away', () => Response.redirect('http://127.0.0.1/elsewhere', 302));
    const r = await a.request('/away');
    expect(r.status).toBe(302);
    expect(r.headers.get('Location')).toBe('http://127.0.0.1/elsewhere');
    expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(r.headers.get('X-Frame-Options')).toBe('DENY');
    expect(r.headers.get('Cache-Control')).toBe('no-store');
  });
});

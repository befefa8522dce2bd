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
});

import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { authenticate, type Identity } from '../../../src/api/middleware/auth.js';
import type { PiError } from '../../../src/token/errors.js';
import { httpStatusOf } from '../../../src/api/error-status.js';

type Env = { Bindings: { local?: boolean }; Variables: { identity: Identity } };

function app(withKeys: boolean) {
  const a = new Hono<Env>();
  a.use(
    '*',
    authenticate({
      isLocal: (c) => !!(c.env as Env['Bindings'] | undefined)?.local,
      verifyJwt: async (t) => (t === 'good.jwt' ? 'alice' : null),
      ...(withKeys ? { verifyApiKey: async (n: string, s: string) => n === 'pi' && s === 'secret' } : {}),
    }),
  );
  a.get('/', (c) => c.json(c.get('identity')));
  a.onError((err, c) => c.json({ code: (err as PiError).code, message: err.message }, httpStatusOf(err as PiError) as 401));
  return a;
}

describe('auth middleware', () => {
  it('JWT raw or Bearer, in PI-Authorization or Authorization; 4033 without, 4031 with a bad one', async () => {
    const a = app(false);
    expect(await (await a.request('/', { headers: { Authorization: 'good.jwt' } })).json()).toEqual({ role: 'admin', username: 'alice', via: 'jwt' });
    expect((await a.request('/', { headers: { 'PI-Authorization': 'Bearer good.jwt' } })).status).toBe(200);
    const none = await a.request('/');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: number }).code).toBe(4033);
    const bad = await a.request('/', { headers: { Authorization: 'bad.jwt' } });
    expect(((await bad.json()) as { code: number }).code).toBe(4031);
    expect((await a.request('/', { headers: { Authorization: 'x'.repeat(5000) } })).status).toBe(401);
  });

  it('API keys only where allowed; the control socket is the local admin', async () => {
    const basic = `Basic ${Buffer.from('pi:secret').toString('base64')}`;
    expect(((await (await app(false).request('/', { headers: { Authorization: basic } })).json()) as { message: string }).message).toMatch(
      /API keys are accepted on \/sms\/ only/,
    );
    expect(await (await app(true).request('/', { headers: { Authorization: basic } })).json()).toEqual({
      role: 'gateway',
      username: 'pi',
      via: 'apikey',
    });
    expect((await app(true).request('/', { headers: { 'X-API-Key': 'pi:wrong' } })).status).toBe(401);
    expect((await app(true).request('/', { headers: { 'X-API-Key': 'no-colon' } })).status).toBe(401);
    expect(await (await app(false).request('/', {}, { local: true })).json()).toEqual({ role: 'admin', username: 'local', via: 'local' });
  });
});

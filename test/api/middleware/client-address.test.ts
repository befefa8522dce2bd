import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../../src/api/middleware/client-address.js';

type Env = { Bindings: { peer?: string; local?: boolean }; Variables: { client: string } };

function app(trustedProxies: string[]) {
  const a = new Hono<Env>();
  a.use(
    '*',
    clientAddress({ peer: (c) => (c.env as Env['Bindings']).peer ?? null, isLocal: (c) => !!(c.env as Env['Bindings']).local, trustedProxies }),
  );
  a.get('/', (c) => c.text(c.get('client')));
  return a;
}

describe('client address middleware', () => {
  it('the socket peer; X-Forwarded-For only from a trusted proxy, its last hop', async () => {
    const a = app(['10.0.0.1']);
    expect(await (await a.request('/', { headers: { 'X-Forwarded-For': '6.6.6.6' } }, { peer: '192.0.2.9' })).text()).toBe('192.0.2.9');
    expect(await (await a.request('/', { headers: { 'X-Forwarded-For': '6.6.6.6, 192.0.2.7' } }, { peer: '10.0.0.1' })).text()).toBe('192.0.2.7');
    expect(await (await a.request('/', {}, { peer: '10.0.0.1' })).text()).toBe('10.0.0.1');
    expect(await (await a.request('/', {}, {})).text()).toBe('unknown');
    expect(await (await a.request('/', {}, { local: true, peer: '1.2.3.4' })).text()).toBe('local');
  });
});

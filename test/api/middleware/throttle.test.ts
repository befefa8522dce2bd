import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { PiError } from '../../../src/token/errors.js';
import { httpStatusOf } from '../../../src/api/error-status.js';
import { FailureThrottle, type ThrottlePolicy } from '../../../src/api/middleware/failure-throttle.js';
import { throttle } from '../../../src/api/middleware/throttle.js';

const policy: ThrottlePolicy = { freeFailures: 2, blockAfter: 5, windowMs: 60_000, baseDelayMs: 100, maxDelayMs: 250, maxKeys: 3 };

function app(now: { t: number }) {
  const state = new FailureThrottle(policy, () => now.t);
  const delays: number[] = [];
  const blocked: Array<{ key: string; retryAfterSeconds: number }> = [];
  const a = new Hono();
  a.use(
    '/login',
    throttle(state, {
      keys: (c) => [`addr:${c.req.header('x-addr') ?? '?'}`, `name:${c.req.query('name') ?? '?'}`],
      sleep: async (ms) => void delays.push(ms),
      onBlocked: (_c, i) => void blocked.push(i),
    }),
  );
  a.post('/login', (c) => (c.req.query('pw') === 'right' ? c.text('ok') : c.text('no', 401)));
  a.post('/bad', (c) => c.text('bad', 400));
  a.onError((err, c) => c.text(err.message, httpStatusOf(err as PiError) as 429));
  const login = (pw: string, name = 'alice', addr = '1') =>
    a.request(`/login?name=${name}&pw=${pw}`, { method: 'POST', headers: { 'x-addr': addr } });
  return { a, state, delays, blocked, login };
}

describe('throttle middleware', () => {
  it('free failures, then growing delays, then 429 with Retry-After until the window after the last failure', async () => {
    const now = { t: 0 };
    const { login, delays, blocked } = app(now);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('wrong')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(delays).toEqual([100, 200, 250]);
    now.t = 30_000;
    const r = await login('right');
    expect(r.status).toBe(429);
    expect(r.headers.get('Retry-After')).toBe('30');
    expect(blocked.map((b) => b.retryAfterSeconds)).toEqual([60, 30]);
    now.t = 60_000;
    expect((await login('right')).status).toBe(200);
  });

  it('a success forgets the failures; a neutral answer (400) neither counts nor forgets', async () => {
    const now = { t: 0 };
    const { login, state } = app(now);
    await login('wrong');
    await login('wrong');
    expect(state.failures('name:alice')).toBe(2);
    expect((await login('right')).status).toBe(200);
    expect(state.failures('name:alice')).toBe(0);
    expect(state.failures('addr:1')).toBe(0);
  });

  it('per key: another name from another address is not slowed by alice', async () => {
    const now = { t: 0 };
    const { login, delays } = app(now);
    for (let i = 0; i < 5; i++) await login('wrong', 'alice', '1');
    expect((await login('wrong', 'alice', '2')).status).toBe(429);
    delays.length = 0;
    expect((await login('wrong', 'bob', '3')).status).toBe(401);
    expect(delays).toEqual([]);
  });

  it('bounded memory: at most maxKeys tracked, the oldest dropped first', async () => {
    const now = { t: 0 };
    const { login, state } = app(now);
    for (const n of ['a', 'b', 'c', 'd']) await login('wrong', n, '9');
    expect(state.size).toBeLessThanOrEqual(3);
  });
});

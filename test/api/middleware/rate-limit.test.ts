import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../../../src/api/middleware/rate-limit.js';
import { RateLimiter } from '../../../src/api/rate-limit.js';
import type { PiError } from '../../../src/token/errors.js';
import { httpStatusOf } from '../../../src/api/error-status.js';

describe('rate limit middleware', () => {
  it('a token bucket per caller: the burst passes, then 429 with Retry-After; other callers unaffected', async () => {
    let t = 0;
    const limiter = new RateLimiter(1, 2, () => t);
    const limited: number[] = [];
    const a = new Hono();
    a.use(
      '*',
      rateLimit({
        take: (c) => limiter.take(c.req.header('x-who') ?? ''),
        who: (c) => c.req.header('x-who') ?? '',
        onLimited: (_c, s) => void limited.push(s),
      }),
    );
    a.get('/', (c) => c.text('ok'));
    a.onError((err, c) => c.text(err.message, httpStatusOf(err as PiError) as 429));
    const get = (who: string) => a.request('/', { headers: { 'x-who': who } });
    expect((await get('a')).status).toBe(200);
    expect((await get('a')).status).toBe(200);
    const r = await get('a');
    expect(r.status).toBe(429);
    expect(r.headers.get('Retry-After')).toBe('1');
    expect(await r.text()).toBe('Too many requests from a; retry in 1 s.');
    expect((await get('b')).status).toBe(200);
    t = 1000;
    expect((await get('a')).status).toBe(200);
    expect(limited).toEqual([1]);
  });
});

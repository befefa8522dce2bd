import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { fail } from '../../src/api/envelope.js';
import { httpStatusOf } from '../../src/api/error-status.js';
import { resolverError, unknownUser } from '../../src/directory/errors.js';
import {
  PiError,
  authError,
  internalError,
  notFoundError,
  parameterError,
  policyError,
  queueFull,
  tooManyRequests,
  userError,
} from '../../src/token/errors.js';

describe('error kind -> HTTP status (privacyIDEA map_error_to_code, plus our own kinds)', () => {
  it.each([
    [parameterError('x'), 400],
    [userError(), 400],
    [authError(), 401],
    [policyError('x'), 403],
    [notFoundError('x'), 404],
    [tooManyRequests('x'), 429],
    [internalError('x'), 500],
    [queueFull('x'), 503],
    [new PiError(301, 'x', 'tokenAdmin'), 400],
    [new PiError(905, 'x', 'tooLarge'), 413],
    [new PiError(905, 'x', 'unsupportedMedia'), 415],
    [new PiError(-504, 'x', 'upstreamTimeout'), 504],
    [new PiError(-502, 'x', 'upstreamFailed'), 502],
  ])('%s -> %i', (err, status) => {
    expect(httpStatusOf(err)).toBe(status);
  });

  it("a directory error (user or resolver kind) is a 400 with its own code, in privacyIDEA's envelope", async () => {
    expect(httpStatusOf(unknownUser())).toBe(400);
    expect(resolverError('corp', 'timeout').kind).toBe('resolver');
    expect(unknownUser().kind).toBe('user');
    const app = new Hono();
    app.get('/', () => {
      throw resolverError('corp', 'timeout');
    });
    app.onError((err, c) => fail(c, err as ReturnType<typeof resolverError>));
    const r = await app.request('/');
    expect(r.status).toBe(400);
    const body = (await r.json()) as { result: { status: boolean; error: { code: number; message: string } } };
    expect(body.result).toEqual({
      status: false,
      error: { code: 907, message: 'The user store "corp" could not be reached: timeout. The login was not counted as a failure.' },
    });
  });
});

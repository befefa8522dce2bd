import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpProviderSchema } from '../../../src/config/schema.js';
import { SendFailure, type OutgoingSms } from '../../../src/sms/provider.js';
import { createHttpProvider } from '../../../src/sms/providers/http.js';
import { silentLogger } from '../../../src/util/logger.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | null = null;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = null;
});

/** A gateway on loopback whose answer each test scripts. */
async function gateway(
  answer: (req: Seen) => { status?: number; body?: string; delayMs?: number; hang?: boolean },
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      const a = answer(s);
      if (a.hang) return;
      setTimeout(() => {
        res.statusCode = a.status ?? 200;
        res.end(a.body ?? 'OK');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/send`, seen };
}

const msg = (extra: Partial<OutgoingSms> = {}): OutgoingSms => ({
  id: 'x',
  to: '+4917612345678',
  text: 'Your code 123456 & more',
  expiresAt: Date.now() + 60_000,
  attempt: 1,
  resend: false,
  progress: {},
  ...extra,
});
const ctx = (signal = new AbortController().signal) => ({ signal, checkpoint: async () => {} });
const make = (cfg: Record<string, unknown>) =>
  createHttpProvider(httpProviderSchema.parse({ id: 'gw', type: 'http', ...cfg }), { logger: silentLogger });

describe('HTTP provider (privacyIDEA HttpSMSProvider semantics)', () => {
  it("GET with the legacy keys and fixed PARAMETERs, appended to the URL's own query", async () => {
    const g = await gateway(() => ({ body: '0: Accepted for delivery' }));
    const p = make({
      URL: `${g.url}?user=u`,
      HTTP_METHOD: 'GET',
      SMS_PHONENUMBER_KEY: 'to',
      SMS_TEXT_KEY: 'text',
      PARAMETER: { password: 'p' },
      RETURN_SUCCESS: 'Accepted',
    });
    await p.send(msg(), ctx());
    const u = new URL(g.seen[0]!.url, 'http://x');
    expect(g.seen[0]!.method).toBe('GET');
    expect(Object.fromEntries(u.searchParams)).toEqual({ user: 'u', password: 'p', to: '+4917612345678', text: 'Your code 123456 & more' });
  });

  it('POST form (default keys phone/sms) with basic auth; POST JSON with SEND_DATA_AS_JSON', async () => {
    const g = await gateway(() => ({ status: 201 }));
    await make({ URL: g.url, HTTP_METHOD: 'POST', USERNAME: 'api', PASSWORD: 's3cret' }).send(msg(), ctx());
    expect(g.seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(g.seen[0]!.body))).toEqual({ phone: '+4917612345678', sms: 'Your code 123456 & more' });
    expect(g.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('api:s3cret').toString('base64')}`);
    await make({ URL: g.url, HTTP_METHOD: 'POST', SEND_DATA_AS_JSON: 'yes', PARAMETER: { from: 'smsotpd' } }).send(msg(), ctx());
    expect(g.seen[1]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(g.seen[1]!.body)).toEqual({ from: 'smsotpd', phone: '+4917612345678', sms: 'Your code 123456 & more' });
  });

  it('credentials in the URL are used when USERNAME is not set', async () => {
    const g = await gateway(() => ({}));
    await make({ URL: g.url.replace('http://', 'http://usr:pw%40d@') }).send(msg(), ctx());
    expect(g.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('usr:pw@d').toString('base64')}`);
  });

  it('new-style options: {otp} is the whole text, {phone} the rewritten number, JSON values parsed; headers verbatim', async () => {
    const g = await gateway(() => ({ body: '{"status":"queued"}' }));
    await make({
      URL: g.url,
      HTTP_METHOD: 'POST',
      SEND_DATA_AS_JSON: 'yes',
      REGEXP: '/^\\+/00/',
      options: { to: '["{phone}"]', message: '"Your OTP: {otp}"', plain: 'x{phone}' },
      headers: { 'access-token': 'abc' },
      RETURN_SUCCESS: 'queued',
    }).send(msg(), ctx());
    expect(JSON.parse(g.seen[0]!.body)).toEqual({ to: ['004917612345678'], message: 'Your OTP: Your code 123456 & more', plain: 'x004917612345678' });
    expect(g.seen[0]!.headers['access-token']).toBe('abc');
  });

  it('success and failure as privacyIDEA decides: status, RETURN_SUCCESS, RETURN_FAIL', async () => {
    const g = await gateway((r) => {
      const body = new URL(r.url, 'http://x').searchParams.get('sms') ?? '';
      if (body.includes('500')) return { status: 500 };
      if (body.includes('503')) return { status: 503 };
      if (body.includes('401')) return { status: 401 };
      if (body.includes('400')) return { status: 400 };
      if (body.includes('REJ')) return { body: 'REJECTED' };
      return { status: 202, body: 'queued' };
    });
    const send = (text: string, cfg: Record<string, unknown> = {}) =>
      make({ URL: g.url, ...cfg })
        .send(msg({ text }), ctx())
        .then(
          () => 'ok',
          (e: SendFailure) => `${e.kind} ${e.code}`,
        );
    expect(await send('fine')).toBe('ok');
    expect(await send('500')).toBe('temporary HTTP 500');
    expect(await send('503')).toBe('temporary HTTP 503');
    expect(await send('400')).toBe('permanent HTTP 400');
    expect(await send('401')).toBe('permanent HTTP 401');
    expect(await send('fine', { RETURN_SUCCESS: 'ID:' })).toBe('permanent RETURN_SUCCESS');
    expect(await send('REJ', { RETURN_FAIL: 'REJECTED' })).toBe('permanent RETURN_FAIL');
    // RETURN_FAIL is consulted only without RETURN_SUCCESS (privacyIDEA).
    expect(await send('REJ', { RETURN_SUCCESS: 'REJ', RETURN_FAIL: 'REJECTED' })).toBe('ok');
    const e = await make({ URL: g.url })
      .send(msg({ text: '401' }), ctx())
      .catch((x) => x);
    expect(e.message).toMatch(/rejected the credentials/);
  });

  it('a slow answer within TIMEOUT succeeds; a hung one is ambiguous; a closed port is unavailable', async () => {
    const g = await gateway((r) => (r.url.includes('hang') ? { hang: true } : { delayMs: 200 }));
    await make({ URL: g.url, TIMEOUT: 2 }).send(msg(), ctx());
    const hung = await make({ URL: `${g.url}?hang=1`, TIMEOUT: 0.3 })
      .send(msg(), ctx())
      .catch((x) => x);
    expect(hung).toMatchObject({ kind: 'ambiguous', code: 'timeout' });
    server!.closeAllConnections();
    const port = new URL(g.url).port;
    server!.close();
    server = null;
    const refused = await make({ URL: `http://127.0.0.1:${port}/send` })
      .send(msg(), ctx())
      .catch((x) => x);
    expect(refused).toMatchObject({ kind: 'unavailable', code: 'ECONNREFUSED' });
  });

  it('a bad REGEXP is a configuration error at start, not a failed login', () => {
    expect(() => make({ URL: 'http://127.0.0.1:1/', REGEXP: '/[/x/' })).toThrow(/REGEXP/);
    expect(() => make({ URL: 'http://127.0.0.1:1/', REGEXP: 'nope' })).toThrow(/\/pattern\/replacement\//);
  });

  it('goes through an HTTP proxy (PROXY)', async () => {
    const g = await gateway(() => ({}));
    const seenByProxy: string[] = [];
    // A forward proxy: undici tunnels with CONNECT even for http:// targets.
    const net = await import('node:net');
    const proxy = createServer();
    proxy.on('connect', (req, client, head) => {
      seenByProxy.push(req.url!);
      const [host, port] = req.url!.split(':');
      const upstream = net.connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      await make({ URL: g.url, PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }).send(msg(), ctx());
      expect(seenByProxy).toEqual([`127.0.0.1:${new URL(g.url).port}`]);
      expect(g.seen).toHaveLength(1);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});

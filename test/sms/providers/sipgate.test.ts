import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sipgateProviderSchema } from '../../../src/config/schema.js';
import type { OutgoingSms } from '../../../src/sms/provider.js';
import { createSipgateProvider, readXmlRpcAnswer } from '../../../src/sms/providers/sipgate.js';
import { silentLogger } from '../../../src/util/logger.js';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

const okAnswer =
  '<?xml version="1.0"?><methodResponse><params><param><value><struct><member><name>StatusCode</name><value><int>200</int></value></member><member><name>StatusString</name><value><string>Method success</string></value></member><member><name>SessionID</name><value><string>abc</string></value></member></struct></value></param></params></methodResponse>';
const status = (code: number, text: string) => okAnswer.replace('<int>200</int>', `<int>${code}</int>`).replace('Method success', text);
const fault = (code: number, text: string) =>
  `<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${code}</int></value></member><member><name>faultString</name><value><string>${text}</string></value></member></struct></value></fault></methodResponse>`;

/** An XML-RPC endpoint on loopback that checks basic auth and answers as scripted. */
async function rpc(answer: (body: string, headers: IncomingHttpHeaders) => { status?: number; body: string }) {
  const seen: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ body, headers: req.headers });
      const a = answer(body, req.headers);
      res.writeHead(a.status ?? 200, { 'content-type': 'text/xml' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/RPC2`, seen };
}

const msg = (text = 'Code 123456 <&> ]]> "q"'): OutgoingSms => ({
  id: 'x',
  to: '+49 176 12345678',
  text,
  expiresAt: Date.now() + 60_000,
  attempt: 1,
  resend: false,
  progress: {},
});
const ctx = { signal: new AbortController().signal, checkpoint: async () => {} };
const make = (url: string, cfg: Record<string, unknown> = {}) =>
  createSipgateProvider(sipgateProviderSchema.parse({ id: 'sg', type: 'sipgate', USERNAME: 'u', PASSWORD: 'p', URL: url, ...cfg }), {
    logger: silentLogger,
  });

describe('Sipgate provider (XML-RPC samurai.SessionInitiate)', () => {
  it("sends privacyIDEA's request, with the text escaped, and basic auth", async () => {
    const g = await rpc(() => ({ body: okAnswer }));
    await make(g.url).send(msg(), ctx);
    const { body, headers } = g.seen[0]!;
    expect(headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(headers['content-type']).toBe('text/xml');
    expect(body).toContain('<methodName>samurai.SessionInitiate</methodName>');
    expect(body).toContain('<name>RemoteUri</name><value><string>sip:4917612345678@sipgate.de</string>');
    expect(body).toContain('<name>TOS</name><value><string>text</string>');
    expect(body).toContain('<name>Content</name><value><string>Code 123456 &lt;&amp;&gt; ]]&gt; &quot;q&quot;</string>');
    // The escaped text reads back intact through an XML parser's rules.
    const content = /<name>Content<\/name><value><string>([^<]*)</.exec(body)![1]!;
    expect(
      content
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&'),
    ).toBe('Code 123456 <&> ]]> "q"');
  });

  it('reads the answer: faults and StatusCodes other than 200 fail (privacyIDEA counts them as sent)', async () => {
    let next = fault(2, 'Unknown method');
    const g = await rpc(() => ({ body: next }));
    const p = make(g.url);
    expect(await p.send(msg(), ctx).catch((e) => `${e.kind}: ${e.message}`)).toBe('permanent: sipgate fault 2: Unknown method');
    next = status(407, 'Insufficient funds');
    expect(await p.send(msg(), ctx).catch((e) => `${e.kind}: ${e.message}`)).toBe('permanent: sipgate StatusCode 407: Insufficient funds');
    next = status(401, 'Authorization Required');
    expect(await p.send(msg(), ctx).catch((e) => e.message)).toBe('sipgate rejected the credentials (USERNAME/PASSWORD)');
    next = okAnswer;
    expect(await p.send(msg(), ctx)).toEqual({ ok: true, ref: 'sipgate 200' });
  });

  it('HTTP 401 is bad credentials; HTTP 500 is temporary', async () => {
    const g = await rpc((_b, h) =>
      h.authorization?.includes(Buffer.from('u:p').toString('base64')) ? { status: 500, body: 'oops' } : { status: 401, body: '' },
    );
    expect(
      await make(g.url, { PASSWORD: 'wrong' })
        .send(msg(), ctx)
        .catch((e) => `${e.kind}: ${e.message}`),
    ).toBe('permanent: sipgate rejected the credentials (USERNAME/PASSWORD)');
    expect(
      await make(g.url)
        .send(msg(), ctx)
        .catch((e) => `${e.kind} ${e.code}`),
    ).toBe('temporary HTTP 500');
  });

  it('parses XML-RPC answers', () => {
    expect(readXmlRpcAnswer(okAnswer)).toEqual({ statusCode: 200, statusString: 'Method success' });
    expect(readXmlRpcAnswer(fault(401, 'no auth'))).toEqual({ fault: { code: 401, message: 'no auth' } });
  });
});

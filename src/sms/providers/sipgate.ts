import { Agent, ProxyAgent, request, errors, type Dispatcher } from 'undici';
import type { SipgateProviderConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { SendFailure, type OutgoingSms, type SendContext, type SendOk, type SmsProvider } from '../provider.js';
import { gatewayProvider, readTextLimited } from './gateway.js';
import { ProviderCounters } from './counters.js';
import { compilePhoneRewrite } from './phone-rewrite.js';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** privacyIDEA's Sipgate request: samurai.SessionInitiate with one struct, text escaped this time. */
export function sessionInitiateXml(remoteUri: string, text: string): string {
  const member = (name: string, value: string) => `<member><name>${name}</name><value><string>${xmlEscape(value)}</string></value></member>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodCall><methodName>samurai.SessionInitiate</methodName><params><param><value><struct>${member('RemoteUri', remoteUri)}${member('TOS', 'text')}${member('Content', text)}</struct></value></param></params></methodCall>`;
}

/** The parts of an XML-RPC answer we act on: a fault, or the struct's StatusCode/StatusString. */
export function readXmlRpcAnswer(xml: string): { fault?: { code: number; message: string }; statusCode?: number; statusString?: string } {
  const member = (name: string) =>
    new RegExp(`<name>\\s*${name}\\s*</name>\\s*<value>\\s*(?:<(?:int|i4|string)>)?([^<]*)`, 's').exec(xml)?.[1]?.trim();
  if (/<fault>/.test(xml)) {
    return { fault: { code: Number(member('faultCode') ?? NaN), message: member('faultString') ?? 'XML-RPC fault' } };
  }
  const code = member('StatusCode');
  return { statusCode: code === undefined ? undefined : Number(code), statusString: member('StatusString') };
}

/**
 * privacyIDEA's Sipgate provider, done right: the XML-RPC request is built here (the `xmlrpc`
 * package has no proxy, timeout or abort support) with the text escaped, and the answer is read:
 * an XML-RPC fault or a StatusCode other than 200 is a failure, not a success.
 */
export function createSipgateProvider(cfg: SipgateProviderConfig, deps: { logger: Logger; clock?: Clock | undefined }): SmsProvider {
  const clock = deps.clock ?? systemClock;
  const rewrite = compilePhoneRewrite(cfg.REGEXP);
  const url = new URL(cfg.URL);
  const timeoutMs = cfg.TIMEOUT * 1000;
  const dispatcher: Dispatcher = cfg.PROXY
    ? new ProxyAgent({ uri: cfg.PROXY, connect: { timeout: timeoutMs } })
    : new Agent({ connect: { timeout: timeoutMs } });
  const auth = `Basic ${Buffer.from(`${cfg.USERNAME}:${cfg.PASSWORD}`).toString('base64')}`;
  const counters = new ProviderCounters();
  const badCredentials = () => new SendFailure('permanent', 'sipgate rejected the credentials (USERNAME/PASSWORD)', 'auth');

  return gatewayProvider({
    id: cfg.id,
    type: 'sipgate',
    detail: () => ({ url: url.origin, ...counters.view() }),
    close: () => dispatcher.close().catch(() => {}),
    async send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
      const digits = rewrite(msg.to).replace(/\s+/g, '').replace(/^\+/, '');
      if (!/^\d{3,20}$/.test(digits)) throw counters.fail(new SendFailure('permanent', 'the number is not digits after REGEXP', 'bad number'));
      const t0 = clock.now();
      let status: number;
      let text: string;
      try {
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'text/xml', authorization: auth },
          body: sessionInitiateXml(`sip:${digits}@sipgate.de`, msg.text),
          dispatcher,
          signal: ctx.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        status = res.statusCode;
        text = await readTextLimited(res.body);
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e instanceof errors.HeadersTimeoutError || e instanceof errors.BodyTimeoutError || ctx.signal.aborted) {
          throw counters.fail(new SendFailure('ambiguous', `no answer from sipgate within ${cfg.TIMEOUT} s`, 'timeout'));
        }
        throw counters.fail(new SendFailure('unavailable', `cannot reach ${url.host}: ${e.code ?? e.message}`, e.code ?? 'connect'));
      }
      counters.latency(clock.now() - t0);
      if (status === 401 || status === 403) throw counters.fail(badCredentials());
      if (status !== 200)
        throw counters.fail(
          new SendFailure(status >= 500 || status === 429 ? 'temporary' : 'permanent', `sipgate answered HTTP ${status}`, `HTTP ${status}`),
        );
      const answer = readXmlRpcAnswer(text);
      if (answer.fault) {
        const { code, message } = answer.fault;
        if (code === 401 || code === 403 || /auth|credential|password/i.test(message)) throw counters.fail(badCredentials());
        throw counters.fail(new SendFailure('permanent', `sipgate fault ${code}: ${message}`, `fault ${code}`));
      }
      if (answer.statusCode !== 200) {
        if (answer.statusCode === 401 || answer.statusCode === 403) throw counters.fail(badCredentials());
        throw counters.fail(
          new SendFailure(
            'permanent',
            `sipgate StatusCode ${answer.statusCode ?? 'missing'}${answer.statusString ? `: ${answer.statusString}` : ''}`,
            `status ${answer.statusCode}`,
          ),
        );
      }
      counters.ok();
      return { ok: true, ref: 'sipgate 200' };
    },
  });
}

import { Agent, ProxyAgent, request, errors, type Dispatcher } from 'undici';
import type { HttpProviderConfig } from '../../config/schema.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import { maskPhone, scrubDigits, type Logger } from '../../util/logger.js';
import { SendFailure, type OutgoingSms, type SendContext, type SendOk, type SmsProvider } from '../provider.js';
import { gatewayProvider, readTextLimited } from './gateway.js';
import { compilePhoneRewrite } from './phone-rewrite.js';
import { ProviderCounters } from './counters.js';

const truthy = (v: string | boolean | undefined, def: boolean) => (v === undefined ? def : v === true || v === 'yes');

/**
 * privacyIDEA's HTTP SMS provider, option for option (URL, HTTP_METHOD, USERNAME/PASSWORD,
 * CHECK_SSL, SEND_DATA_AS_JSON, RETURN_SUCCESS/RETURN_FAIL, REGEXP, PROXY/HTTP_PROXY/HTTPS_PROXY,
 * TIMEOUT, the legacy SMS_PHONENUMBER_KEY/SMS_TEXT_KEY/PARAMETER, new-style options and headers).
 * Success as privacyIDEA decides it: status 200/201/202, then RETURN_SUCCESS, else RETURN_FAIL.
 */
export function createHttpProvider(cfg: HttpProviderConfig, deps: { logger: Logger; clock?: Clock | undefined }): SmsProvider {
  const clock = deps.clock ?? systemClock;
  const rewrite = compilePhoneRewrite(cfg.REGEXP);
  const url = new URL(cfg.URL);
  let username = cfg.USERNAME;
  let password = cfg.PASSWORD;
  // privacyIDEA: credentials in the URL are used when USERNAME/PASSWORD are not set.
  if (!username && url.username) {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  }
  url.username = '';
  url.password = '';
  const verify = truthy(cfg.CHECK_SSL, true);
  const timeoutMs = cfg.TIMEOUT * 1000;
  const proxy = (url.protocol === 'https:' ? cfg.HTTPS_PROXY : cfg.HTTP_PROXY) ?? cfg.PROXY;
  const dispatcher: Dispatcher = proxy
    ? new ProxyAgent({ uri: proxy, requestTls: { rejectUnauthorized: verify }, connect: { timeout: timeoutMs } })
    : new Agent({ connect: { rejectUnauthorized: verify, timeout: timeoutMs } });
  const counters = new ProviderCounters();

  const parameters = (phone: string, text: string): Record<string, unknown> => {
    if (cfg.options) {
      // New-style gateway: {otp} is the whole SMS text, {phone} the rewritten number; a value
      // that parses as JSON afterwards is sent as that JSON value (privacyIDEA does the same).
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(cfg.options)) {
        const filled = v.split('{otp}').join(text).split('{phone}').join(phone);
        try {
          out[k] = JSON.parse(filled);
        } catch {
          out[k] = filled;
        }
      }
      return out;
    }
    return { ...(cfg.PARAMETER ?? {}), [cfg.SMS_PHONENUMBER_KEY ?? 'phone']: phone, [cfg.SMS_TEXT_KEY ?? 'sms']: text };
  };

  const formEncode = (p: Record<string, unknown>) => {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    return form.toString();
  };

  return gatewayProvider({
    id: cfg.id,
    type: 'http',
    detail: () => ({ url: `${url.origin}${url.pathname}`, ...counters.view() }),
    close: () => dispatcher.close().catch(() => {}),
    async send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk> {
      const phone = rewrite(msg.to);
      const params = parameters(phone, msg.text);
      const headers: Record<string, string> = { ...(cfg.headers ?? {}) };
      if (username !== undefined && password !== undefined)
        headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      const target = new URL(url);
      let body: string | undefined;
      if (cfg.HTTP_METHOD === 'GET') {
        target.search = [url.search.slice(1), formEncode(params)].filter(Boolean).join('&');
      } else if (truthy(cfg.SEND_DATA_AS_JSON, false)) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(params);
      } else {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = formEncode(params);
      }
      const t0 = clock.now();
      try {
        // undici's connect timeout means nothing reached the gateway; its headers and body
        // timeouts start once the request is written, so those outcomes are unknown.
        const res = await request(target, {
          method: cfg.HTTP_METHOD,
          headers,
          body,
          dispatcher,
          signal: ctx.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const text = await readTextLimited(res.body);
        counters.latency(clock.now() - t0);
        const status = res.statusCode;
        if (![200, 201, 202].includes(status)) {
          const kind = status === 408 || status === 429 || status >= 500 ? 'temporary' : 'permanent';
          const why = status === 401 || status === 403 ? ': the gateway rejected the credentials' : '';
          throw counters.fail(new SendFailure(kind, `SMS could not be sent: HTTP ${status}${why}`, `HTTP ${status}`));
        }
        if (cfg.RETURN_SUCCESS !== undefined) {
          if (!text.includes(cfg.RETURN_SUCCESS)) {
            throw counters.fail(
              new SendFailure(
                'permanent',
                `We received a none success reply from the SMS Gateway: ${scrubDigits(text.slice(0, 200))}`,
                'RETURN_SUCCESS',
              ),
            );
          }
        } else if (cfg.RETURN_FAIL !== undefined && text.includes(cfg.RETURN_FAIL)) {
          throw counters.fail(new SendFailure('permanent', 'We received the predefined error from the SMS Gateway.', 'RETURN_FAIL'));
        }
        counters.ok();
        deps.logger.debug({ to: maskPhone(msg.to), status }, 'http provider: sent');
        return { ok: true, ref: `HTTP ${status}` };
      } catch (err) {
        if (err instanceof SendFailure) throw err;
        const e = err as Error & { code?: string };
        if (ctx.signal.aborted) throw counters.fail(new SendFailure('ambiguous', 'cancelled while the request was open', 'aborted'));
        if (e instanceof errors.HeadersTimeoutError || e instanceof errors.BodyTimeoutError) {
          throw counters.fail(
            new SendFailure('ambiguous', `no answer from ${url.host} within ${cfg.TIMEOUT} s: it may have sent the SMS`, 'timeout'),
          );
        }
        if (e instanceof errors.ConnectTimeoutError)
          throw counters.fail(new SendFailure('unavailable', `cannot connect to ${url.host} within ${cfg.TIMEOUT} s`, 'connect timeout'));
        throw counters.fail(new SendFailure('unavailable', `cannot reach ${url.host}: ${e.code ?? e.message}`, e.code ?? 'connect'));
      }
    },
  });
}

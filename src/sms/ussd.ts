import type { SmsProvider } from './provider.js';

/**
 * USSD requests (balance, credit, the operator's menus) on one modem, for
 * `smsotpd modem ussd MODEM_ID CODE` and POST /modem/<id>/ussd. The code is checked here,
 * before any provider sees it: it ends up inside an AT command line (`AT+CUSD=1,"<code>",15`).
 */

/** The USSD alphabet (3GPP 22.030: digits, `*`, `#`, and `+` in supplementary-service codes). */
const USSD_CODE_RE = /^[0-9*#+]+$/;
export const USSD_CODE_MAX = 32;
const MODEM_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const ANSWER_MAX = 1000;
export const USSD_TIMEOUT_DEFAULT_MS = 20_000;

export type UssdErrorKind = 'invalid' | 'unknown-modem' | 'unsupported' | 'timeout' | 'failed';

export class UssdError extends Error {
  override name = 'UssdError';
  constructor(
    readonly kind: UssdErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function checkUssdCode(code: unknown): string {
  if (typeof code !== 'string' || code.length === 0) throw new UssdError('invalid', 'USSD code missing');
  if (code.length > USSD_CODE_MAX) throw new UssdError('invalid', `USSD code too long (at most ${USSD_CODE_MAX} characters)`);
  if (!USSD_CODE_RE.test(code)) throw new UssdError('invalid', 'invalid USSD code: use only digits, *, # and + (e.g. *100#)');
  return code;
}

export function checkModemId(id: unknown): string {
  if (typeof id !== 'string' || !MODEM_ID_RE.test(id)) throw new UssdError('invalid', 'invalid modem id: 1-64 of A-Z a-z 0-9 _ . -');
  return id;
}

export interface UssdAnswer {
  modem: string;
  provider: string;
  answer: string;
}

export class Ussd {
  constructor(private readonly providers: SmsProvider[]) {}

  /** Every modem known to a provider, with whether that provider can run USSD. */
  modems(): Array<{ modem: string; provider: SmsProvider }> {
    const out: Array<{ modem: string; provider: SmsProvider }> = [];
    for (const p of this.providers) {
      const list = (p.status().detail as { modems?: unknown }).modems;
      const ids = Array.isArray(list)
        ? list.map((m) => (m && typeof m === 'object' ? (m as { id?: unknown }).id : undefined)).filter((id): id is string => typeof id === 'string')
        : [];
      if (!ids.length && p.ussd) ids.push(p.id);
      for (const modem of ids) out.push({ modem, provider: p });
    }
    return out;
  }

  async run(modemId: string, code: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<UssdAnswer> {
    checkModemId(modemId);
    checkUssdCode(code);
    const known = this.modems();
    const hit = known.find((m) => m.modem === modemId);
    if (!hit) {
      const names = known.map((m) => m.modem);
      throw new UssdError('unknown-modem', `no modem "${modemId}"${names.length ? ` (modems: ${names.join(', ')})` : ' (no modems configured)'}`);
    }
    if (!hit.provider.ussd)
      throw new UssdError('unsupported', `modem "${modemId}" (provider ${hit.provider.id}, type ${hit.provider.type}) cannot run USSD`);
    const timeoutMs = opts.timeoutMs ?? USSD_TIMEOUT_DEFAULT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    // A provider that ignores the signal must not hold the request beyond its timeout.
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const r = await Promise.race([hit.provider.ussd(code, { modemId, signal }), aborted]);
      const answer = typeof r?.answer === 'string' ? r.answer.slice(0, ANSWER_MAX) : '';
      return { modem: typeof r?.modemId === 'string' ? r.modemId : modemId, provider: hit.provider.id, answer };
    } catch (err) {
      if (timeout.aborted) throw new UssdError('timeout', `no USSD answer from modem "${modemId}" within ${Math.round(timeoutMs / 1000)} s`);
      if (err instanceof UssdError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new UssdError('failed', `USSD on modem "${modemId}" failed: ${msg.slice(0, 300)}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      aborted.catch(() => {});
    }
  }
}

import type { ChallengedToken, Verdict } from '../../token/validate.js';

/**
 * privacyIDEA's `detail` for /validate/check and /validate/triggerchallenge, rendered from the
 * token's verdict. Key order and every key's presence are what privacyIDEA 3.11 sends: clients
 * (FreeRADIUS's plugin, privacyidea-pam, Keycloak's provider) look for them by name, and the
 * tests in test/api/views/validate.test.ts pin the bytes.
 */

/** privacyIDEA's `valid_until`: naive server-local time with microseconds. */
export function validUntil(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** The challenge answer: each token in multi_challenge, the last (newest) one also at the top level. */
function challengeDetail(message: string, tokens: readonly ChallengedToken[]) {
  const multi = tokens.map((t) => ({
    transaction_id: t.challenge!.transactionId,
    serial: t.serial,
    type: 'sms',
    client_mode: 'interactive',
    message,
    attributes: { state: t.challenge!.transactionId, valid_until: validUntil(t.challenge!.expiresAt) },
  }));
  const last = multi[multi.length - 1]!;
  return {
    message,
    messages: multi.map((m) => m.message),
    multi_challenge: multi,
    transaction_id: last.transaction_id,
    transaction_ids: multi.map((m) => m.transaction_id),
    serial: last.serial,
    type: 'sms',
    client_mode: 'interactive',
    attributes: last.attributes,
    preferred_client_mode: 'interactive',
  };
}

/** The detail of a /validate/check answer. */
export function checkDetail(v: Verdict): Record<string, unknown> {
  switch (v.kind) {
    case 'noToken':
    case 'rejected':
      return { message: v.message };
    // privacyIDEA sends the challenge keys, empty, with every answer that could have been one.
    case 'noChallenge':
      return { message: v.message, messages: [], multi_challenge: [], transaction_ids: [] };
    case 'notSent':
      return { message: v.message, messages: [v.message], multi_challenge: [], transaction_ids: [] };
    case 'challenged':
      return challengeDetail(v.message, v.tokens);
    case 'challengeAnswered':
      return { message: v.message, serial: v.serial };
    case 'challengeFailed':
      return { message: v.message, serial: v.serial, type: 'sms' };
    case 'pinOtp':
      return { message: v.message, serial: v.serial, type: 'sms', otplen: v.otpLength };
  }
}

/** The detail of a /validate/triggerchallenge answer: with no token, the empty lists and no message. */
export function triggerDetail(v: Verdict): Record<string, unknown> {
  return v.kind === 'noToken' ? { messages: [], multi_challenge: [], transaction_ids: [] } : checkDetail(v);
}

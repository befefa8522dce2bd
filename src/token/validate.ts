import { randomInt } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Change, OutboxRecord, TokenRecord, UserRecord } from '../store/types.js';
import { renderSmsText } from '../sms/template.js';
import { buildQueuedMessage } from '../sms/outbox.js';
import { internalError, parameterError } from './errors.js';
import { hotpValue } from './hotp.js';
import { safeEqual } from './secrets.js';
import type { TokenContext } from './registry.js';
import type { FirstFactor, LoginDirectory } from '../directory/directory.js';

export const SMS_SEND_FAILED = 'The PIN was correct, but the SMS could not be sent!';

export interface CheckParams {
  user?: string | undefined;
  realm?: string | undefined;
  serial?: string | undefined;
  pass: string;
  transactionId?: string | undefined;
  /** privacyIDEA's `exception=1`: SMS failures become HTTP 500. */
  exception?: boolean;
  /** Free text for the {challenge} SMS tag. */
  challenge?: string | undefined;
}

export type Authentication = 'ACCEPT' | 'REJECT' | 'CHALLENGE';

export interface CheckOutcome {
  value: boolean;
  authentication: Authentication;
  detail: Record<string, unknown>;
  /** For the audit log: which user and tokens the request concerned. */
  audit: { user?: string; realm?: string; serials: string[]; reason: string };
}

/** What the SMS side offers the token logic: a deliverability check and a wake-up. */
export interface SmsQueue {
  canDeliverBy(expiresAt: number): boolean;
  enqueued(id: string): void;
}

export interface ValidatorDeps extends TokenContext {
  sms: SmsQueue;
  config: Pick<Config, 'token' | 'limits'> & { sms: { text: string } };
  /** Realms, directory users and the realm's PIN policy; without it the local table only. */
  directory?: LoginDirectory;
}

/** privacyIDEA's transaction id: 20 random decimal digits. */
export function newTransactionId(): string {
  let s = String(randomInt(1, 10));
  for (let i = 0; i < 19; i++) s += String(randomInt(0, 10));
  return s;
}

/** privacyIDEA's `valid_until`: naive server-local time with microseconds. */
function validUntil(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

type Eligibility = { ok: true; token: TokenRecord } | { ok: false; reason: string; token: TokenRecord };

export class Validator {
  constructor(private readonly d: ValidatorDeps) {}

  /** `POST /validate/check`. */
  async check(p: CheckParams): Promise<CheckOutcome> {
    const { owner, tokens, firstFactor } = await this.selectTokens(p);
    const auditBase = { user: owner?.login, realm: owner?.realm, serials: tokens.map((t) => t.serial) };
    if (tokens.length === 0) {
      const message = owner ? 'The user has no tokens assigned' : 'No suitable token found for authentication.';
      return { value: false, authentication: 'REJECT', detail: { message }, audit: { ...auditBase, reason: message } };
    }
    return this.d.mutex.run(
      tokens.map((t) => t.serial),
      async () => {
        // Re-read under the lock: another request may have changed them while we waited.
        const fresh = tokens.map((t) => this.d.tokens.get(t.serial)).filter((t): t is TokenRecord => !!t);
        const outcome = p.transactionId !== undefined
          ? await this.answerChallenge(fresh, p.transactionId, p.pass)
          : await this.checkPass(fresh, owner, p, firstFactor);
        return { ...outcome, audit: { ...auditBase, ...outcome.audit } };
      },
    );
  }

  /**
   * `POST /validate/triggerchallenge`: an admin sends the SMS without the user's PIN
   * (privacyIDEA: every active challenge-capable token of the user).
   */
  async trigger(p: Omit<CheckParams, 'pass' | 'transactionId'>): Promise<CheckOutcome & { count: number }> {
    const { owner, tokens } = await this.selectTokens({ ...p, pass: '' });
    const auditBase = { user: owner?.login, realm: owner?.realm, serials: tokens.map((t) => t.serial) };
    if (tokens.length === 0) {
      const message = owner ? 'The user has no tokens assigned' : 'No suitable token found for authentication.';
      return { value: false, authentication: 'REJECT', count: 0, detail: { message }, audit: { ...auditBase, reason: message } };
    }
    return this.d.mutex.run(
      tokens.map((t) => t.serial),
      async () => {
        const fresh = tokens.map((t) => this.d.tokens.get(t.serial)).filter((t): t is TokenRecord => !!t);
        const out = await this.createChallenges(fresh, owner, p);
        const count = Array.isArray(out.detail.transaction_ids) ? out.detail.transaction_ids.length : 0;
        return { ...out, count, audit: { ...auditBase, ...out.audit } };
      },
    );
  }

  private async selectTokens(p: CheckParams): Promise<{ owner: UserRecord | undefined; tokens: TokenRecord[]; firstFactor?: FirstFactor | undefined }> {
    if (!p.user && !p.serial) throw parameterError('ERR905: You need to specify a serial, user or credential_id.');
    if (p.serial !== undefined && p.serial.includes('*')) throw parameterError('ERR905: Invalid serial number.');
    if (p.user !== undefined && p.user.includes('%')) throw parameterError('ERR905: Invalid user.');
    // Realms, resolvers and the PIN policy live in src/directory; this is the one call into it.
    if (this.d.directory) return this.d.directory.scope(p, this.d.tokens);
    let owner: UserRecord | undefined;
    let tokens: TokenRecord[];
    if (p.user) {
      const { login, realm } = this.d.users.resolveName(p.user, p.realm);
      owner = this.d.users.require(login, realm);
      tokens = this.d.tokens.ofUser(login, realm);
      if (p.serial !== undefined) {
        tokens = tokens.filter((t) => t.serial === p.serial);
        if (tokens.length === 0) throw parameterError('ERR905: Given serial does not belong to given user!');
      }
    } else {
      const t = this.d.tokens.get(p.serial!);
      tokens = t ? [t] : [];
      if (t?.user && t.realm) owner = this.d.users.get(t.user, t.realm);
    }
    return { owner, tokens };
  }

  /**
   * privacyIDEA's check_all for one token: failcounter (with the optional clear timeout) and
   * the active flag. A cleared failcounter is returned as a changed record to commit.
   */
  private eligible(t: TokenRecord, now: number): Eligibility {
    if (!t.active) return { ok: false, reason: 'Token is disabled', token: t };
    if (t.failCount >= t.maxFail) {
      const clearMin = this.d.config.token.failCounterClearTimeout;
      if (clearMin > 0 && t.failExceededAt !== null && now - t.failExceededAt >= clearMin * 60_000) {
        return { ok: true, token: { ...t, failCount: 0, failExceededAt: null } };
      }
      return { ok: false, reason: 'Failcounter exceeded', token: t };
    }
    return { ok: true, token: t };
  }

  private failed(t: TokenRecord, now: number): TokenRecord {
    const failCount = Math.min(t.maxFail, t.failCount + 1);
    return { ...t, failCount, failExceededAt: failCount >= t.maxFail ? (t.failExceededAt ?? now) : t.failExceededAt, countAuth: t.countAuth + 1 };
  }

  /** A success clears the challenge: its OTP can never be accepted again, and the next one has a higher counter. */
  private succeeded(t: TokenRecord, usedCounter: number): TokenRecord {
    return {
      ...t,
      counter: Math.max(t.counter, usedCounter),
      challenge: null,
      failCount: 0,
      failExceededAt: null,
      countAuth: t.countAuth + 1,
      countAuthSuccess: t.countAuthSuccess + 1,
    };
  }

  private otpMatches(t: TokenRecord, counter: number, otp: string): boolean {
    const seed = this.d.secrets.decrypt(t.keyEnc);
    return safeEqual(hotpValue(seed, counter, t.otpLength, t.hashlib), otp);
  }

  private async commitTokens(list: TokenRecord[], extra: Change[] = []): Promise<void> {
    const changes: Change[] = list.map((t) => ({ c: 'tokens', k: t.serial, v: t }));
    changes.push(...extra);
    if (changes.length) await this.d.store.commit(changes);
  }

  /** Step 2: `transaction_id` (or `state`) plus the OTP from the SMS. No PIN on this path. */
  private async answerChallenge(tokens: TokenRecord[], tid: string, otp: string): Promise<Omit<CheckOutcome, 'audit'> & { audit: { reason: string } }> {
    const now = this.d.clock.now();
    const withTx = tokens.filter((t) => t.challenge?.transactionId === tid);
    if (withTx.length === 0) {
      // privacyIDEA: an unknown (or purged) transaction lands the tokens in the invalid list.
      if (this.d.config.token.incFailCountOnFalsePin) await this.commitTokens(tokens.map((t) => this.failed(t, now)));
      return { value: false, authentication: 'REJECT', detail: { message: 'wrong otp pin' }, audit: { reason: 'unknown transaction_id' } };
    }
    const checks = withTx.map((t) => this.eligible(t, now));
    const usable = checks.filter((c): c is { ok: true; token: TokenRecord } => c.ok).map((c) => c.token);
    if (usable.length === 0) {
      const reason = checks[0]!.ok ? '' : (checks[0] as { reason: string }).reason;
      return { value: false, authentication: 'REJECT', detail: { message: reason, serial: withTx[0]!.serial, type: 'sms' }, audit: { reason } };
    }
    const live = usable.filter((t) => t.challenge!.expiresAt > now);
    const winner = live.find((t) => this.otpMatches(t, t.challenge!.counter, otp));
    if (winner) {
      await this.commitTokens([this.succeeded(winner, winner.challenge!.counter)]);
      return { value: true, authentication: 'ACCEPT', detail: { message: 'Found matching challenge', serial: winner.serial }, audit: { reason: 'challenge answered' } };
    }
    if (live.length === 0) {
      // Expiry is enforced on every path; a late answer is told so, and costs no failcount
      // when it was right (the user did nothing wrong but be slow).
      const lateButRight = usable.some((t) => this.otpMatches(t, t.challenge!.counter, otp));
      if (!lateButRight) await this.commitTokens(usable.map((t) => this.failed(t, now)));
      return { value: false, authentication: 'REJECT', detail: { message: 'The challenge has expired.', serial: usable[0]!.serial, type: 'sms' }, audit: { reason: 'challenge expired' } };
    }
    await this.commitTokens(usable.map((t) => ({ ...this.failed(t, now), challenge: t.challenge && { ...t.challenge, receivedCount: t.challenge.receivedCount + 1 } })));
    const message = usable.length === 1 ? 'Response did not match the challenge.' : `Response did not match for ${usable.length} tokens.`;
    return { value: false, authentication: 'REJECT', detail: { message, serial: usable[0]!.serial, type: 'sms' }, audit: { reason: 'wrong otp' } };
  }

  private async pinMatches(t: TokenRecord, pin: string): Promise<boolean> {
    if (t.pinHash === null) return pin === '';
    return this.d.secrets.verify(pin, t.pinHash);
  }

  /** No transaction: the pass is the PIN alone (step 1) or PIN and OTP together. */
  private async checkPass(tokens: TokenRecord[], owner: UserRecord | undefined, p: CheckParams, firstFactor?: FirstFactor): Promise<Omit<CheckOutcome, 'audit'> & { audit: { reason: string } }> {
    const now = this.d.clock.now();
    // The realm's otppin policy (userstore: the directory password) replaces the token PIN.
    const pinMatches = firstFactor ?? ((t: TokenRecord, pin: string) => this.pinMatches(t, pin));
    // One KDF per token when the pass is the PIN: step 1 of every login pays only that.
    const asPin = await Promise.all(tokens.map((t) => pinMatches(t, p.pass)));
    const pinOnly = tokens.filter((_, i) => asPin[i]);
    if (pinOnly.length) return this.createChallenges(pinOnly, owner, p);

    const tokenCfg = this.d.config.token;
    const split = await Promise.all(
      tokens.map(async (t) => {
        if (p.pass.length < t.otpLength) return null;
        const pin = tokenCfg.prependPin ? p.pass.slice(0, p.pass.length - t.otpLength) : p.pass.slice(t.otpLength);
        const otp = tokenCfg.prependPin ? p.pass.slice(p.pass.length - t.otpLength) : p.pass.slice(0, t.otpLength);
        return (await pinMatches(t, pin)) ? otp : null;
      }),
    );
    const pinOtp = tokens.map((t, i) => ({ t, otp: split[i] })).filter((x): x is { t: TokenRecord; otp: string } => x.otp !== null);
    if (pinOtp.length === 0) {
      if (tokenCfg.incFailCountOnFalsePin) await this.commitTokens(tokens.map((t) => this.failed(t, now)));
      return { value: false, authentication: 'REJECT', detail: { message: 'wrong otp pin' }, audit: { reason: 'wrong pin' } };
    }
    const checks = pinOtp.map(({ t, otp }) => ({ e: this.eligible(t, now), otp }));
    const usable = checks.filter((c) => c.e.ok).map((c) => ({ t: c.e.token, otp: c.otp }));
    if (usable.length === 0) {
      const first = checks[0]!.e as { reason: string; token: TokenRecord };
      return { value: false, authentication: 'REJECT', detail: { message: first.reason, serial: first.token.serial, type: 'sms' }, audit: { reason: first.reason } };
    }
    // PIN+OTP in one pass counts only for an OTP that was sent and has not expired
    // (privacyIDEA's issue 496 loophole closed).
    const winner = usable.find(({ t, otp }) => t.challenge && t.challenge.expiresAt > now && this.otpMatches(t, t.challenge.counter, otp));
    if (winner) {
      await this.commitTokens([this.succeeded(winner.t, winner.t.challenge!.counter)]);
      return {
        value: true,
        authentication: 'ACCEPT',
        detail: { message: 'matching 1 tokens', serial: winner.t.serial, type: 'sms', otplen: winner.t.otpLength },
        audit: { reason: 'pin+otp' },
      };
    }
    await this.commitTokens(usable.map(({ t }) => this.failed(t, now)));
    const first = usable[0]!.t;
    return { value: false, authentication: 'REJECT', detail: { message: 'wrong otp value', serial: first.serial, type: 'sms', otplen: first.otpLength }, audit: { reason: 'wrong otp' } };
  }

  /** Step 1: a challenge per eligible token, one shared transaction id, SMS queued durably. */
  private async createChallenges(tokens: TokenRecord[], owner: UserRecord | undefined, p: Pick<CheckParams, 'exception' | 'challenge'>): Promise<Omit<CheckOutcome, 'audit'> & { audit: { reason: string } }> {
    const now = this.d.clock.now();
    const cfg = this.d.config;
    const checks = tokens.map((t) => this.eligible(t, now));
    const usable = checks.filter((c): c is { ok: true; token: TokenRecord } => c.ok).map((c) => c.token);
    if (usable.length === 0) {
      const first = checks[0] as { reason: string; token: TokenRecord };
      return { value: false, authentication: 'REJECT', detail: { message: first.reason, serial: first.token.serial, type: 'sms' }, audit: { reason: first.reason } };
    }

    const blockingMs = cfg.token.blockingWindow * 1000;
    const windowMs = cfg.limits.smsWindow * 1000;
    const tid = newTransactionId();
    const changed: TokenRecord[] = [];
    const outbox: OutboxRecord[] = [];
    const issued: TokenRecord[] = [];
    let limited: string | null = null;
    let unsendable = false;

    for (const t of usable) {
      const c = t.challenge;
      if (c && c.expiresAt > now && now - c.createdAt < blockingMs) {
        // Blocking window: the SMS already sent is still valid; send no second one.
        issued.push(t);
        continue;
      }
      const recent = t.recentChallenges.filter((x) => now - x < windowMs);
      if (recent.length >= cfg.limits.smsPerWindow) {
        limited = `SMS limit reached: at most ${cfg.limits.smsPerWindow} SMS per ${Math.round(cfg.limits.smsWindow / 60)} minutes for this token.`;
        continue;
      }
      const phone = t.dynamicPhone ? (owner?.mobile ?? null) : t.phone;
      const expiresAt = now + cfg.token.challengeValidity * 1000;
      if (!phone || !this.d.sms.canDeliverBy(expiresAt)) {
        unsendable = true;
        continue;
      }
      const counter = t.counter + 1;
      const otp = hotpValue(this.d.secrets.decrypt(t.keyEnc), counter, t.otpLength, t.hashlib);
      const text = renderSmsText(cfg.sms.text, {
        otp,
        serial: t.serial,
        username: owner?.login,
        givenname: owner?.givenname,
        surname: owner?.surname,
        userrealm: owner?.realm,
        challenge: p.challenge,
        now,
      });
      const { record } = buildQueuedMessage({ to: phone, text, expiresAt, origin: 'challenge' }, now, (s) => this.d.secrets.encrypt(s));
      outbox.push(record);
      const next: TokenRecord = {
        ...t,
        counter,
        recentChallenges: [...recent, now].slice(-cfg.limits.smsPerWindow),
        challenge: { transactionId: tid, counter, createdAt: now, expiresAt, messageId: record.id, receivedCount: 0 },
      };
      changed.push(next);
      issued.push(next);
    }

    if (issued.length === 0) {
      if (limited && !unsendable) {
        return { value: false, authentication: 'REJECT', detail: { message: limited }, audit: { reason: 'sms rate limit' } };
      }
      if (p.exception) throw internalError(SMS_SEND_FAILED);
      return {
        value: false,
        authentication: 'REJECT',
        detail: { message: SMS_SEND_FAILED, messages: [SMS_SEND_FAILED], multi_challenge: [], transaction_ids: [] },
        audit: { reason: 'no provider can deliver' },
      };
    }

    await this.commitTokens(changed, outbox.map((r) => ({ c: 'outbox' as const, k: r.id, v: r })));
    for (const r of outbox) this.d.sms.enqueued(r.id);

    const text = cfg.token.challengeText;
    const multi = issued.map((t) => ({
      transaction_id: t.challenge!.transactionId,
      serial: t.serial,
      type: 'sms',
      client_mode: 'interactive',
      message: text,
      attributes: { state: t.challenge!.transactionId, valid_until: validUntil(t.challenge!.expiresAt) },
    }));
    const last = multi[multi.length - 1]!;
    return {
      value: false,
      authentication: 'CHALLENGE',
      detail: {
        message: text,
        messages: multi.map((m) => m.message),
        multi_challenge: multi,
        transaction_id: last.transaction_id,
        transaction_ids: multi.map((m) => m.transaction_id),
        serial: last.serial,
        type: 'sms',
        client_mode: 'interactive',
        attributes: last.attributes,
        preferred_client_mode: 'interactive',
      },
      audit: { reason: outbox.length ? 'challenge sent' : 'challenge outstanding (blocking window)' },
    };
  }
}

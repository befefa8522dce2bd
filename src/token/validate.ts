import { randomInt } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { ActiveChallenge, Change, TokenRecord, UserRecord } from '../store/types.js';
import { renderSmsText } from '../sms/template.js';
import type { Enqueue, NewMessage } from '../sms/outbox.js';
import { internalError, parameterError } from './errors.js';
import { hotpValue } from './hotp.js';
import { safeEqual } from './secrets.js';
import type { TokenContext } from './registry.js';
import type { FirstFactor, LoginDirectory } from '../directory/directory.js';
import { addFailure, checkFailCounter } from './policies/failcounter.js';
import { expiryOf, isLive, previousCounters, withinBlockingWindow } from './policies/challenge.js';
import { pinDecision } from './policies/pin.js';
import { checkName } from './names.js';
import { PhoneWindow, recordSms, underLimit, type SmsLimit } from './policies/sms-limit.js';

export const SMS_SEND_FAILED = 'The PIN was correct, but the SMS could not be sent!';
/** privacyIDEA's answer when the PIN matched only disabled tokens: no serial, no type. */
export const NO_ACTIVE_TOKEN = 'No active challenge response token found';
export const FAILCOUNTER_EXCEEDED = 'Failcounter exceeded';
export const PREVIOUS_OTP = 'wrong otp value. previous otp used again';

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

/** A token and the challenge it was sent (a TokenRecord is one: nothing is copied per login). */
export interface ChallengedToken {
  readonly serial: string;
  readonly challenge: Readonly<Pick<ActiveChallenge, 'transactionId' | 'expiresAt'>> | null;
}

/**
 * What a login step came to, in the token's own terms; api/views/validate.ts renders
 * privacyIDEA's detail from it. `message` is the sentence the user is shown.
 */
export type Verdict =
  /** No token to check: an unknown serial, or a user without tokens. */
  | { kind: 'noToken'; message: string }
  /** Refused before a token is named: a wrong PIN, an unknown transaction. */
  | { kind: 'rejected'; message: string }
  /** The PIN was right, but no challenge was made: the tokens are disabled or locked, or an SMS limit is reached. */
  | { kind: 'noChallenge'; message: string }
  /** The PIN was right, but no provider can deliver the SMS in time. */
  | { kind: 'notSent'; message: string }
  /** A challenge per token (new, or inside the blocking window the outstanding one); the last one is the newest. */
  | { kind: 'challenged'; message: string; tokens: readonly ChallengedToken[] }
  /** Step 2, the right OTP for the challenge. */
  | { kind: 'challengeAnswered'; message: string; serial: string }
  /** Step 2, a wrong or late OTP. */
  | { kind: 'challengeFailed'; message: string; serial: string }
  /** PIN and OTP in one pass, right or wrong. */
  | { kind: 'pinOtp'; message: string; serial: string; otpLength: number };

/** The verdict with the answer's value and what the audit log records: one object per login step. */
export type CheckOutcome = Verdict & {
  value: boolean;
  authentication: Authentication;
  /** For the audit log: which user and tokens the request concerned. */
  audit: { user?: string; realm?: string; serials: string[]; reason: string };
};

/** What the SMS side offers the token logic: a deliverability check and the outbox's one way in. */
export interface SmsQueue {
  canDeliverBy(expiresAt: number): boolean;
  enqueue: Enqueue;
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

type Eligibility = { ok: true; token: TokenRecord } | { ok: false; reason: string; token: TokenRecord };
type Answer = Verdict & { value: boolean; authentication: Authentication; audit: { reason: string } };

/** Tokens that cannot be used: the reason only, no token details (privacyIDEA names no serial or type to an unauthenticated caller). */
function ineligibleAnswer(checks: Eligibility[]): Answer {
  const reasons = checks.map((c) => (c.ok ? '' : c.reason));
  const message = reasons.every((r) => r === 'Token is disabled')
    ? NO_ACTIVE_TOKEN
    : [...new Set(reasons.filter((r) => r !== 'Token is disabled'))].join(', ');
  return { value: false, authentication: 'REJECT', kind: 'noChallenge', message, audit: { reason: message } };
}

export class Validator {
  /** Challenge SMS per phone number in the last limits.smsWindow seconds (the token's own list is in its record). */
  private readonly phones: PhoneWindow;

  constructor(private readonly d: ValidatorDeps) {
    this.phones = new PhoneWindow(this.smsLimit());
    // Rebuilt from the outbox, so a restart does not reset the count of a number being bombed.
    const since = d.clock.now() - this.smsLimit().windowMs;
    const recent = Object.values(d.store.data.outbox).filter((r) => r.origin === 'challenge' && r.createdAt > since);
    for (const r of recent.sort((a, b) => a.createdAt - b.createdAt)) this.phones.add(r.to, r.createdAt);
  }

  private smsLimit(): SmsLimit {
    return { perWindow: this.d.config.limits.smsPerWindow, windowMs: this.d.config.limits.smsWindow * 1000 };
  }

  /** `POST /validate/check`. */
  async check(p: CheckParams): Promise<CheckOutcome> {
    const { owner, tokens, firstFactor } = await this.selectTokens(p);
    const auditBase = { user: owner?.login, realm: owner?.realm, serials: tokens.map((t) => t.serial) };
    if (tokens.length === 0) {
      const message = owner ? 'The user has no tokens assigned' : 'No suitable token found for authentication.';
      return { value: false, authentication: 'REJECT', kind: 'noToken', message, audit: { ...auditBase, reason: message } };
    }
    return this.d.mutex.run(
      tokens.map((t) => t.serial),
      async () => {
        // Re-read under the lock: another request may have changed them while we waited.
        const fresh = tokens.map((t) => this.d.tokens.get(t.serial)).filter((t): t is TokenRecord => !!t);
        const outcome =
          p.transactionId !== undefined
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
      return { value: false, authentication: 'REJECT', count: 0, kind: 'noToken', message, audit: { ...auditBase, reason: message } };
    }
    return this.d.mutex.run(
      tokens.map((t) => t.serial),
      async () => {
        const fresh = tokens.map((t) => this.d.tokens.get(t.serial)).filter((t): t is TokenRecord => !!t);
        const out = await this.createChallenges(fresh, owner, p);
        const count = out.kind === 'challenged' ? out.tokens.length : 0;
        return { ...out, count, audit: { ...auditBase, ...out.audit } };
      },
    );
  }

  private async selectTokens(
    p: CheckParams,
  ): Promise<{ owner: UserRecord | undefined; tokens: TokenRecord[]; firstFactor?: FirstFactor | undefined }> {
    if (!p.user && !p.serial) throw parameterError('You need to specify a serial, user or credential_id.');
    // privacyIDEA refuses '*' in serials and '%' in users ("Invalid serial number.", "Invalid user.");
    // the name rules (names.ts) refuse those and more, and say which characters are allowed.
    if (p.serial !== undefined && p.serial !== '') checkName('serial', p.serial);
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
        if (tokens.length === 0) throw parameterError('Given serial does not belong to given user!');
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
    const f = checkFailCounter(t, now, this.d.config.token.failCounterClearTimeout);
    if (!f.usable) return { ok: false, reason: FAILCOUNTER_EXCEEDED, token: t };
    return { ok: true, token: f.cleared ? { ...t, ...f.cleared } : t };
  }

  private failed(t: TokenRecord, now: number): TokenRecord {
    return { ...t, ...addFailure(t, now), countAuth: t.countAuth + 1 };
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
  private async answerChallenge(tokens: TokenRecord[], tid: string, otp: string): Promise<Answer> {
    const now = this.d.clock.now();
    const withTx = tokens.filter((t) => t.challenge?.transactionId === tid);
    if (withTx.length === 0) {
      // privacyIDEA: an unknown (or purged) transaction lands the tokens in the invalid list.
      if (this.d.config.token.incFailCountOnFalsePin) await this.commitTokens(tokens.map((t) => this.failed(t, now)));
      return {
        value: false,
        authentication: 'REJECT',
        kind: 'rejected',
        message: 'wrong otp pin',
        audit: { reason: 'unknown transaction_id' },
      };
    }
    const checks = withTx.map((t) => this.eligible(t, now));
    const usable = checks.filter((c): c is { ok: true; token: TokenRecord } => c.ok).map((c) => c.token);
    if (usable.length === 0) return ineligibleAnswer(checks);
    const live = usable.filter((t) => isLive(t.challenge, now));
    const winner = live.find((t) => this.otpMatches(t, t.challenge!.counter, otp));
    if (winner) {
      await this.commitTokens([this.succeeded(winner, winner.challenge!.counter)]);
      return {
        value: true,
        authentication: 'ACCEPT',
        kind: 'challengeAnswered',
        message: 'Found matching challenge',
        serial: winner.serial,
        audit: { reason: 'challenge answered' },
      };
    }
    if (live.length === 0) {
      // Expiry is enforced on every path; a late answer is told so, and costs no failcount
      // when it was right (the user did nothing wrong but be slow).
      const lateButRight = usable.some((t) => this.otpMatches(t, t.challenge!.counter, otp));
      if (!lateButRight) await this.commitTokens(usable.map((t) => this.failed(t, now)));
      return {
        value: false,
        authentication: 'REJECT',
        kind: 'challengeFailed',
        message: 'The challenge has expired.',
        serial: usable[0]!.serial,
        audit: { reason: 'challenge expired' },
      };
    }
    await this.commitTokens(
      usable.map((t) => ({ ...this.failed(t, now), challenge: t.challenge && { ...t.challenge, receivedCount: t.challenge.receivedCount + 1 } })),
    );
    const message = usable.length === 1 ? 'Response did not match the challenge.' : `Response did not match for ${usable.length} tokens.`;
    return {
      value: false,
      authentication: 'REJECT',
      kind: 'challengeFailed',
      message,
      serial: usable[0]!.serial,
      audit: { reason: 'wrong otp' },
    };
  }

  private async pinMatches(t: TokenRecord, pin: string): Promise<boolean> {
    const decision = pinDecision(t, pin);
    if (decision === 'verify') return this.d.secrets.verify(pin, t.pinHash!);
    return decision === 'match';
  }

  /** privacyIDEA's is_previous_otp: the OTP of one of the last counters issued, already used or superseded. */
  private isPreviousOtp(t: TokenRecord, otp: string): boolean {
    // An outstanding challenge's OTP was never used: late or wrong, but not a replay.
    const newestUsed = t.challenge ? t.challenge.counter - 1 : t.counter;
    return previousCounters(newestUsed, this.d.config.token.countWindow).some((c) => this.otpMatches(t, c, otp));
  }

  /** No transaction: the pass is the PIN alone (step 1) or PIN and OTP together. */
  private async checkPass(tokens: TokenRecord[], owner: UserRecord | undefined, p: CheckParams, firstFactor?: FirstFactor): Promise<Answer> {
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
      return { value: false, authentication: 'REJECT', kind: 'rejected', message: 'wrong otp pin', audit: { reason: 'wrong pin' } };
    }
    const checks = pinOtp.map(({ t, otp }) => ({ e: this.eligible(t, now), otp }));
    const usable = checks.filter((c) => c.e.ok).map((c) => ({ t: c.e.token, otp: c.otp }));
    if (usable.length === 0) return ineligibleAnswer(checks.map((c) => c.e));
    // PIN+OTP in one pass counts only for an OTP that was sent and has not expired
    // (privacyIDEA's issue 496 loophole closed).
    const winner = usable.find(({ t, otp }) => isLive(t.challenge, now) && this.otpMatches(t, t.challenge!.counter, otp));
    if (winner) {
      await this.commitTokens([this.succeeded(winner.t, winner.t.challenge!.counter)]);
      return {
        value: true,
        authentication: 'ACCEPT',
        kind: 'pinOtp',
        message: 'matching 1 tokens',
        serial: winner.t.serial,
        otpLength: winner.t.otpLength,
        audit: { reason: 'pin+otp' },
      };
    }
    await this.commitTokens(usable.map(({ t }) => this.failed(t, now)));
    const first = usable[0]!.t;
    // Only with one PIN-matching token, as privacyIDEA: with several, which one was replayed is ambiguous.
    const replay = usable.length === 1 && this.isPreviousOtp(first, usable[0]!.otp);
    return {
      value: false,
      authentication: 'REJECT',
      kind: 'pinOtp',
      message: replay ? PREVIOUS_OTP : 'wrong otp value',
      serial: first.serial,
      otpLength: first.otpLength,
      audit: { reason: replay ? 'previous otp used again' : 'wrong otp' },
    };
  }

  /** Step 1: a challenge per eligible token, one shared transaction id, SMS queued durably. */
  private async createChallenges(
    tokens: TokenRecord[],
    owner: UserRecord | undefined,
    p: Pick<CheckParams, 'exception' | 'challenge'>,
  ): Promise<Answer> {
    const now = this.d.clock.now();
    const cfg = this.d.config;
    const checks = tokens.map((t) => this.eligible(t, now));
    const usable = checks.filter((c): c is { ok: true; token: TokenRecord } => c.ok).map((c) => c.token);
    if (usable.length === 0) return ineligibleAnswer(checks);

    const blockingMs = cfg.token.blockingWindow * 1000;
    const limit = this.smsLimit();
    const sentTo: string[] = [];
    const tid = newTransactionId();
    /** Tokens answered with their outstanding challenge, or (a number) the index of a new one in `plans`. */
    const issuedOrPlanned: Array<TokenRecord | number> = [];
    const plans: Array<{ t: TokenRecord; counter: number; expiresAt: number; message: NewMessage }> = [];
    let limited: string | null = null;
    let unsendable = false;

    for (const t of usable) {
      if (withinBlockingWindow(t.challenge, now, blockingMs)) {
        // Blocking window: the SMS already sent is still valid; send no second one.
        issuedOrPlanned.push(t);
        continue;
      }
      const minutes = Math.round(cfg.limits.smsWindow / 60);
      if (!underLimit(t.recentChallenges, now, limit)) {
        limited = `SMS limit reached: at most ${cfg.limits.smsPerWindow} SMS per ${minutes} minutes for this token.`;
        continue;
      }
      const phone = t.dynamicPhone ? (owner?.mobile ?? null) : t.phone;
      const expiresAt = expiryOf(now, cfg.token.challengeValidity);
      if (!phone || !this.d.sms.canDeliverBy(expiresAt)) {
        unsendable = true;
        continue;
      }
      // Counted per number too (also within this request: two tokens may share it).
      if (!this.phones.allows(phone, now, sentTo.filter((x) => x === phone).length)) {
        limited = `SMS limit reached: at most ${cfg.limits.smsPerWindow} SMS per ${minutes} minutes to this phone number.`;
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
      issuedOrPlanned.push(plans.length);
      plans.push({ t, counter, expiresAt, message: { to: phone, text, expiresAt, origin: 'challenge' } });
      sentTo.push(phone);
    }

    if (issuedOrPlanned.length === 0) {
      if (limited && !unsendable) {
        return { value: false, authentication: 'REJECT', kind: 'noChallenge', message: limited, audit: { reason: 'sms rate limit' } };
      }
      if (p.exception) throw internalError(SMS_SEND_FAILED);
      return {
        value: false,
        authentication: 'REJECT',
        kind: 'notSent',
        message: SMS_SEND_FAILED,
        audit: { reason: 'no provider can deliver' },
      };
    }

    // The challenges and their SMS in one commit: on disk together, before the answer.
    const changed: TokenRecord[] = [];
    await this.d.sms.enqueue(
      plans.map((pl) => pl.message),
      (ids) =>
        plans.map((pl, i) => {
          const next: TokenRecord = {
            ...pl.t,
            counter: pl.counter,
            recentChallenges: recordSms(pl.t.recentChallenges, now, limit),
            challenge: { transactionId: tid, counter: pl.counter, createdAt: now, expiresAt: pl.expiresAt, messageId: ids[i]!, receivedCount: 0 },
          };
          changed.push(next);
          return { c: 'tokens', k: next.serial, v: next };
        }),
    );
    for (const phone of sentTo) this.phones.add(phone, now);
    const issued = issuedOrPlanned.map((x) => (typeof x === 'number' ? changed[x]! : x));
    return {
      value: false,
      authentication: 'CHALLENGE',
      kind: 'challenged',
      message: cfg.token.challengeText,
      tokens: issued,
      audit: { reason: plans.length ? 'challenge sent' : 'challenge outstanding (blocking window)' },
    };
  }
}

import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { TokenRecord } from '../store/types.js';
import { notFoundError, parameterError, tokenAdminError } from './errors.js';
import { SEED_BYTES } from './hotp.js';
import type { TokenContext } from './registry.js';
import { checkName } from './names.js';
import { choosePin } from './policies/pin.js';
import { normalisePhone } from './users.js';
import type { LoginDirectory } from '../directory/directory.js';

export const SERIAL_PREFIX = 'PISM';
const PIN_MAX = 64;
const DESCRIPTION_MAX = 80;

export interface InitParams {
  type?: string | undefined;
  serial?: string | undefined;
  user?: string | undefined;
  realm?: string | undefined;
  phone?: string | undefined;
  dynamicPhone?: boolean;
  pin?: string | undefined;
  /** A token without a PIN, asked for explicitly (`nopin=1`). */
  noPin?: boolean;
  otplen?: number | undefined;
  hashlib?: string | undefined;
  description?: string | undefined;
  genkey?: boolean;
  otpkey?: string | undefined;
}

export interface ListParams {
  serial?: string | undefined;
  user?: string | undefined;
  realm?: string | undefined;
  type?: string | undefined;
  active?: boolean | undefined;
  page: number;
  pagesize: number;
}

export interface TokenAdminDeps extends TokenContext {
  config: Pick<Config, 'token'>;
  /** Realms and directory users (src/directory): a directory user's token is bound to their stable id. */
  directory?: LoginDirectory;
}

export function checkPin(pin: string): string {
  if (pin.length > PIN_MAX) throw parameterError(`The PIN is too long (at most ${PIN_MAX} characters).`);
  if (/[\u0000-\u001f\u007f]/.test(pin)) throw parameterError('The PIN contains control characters.');
  return pin;
}

export const checkSerial = (serial: string): string => checkName('serial', serial);

/** A token as a list shows it: for a directory user's token, the owner's current login and resolver. */
export interface ListedToken {
  token: TokenRecord;
  owner?: { login: string; resolver: string } | undefined;
}

/** One page of a token list (`page` counts from 1; `pages` is at least 1). */
export interface TokenPage {
  tokens: ListedToken[];
  count: number;
  page: number;
  pages: number;
}

export type { TokenRecord };

export class TokenAdmin {
  constructor(private readonly d: TokenAdminDeps) {}

  private generateSerial(): string {
    const count = this.d.tokens.all().length;
    for (let i = 0; i < 100; i++) {
      const serial = `${SERIAL_PREFIX}${String(count % 10000).padStart(4, '0')}${randomBytes(2).toString('hex').toUpperCase()}`;
      if (!this.d.tokens.get(serial)) return serial;
    }
    // 65,536 suffixes per count value are exhausted only by a pathological store.
    return `${SERIAL_PREFIX}${randomBytes(6).toString('hex').toUpperCase()}`;
  }

  async init(p: InitParams): Promise<TokenRecord> {
    const type = (p.type ?? 'sms').toLowerCase();
    if (type !== 'sms') throw parameterError(`Token type "${type}" is not supported: smsotpd manages SMS tokens only (type=sms).`);
    if (p.genkey && p.otpkey) throw parameterError('You may either specify genkey or otpkey, but not both!');
    const otpLength = p.otplen ?? this.d.config.token.otpLength;
    if (otpLength !== 6 && otpLength !== 8) throw parameterError('otplen must be 6 or 8.');
    const hashlib = (p.hashlib ?? this.d.config.token.hashlib) as TokenRecord['hashlib'];
    if (!['sha1', 'sha256', 'sha512'].includes(hashlib)) throw parameterError('hashlib must be sha1, sha256 or sha512.');
    const description = p.description ?? '';
    if (description.length > DESCRIPTION_MAX) throw parameterError(`description is limited to ${DESCRIPTION_MAX} characters.`);
    let user: string | null = null;
    let realm: string | null = null;
    let noPin = p.noPin;
    if (p.user && this.d.directory) {
      const owner = await this.d.directory.requireOwner(p.user, p.realm);
      ({ id: user, realm } = owner);
      // otppin userstore/none: the realm never asks a token PIN, so none is stored.
      if (owner.otppin !== 'tokenpin') {
        if (p.pin)
          throw parameterError(`ERR905: Realm "${owner.realm}" has otppin ${owner.otppin}: a token PIN would never be asked, so none is set.`);
        noPin = true;
      }
    } else if (p.user) {
      const name = this.d.users.resolveName(p.user, p.realm);
      this.d.users.require(name.login, name.realm);
      ({ login: user, realm } = name);
    }
    const choice = choosePin({ pin: p.pin, noPin });
    if ('error' in choice) throw parameterError(choice.error);
    const pin = choice.pin === null ? null : checkPin(choice.pin);
    const dynamicPhone = !!p.dynamicPhone;
    let phone: string | null = null;
    if (dynamicPhone) {
      if (!user) throw parameterError('dynamic_phone needs a user whose mobile number is used.');
    } else {
      if (!p.phone) throw parameterError("Missing parameter: 'phone'");
      phone = normalisePhone(p.phone, 'phone', this.d.users.defaultRegion);
    }

    let seedHex: string;
    if (p.otpkey !== undefined) {
      if (!/^(?:[0-9a-fA-F]{2}){10,64}$/.test(p.otpkey)) throw parameterError('otpkey must be 10 to 64 bytes of hex.');
      seedHex = p.otpkey.toLowerCase();
    } else {
      seedHex = randomBytes(SEED_BYTES[hashlib]).toString('hex');
    }

    const serial = p.serial ? checkSerial(p.serial) : this.generateSerial();
    return this.d.mutex.run([serial], async () => {
      if (this.d.tokens.get(serial)) throw tokenAdminError(`A token with serial ${serial} already exists; delete it first or use /token/setpin.`);
      const rec: TokenRecord = {
        serial,
        type: 'sms',
        description,
        user,
        realm,
        keyEnc: this.d.secrets.encrypt(seedHex),
        hashlib,
        otpLength: otpLength as 6 | 8,
        counter: 0,
        pinHash: pin === null ? null : await this.d.secrets.hash(pin),
        ...(pin === null ? { noPin: true } : {}),
        phone,
        dynamicPhone,
        active: true,
        failCount: 0,
        maxFail: this.d.config.token.maxFail,
        failExceededAt: null,
        countAuth: 0,
        countAuthSuccess: 0,
        createdAt: this.d.clock.now(),
        recentChallenges: [],
        challenge: null,
      };
      await this.d.store.commit([{ c: 'tokens', k: serial, v: rec }]);
      this.d.tokens.track(undefined, rec);
      return rec;
    });
  }

  async list(p: ListParams): Promise<TokenPage> {
    let rows = this.d.tokens.all();
    if (p.user && this.d.directory) {
      const o = await this.d.directory.requireOwner(p.user, p.realm).catch((err) => {
        // An unknown user has no tokens; a directory that is down is still an error.
        if ((err as { code?: number }).code === 904) return null;
        throw err;
      });
      rows = o ? this.d.tokens.ofUser(o.id, o.realm) : [];
    } else if (p.user) {
      const { login, realm } = this.d.users.resolveName(p.user, p.realm);
      rows = this.d.tokens.ofUser(login, realm);
    } else if (p.realm) rows = rows.filter((t) => t.realm === p.realm);
    if (p.serial) rows = rows.filter((t) => t.serial === p.serial);
    if (p.type && p.type.toLowerCase() !== 'sms') rows = [];
    if (p.active !== undefined) rows = rows.filter((t) => t.active === p.active);
    rows = [...rows].sort((a, b) => a.serial.localeCompare(b.serial));
    const count = rows.length;
    const pages = Math.max(1, Math.ceil(count / p.pagesize));
    const start = (p.page - 1) * p.pagesize;
    return { tokens: await this.withOwners(rows.slice(start, start + p.pagesize)), count, page: p.page, pages };
  }

  /** One owner look-up at a time: a page of 1,000 directory tokens must not flood the directory's pool. */
  private async withOwners(rows: TokenRecord[]): Promise<ListedToken[]> {
    const out: ListedToken[] = [];
    for (const t of rows) out.push({ token: t, owner: t.user && t.realm ? await this.d.directory?.ownerName(t.user, t.realm) : undefined });
    return out;
  }

  private require(serial: string): TokenRecord {
    const t = this.d.tokens.get(checkSerial(serial));
    if (!t) throw notFoundError(`The requested token could not be found.`);
    return t;
  }

  /** Applies `fn` to one token under its lock; returns whether anything changed. */
  private async update(serial: string, fn: (t: TokenRecord) => TokenRecord | null | Promise<TokenRecord | null>): Promise<boolean> {
    this.require(serial);
    return this.d.mutex.run([serial], async () => {
      const t = this.require(serial);
      const next = await fn(t);
      if (next === null) return false;
      await this.d.store.commit([{ c: 'tokens', k: serial, v: next }]);
      this.d.tokens.track(t, next);
      return true;
    });
  }

  async remove(serial: string): Promise<number> {
    this.require(serial);
    return this.d.mutex.run([serial], async () => {
      const t = this.d.tokens.get(serial);
      if (!t) return 0;
      await this.d.store.commit([{ c: 'tokens', k: serial, v: null }]);
      this.d.tokens.track(t, null);
      return 1;
    });
  }

  async setActive(serial: string, active: boolean): Promise<number> {
    const changed = await this.update(serial, (t) => (t.active === active ? null : { ...t, active }));
    return changed ? 1 : 0;
  }

  /** privacyIDEA's reset_token answers the number of tokens reset. */
  async resetFailcount(serial: string): Promise<number> {
    await this.update(serial, (t) => ({ ...t, failCount: 0, failExceededAt: null }));
    return 1;
  }

  /** A new PIN, or none with `noPin` (explicitly: an empty PIN alone is refused). */
  async setPin(serial: string, pin: string | undefined, noPin = false): Promise<number> {
    const choice = choosePin({ pin, noPin });
    if ('error' in choice) throw parameterError(choice.error.replace("'pin'", "'otppin'"));
    const next = choice.pin === null ? null : checkPin(choice.pin);
    await this.update(serial, async (t) => {
      const { noPin: _drop, ...rest } = t;
      return next === null ? { ...rest, pinHash: null, noPin: true } : { ...rest, pinHash: await this.d.secrets.hash(next) };
    });
    return 1;
  }

  count(): number {
    return this.d.tokens.all().length;
  }

  /** Tokens owned by a user, for DELETE /user/ (a user's tokens go with the user). */
  ofUser(login: string, realm: string): TokenRecord[] {
    return this.d.tokens.ofUser(login, realm);
  }
}

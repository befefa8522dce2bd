import type { Config, LdapResolverConfig, RealmConfig } from '../config/schema.js';
import type { TokenRecord, UserRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { DirectoryError, unknownRealm, unknownUser } from './errors.js';
import { checkLoginName } from './filter.js';
import { LdapResolver, type PhoneNormaliser } from './ldap-resolver.js';
import { LocalResolver, type LocalUserTable } from './local-resolver.js';
import { ldapOptions } from './options.js';
import type { DirectoryUser, ListPage, Resolver, ResolverHealth } from './types.js';

export type PinPolicy = RealmConfig['otppin'];

export interface Realm {
  /** As configured (privacyIDEA lower-cases realm names; matching here ignores case). */
  name: string;
  resolvers: string[];
  otppin: PinPolicy;
  autoEnroll: RealmConfig['autoEnroll'];
  /** Listed under `realms`; otherwise a local-table realm as before realms existed. */
  configured: boolean;
}

/** The owner of the tokens a request concerns, as the token logic sees it. */
export interface Owner {
  /** The token owner key: the local login, or the directory's stable id (UIDTYPE). */
  id: string;
  realm: string;
  resolver: string;
  /** The realm's PIN policy. */
  otppin: PinPolicy;
  /** For SMS text tags, audit and views: login as the directory spells it, names, fresh mobile. */
  record: UserRecord;
  user: DirectoryUser;
}

/** A per-request first-factor check for a token (the `otppin` policy of the owner's realm). */
export type FirstFactor = (t: TokenRecord, pin: string) => Promise<boolean>;

export interface LoginScope {
  owner: UserRecord | undefined;
  tokens: TokenRecord[];
  /** undefined: the token's own PIN (tokenpin). */
  firstFactor: FirstFactor | undefined;
}

/** What the token logic asks of the directory. token/ imports this; directory/ imports nothing of token/. */
export interface LoginDirectory {
  scope(p: { user?: string | undefined; realm?: string | undefined; serial?: string | undefined }, tokens: TokenLookup): Promise<LoginScope>;
  requireOwner(user: string, realm?: string): Promise<Owner>;
  /** Login and resolver of a token owner, for token lists; undefined when unknown or the directory is down. */
  ownerName(uid: string, realm: string): Promise<{ login: string; resolver: string } | undefined>;
}

export interface TokenLookup {
  get(serial: string): TokenRecord | undefined;
  ofUser(id: string, realm: string): TokenRecord[];
}

export interface DirectoryDeps {
  config: Pick<Config, 'resolvers' | 'realms' | 'defaultRealm' | 'token'>;
  /** The local user table (token/users.ts UserDirectory). */
  table: LocalUserTable;
  clock: Clock;
  logger: Logger;
  normalisePhone: PhoneNormaliser;
  /** The local table's login rule (token/users.ts checkLogin). */
  checkLocalLogin?: (login: string) => string;
}

const REALM_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Realms and their resolvers: splits `user@realm` as privacyIDEA does, finds the user in the
 * realm's resolvers in order, and decides the first factor by the realm's `otppin`.
 */
export class Directory implements LoginDirectory {
  readonly defaultRealm: string;
  readonly resolvers = new Map<string, Resolver>();
  /** lower-cased name -> realm. */
  private readonly realms = new Map<string, Realm>();

  constructor(private readonly d: DirectoryDeps) {
    const cfg = d.config;
    // `defaultRealm` is the key of contract 9; `token.defaultRealm` is its older name, still honoured.
    this.defaultRealm = cfg.defaultRealm ?? cfg.token.defaultRealm;
    this.resolvers.set('local', new LocalResolver(d.table, d.checkLocalLogin));
    for (const [name, rc] of Object.entries(cfg.resolvers) as Array<[string, LdapResolverConfig]>) {
      this.resolvers.set(
        name,
        new LdapResolver(ldapOptions(name, rc), d.clock, d.logger.child({ part: 'directory', resolver: name }), d.normalisePhone),
      );
    }
    for (const [name, rc] of Object.entries(cfg.realms) as Array<[string, RealmConfig]>) {
      this.realms.set(name.toLowerCase(), { name, resolvers: rc.resolvers, otppin: rc.otppin, autoEnroll: rc.autoEnroll, configured: true });
    }
  }

  /** The configured realm, or the local-table realm of that name. */
  realm(name: string): Realm {
    const r = this.realms.get(name.toLowerCase());
    if (r) return r;
    if (!REALM_RE.test(name)) throw unknownRealm(name.slice(0, 64));
    return { name, resolvers: ['local'], otppin: 'tokenpin', autoEnroll: undefined, configured: false };
  }

  configuredRealms(): Realm[] {
    return [...this.realms.values()];
  }

  /** A realm `user@realm` may name: configured, the default, or one the local table uses. */
  private knownRealm(name: string): boolean {
    if (this.realms.has(name.toLowerCase()) || name === this.defaultRealm) return true;
    return REALM_RE.test(name) && this.d.table.list({ realm: name }).length > 0;
  }

  /**
   * privacyIDEA's split_user: a `realm` parameter wins; else `login@realm` splits at the last `@`
   * only if the rest is a known realm (logins may be mail addresses), `REALM\login` at the last
   * backslash likewise; else the whole string is the login, in the default realm.
   */
  split(user: string, realm?: string): { login: string; realm: string } {
    if (realm) return { login: user, realm: this.realm(realm).name };
    const at = user.lastIndexOf('@');
    if (at > 0 && this.knownRealm(user.slice(at + 1))) return { login: user.slice(0, at), realm: this.realm(user.slice(at + 1)).name };
    const bs = user.lastIndexOf('\\');
    if (bs > 0 && bs < user.length - 1 && this.knownRealm(user.slice(0, bs)))
      return { login: user.slice(bs + 1), realm: this.realm(user.slice(0, bs)).name };
    return { login: user, realm: this.realm(this.defaultRealm).name };
  }

  private resolver(name: string): Resolver {
    const r = this.resolvers.get(name);
    if (!r) throw new DirectoryError(905, `ERR905: No resolver "${name}".`);
    return r;
  }

  /** The first resolver of the realm that knows the login; null if none does. */
  async find(login: string, realmName: string): Promise<DirectoryUser | null> {
    const realm = this.realm(realmName);
    checkLoginName(login);
    let invalid: unknown = null;
    for (const name of realm.resolvers) {
      try {
        const u = await this.resolver(name).findByLogin(login, realm.name);
        if (u) return u;
      } catch (err) {
        // The local table's stricter name rule (ERR905) must not hide a directory user called `a*b`.
        if (name !== 'local' || (err as { code?: number }).code !== 905) throw err;
        invalid = err;
      }
    }
    if (invalid && realm.resolvers.length === 1) throw invalid;
    return null;
  }

  async findById(uid: string, realmName: string): Promise<DirectoryUser | null> {
    const realm = this.realm(realmName);
    for (const name of realm.resolvers) {
      const u = await this.resolver(name).findById(uid, realm.name);
      if (u) return u;
    }
    return null;
  }

  private owner(u: DirectoryUser, realm: string): Owner {
    return {
      id: u.uid,
      realm,
      resolver: u.resolver,
      otppin: this.realm(realm).otppin,
      user: u,
      record: { login: u.login, realm, mobile: u.mobile, givenname: u.givenname, surname: u.surname, createdAt: 0 },
    };
  }

  /** The user, or privacyIDEA's 904. */
  async requireOwner(user: string, realmParam?: string): Promise<Owner> {
    const { login, realm } = this.split(user, realmParam);
    const u = await this.find(login, realm);
    if (!u) throw unknownUser();
    return this.owner(u, realm);
  }

  async ownerName(uid: string, realmName: string): Promise<{ login: string; resolver: string } | undefined> {
    try {
      const u = await this.findById(uid, realmName);
      return u ? { login: u.login, resolver: u.resolver } : undefined;
    } catch {
      return undefined; // a token list must not fail because the directory is down
    }
  }

  /**
   * The tokens a /validate request concerns, their owner (fresh from the directory: the mobile
   * for dynamic_phone is the directory's now), and the first-factor check of the owner's realm.
   */
  async scope(p: { user?: string | undefined; realm?: string | undefined; serial?: string | undefined }, tokens: TokenLookup): Promise<LoginScope> {
    if (p.user) {
      const o = await this.requireOwner(p.user, p.realm);
      let list = tokens.ofUser(o.id, o.realm);
      if (p.serial !== undefined) {
        list = list.filter((t) => t.serial === p.serial);
        if (list.length === 0) throw new DirectoryError(905, 'ERR905: Given serial does not belong to given user!');
      }
      return { owner: o.record, tokens: list, firstFactor: this.firstFactor(this.realm(o.realm), o) };
    }
    const t = tokens.get(p.serial!);
    if (!t) return { owner: undefined, tokens: [], firstFactor: undefined };
    if (!t.user || !t.realm) return { owner: undefined, tokens: [t], firstFactor: undefined };
    const realm = this.realm(t.realm);
    const u = await this.findById(t.user, realm.name);
    const o = u ? this.owner(u, realm.name) : undefined;
    return { owner: o?.record, tokens: [t], firstFactor: this.firstFactor(realm, o) };
  }

  /**
   * `tokenpin`: undefined (the token's PIN). `none`: the PIN part must be empty. `userstore`: the
   * PIN part is the directory password, checked once per distinct value in this request.
   */
  private firstFactor(realm: Realm, owner: Owner | undefined): FirstFactor | undefined {
    if (realm.otppin === 'tokenpin') return undefined;
    if (realm.otppin === 'none') return async (_t, pin) => pin === '';
    const checked = new Map<string, Promise<boolean>>();
    return (_t, pin) => {
      if (!owner || pin === '') return Promise.resolve(false);
      let p = checked.get(pin);
      if (!p) {
        p = this.resolver(owner.resolver).checkPassword(owner.id, pin, owner.realm);
        checked.set(pin, p);
      }
      return p;
    };
  }

  /** `GET /user/?realm=`: the realm's users, resolver by resolver, paged and capped. */
  async listUsers(realmName: string, page: number, pagesize: number): Promise<ListPage & { realm: string }> {
    const realm = this.realm(realmName);
    const users: DirectoryUser[] = [];
    let truncated = false;
    const want = page * pagesize;
    for (const name of realm.resolvers) {
      const got = await this.resolver(name).list(realm.name, 0, want);
      users.push(...got.users);
      truncated ||= got.truncated;
      if (users.length >= want) break;
    }
    const start = (page - 1) * pagesize;
    return { realm: realm.name, users: users.slice(start, start + pagesize), truncated: truncated || users.length > start + pagesize };
  }

  /** Is this realm served by a directory (so GET /user/ must ask it)? */
  hasDirectory(realmName: string): boolean {
    return this.realm(realmName).resolvers.some((r) => r !== 'local');
  }

  ldapResolvers(): LdapResolver[] {
    return [...this.resolvers.values()].filter((r): r is LdapResolver => r instanceof LdapResolver);
  }

  health(): ResolverHealth[] {
    return this.ldapResolvers().map((r) => r.health());
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.resolvers.values()].map((r) => r.close()));
  }
}

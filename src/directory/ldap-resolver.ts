import type { Client, Entry } from 'ldapts';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { TtlCache } from './cache.js';
import { invalidUser, resolverError } from './errors.js';
import { and, checkLoginName, equalityFilter, escapeFilterValue, inChainMemberFilter, loginFilter, parseSearchFilter } from './filter.js';
import { guidToBytes, guidToString, isGuid } from './guid.js';
import { ldapts } from './ldapts.js';
import { Connector, describe, SearchPool, type HealthRecorder } from './ldap-pool.js';
import type { LdapOptions } from './options.js';
import type { DirectoryUser, ListPage, Resolver, ResolverHealth } from './types.js';

/** Normalises a phone number the way every number is (injected: the config helper owns it). */
export type PhoneNormaliser = (raw: string) => string;

const UAC = 'userAccountControl';
const UAC_ACCOUNTDISABLE = 0x2;
/** Nesting depth followed when walking `member` (a loop or a deep tree stops here). */
const MAX_GROUP_DEPTH = 8;

interface Cached {
  user: DirectoryUser;
  dn: string;
}

/**
 * privacyIDEA's LDAP resolver (option names, look-up, uid types, password by bind) on ldapts:
 * a pool of service-account search connections with failover across LDAPURI, look-ups cached
 * for CACHE_TIMEOUT, password checks on a connection of their own, never cached.
 */
export class LdapResolver implements Resolver {
  readonly type = 'ldap' as const;
  readonly name: string;
  private readonly connector: Connector;
  private readonly pool: SearchPool;
  /** lower-cased login -> uid ('' = known miss). */
  private readonly loginCache: TtlCache<string>;
  /** uid -> user and DN. */
  private readonly idCache: TtlCache<Cached>;
  private readonly attributes: string[];
  private readonly state: { up: boolean | null; lastSuccess: number | null; lastError: { t: number; message: string } | null; uri: string | null } = {
    up: null,
    lastSuccess: null,
    lastError: null,
    uri: null,
  };
  /** Binds tried, and how they ended (metrics). */
  readonly counters = { searches: 0, binds: 0, bindFailures: 0, errors: 0 };

  constructor(
    readonly o: LdapOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly normalisePhone: PhoneNormaliser,
  ) {
    this.name = o.name;
    // Changes of state are logged (down, back, another server), not every failed request.
    const health: HealthRecorder = {
      ok: (uri) => {
        if (this.state.up === false) this.logger.info({ resolver: this.name, uri }, 'directory answers again');
        else if (this.state.uri !== null && uri !== this.state.uri)
          this.logger.warn({ resolver: this.name, uri, was: this.state.uri }, 'directory failover: now using another server of LDAPURI');
        this.state.up = true;
        this.state.lastSuccess = this.clock.now();
        this.state.uri = uri;
      },
      fail: (uri, err) => {
        this.counters.errors++;
        const message = `${uri ?? ''} ${describe(err)}`.trim();
        if (this.state.lastError?.message !== message)
          this.logger.warn({ resolver: this.name, uri, err: describe(err) }, 'directory server does not answer');
        this.state.lastError = { t: this.clock.now(), message };
        if (uri === this.state.uri || this.state.uri === null) this.state.up = false;
      },
    };
    this.connector = new Connector(o, clock, health);
    this.pool = new SearchPool(o, this.connector, health, logger);
    this.loginCache = new TtlCache(clock, o.cacheMs);
    this.idCache = new TtlCache(clock, o.cacheMs);
    const attrs = new Set<string>([...o.loginAttributes, ...o.userInfo.values(), UAC]);
    if (!o.uidIsDn) attrs.add(o.uidType);
    this.attributes = [...attrs];
  }

  health(): ResolverHealth {
    const uri = this.pool.currentUri() ?? this.state.uri;
    return {
      resolver: this.name,
      type: 'ldap',
      up: this.state.up,
      lastSuccess: this.state.lastSuccess,
      lastError: this.state.lastError,
      uri,
      failover: uri !== null && uri !== this.o.uris[0],
      uris: this.o.uris,
      cache: {
        entries: this.loginCache.size + this.idCache.size,
        hits: this.loginCache.hits + this.idCache.hits,
        misses: this.loginCache.misses + this.idCache.misses,
      },
    };
  }

  /** Forgets cached look-ups (tests, `directory sync`: a pass reads the directory as it is). */
  clearCache(): void {
    this.loginCache.clear();
    this.idCache.clear();
  }

  private async search(base: string, filter: import('ldapts').Filter, scope: 'sub' | 'base', sizeLimit: number): Promise<Entry[]> {
    this.counters.searches++;
    return this.pool
      .run(async (c) => {
        try {
          const r = await c.search(base, {
            scope,
            filter,
            attributes: this.attributes,
            sizeLimit,
            explicitBufferAttributes: this.o.uidIsGuid ? [this.o.uidType] : [],
          });
          return r.searchEntries;
        } catch (err) {
          if (err instanceof ldapts().NoSuchObjectError) return [];
          if (err instanceof ldapts().SizeLimitExceededError) throw Object.assign(new Error('ambiguous'), { ambiguous: true });
          throw err;
        }
      })
      .catch((err) => {
        if ((err as { ambiguous?: boolean }).ambiguous) throw invalidUser('The login matches more than one user in the directory.');
        if (err instanceof ldapts().ResultCodeError) throw resolverError(this.name, describe(err));
        throw err;
      });
  }

  /** The stable id of an entry: its DN, a GUID string, or the UIDTYPE attribute's first value. */
  private uidOf(e: Entry): string | null {
    if (this.o.uidIsDn) return e.dn;
    const v = attr(e, this.o.uidType);
    if (v === undefined) return null;
    if (this.o.uidIsGuid) return Buffer.isBuffer(v) && v.length === 16 ? guidToString(v) : null;
    return Buffer.isBuffer(v) ? v.toString('hex') : v;
  }

  private toUser(e: Entry): Cached | null {
    const uid = this.uidOf(e);
    if (!uid) return null;
    const info = new Map<string, string | string[]>();
    for (const [field, a] of this.o.userInfo) {
      const all = values(e, a);
      info.set(field, field === 'mobile' ? all : (all[0] ?? ''));
    }
    let mobile: string | null = null;
    const rawMobile = values(e, this.o.userInfo.get('mobile') ?? 'mobile')[0];
    if (rawMobile) {
      try {
        mobile = this.normalisePhone(rawMobile);
      } catch {
        // A number the directory holds but that is no phone number: the user has no usable mobile.
        mobile = null;
      }
    }
    const uac = Number(values(e, UAC)[0] ?? 0);
    const s = (field: string) => {
      const v = info.get(field);
      return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
    };
    return {
      dn: e.dn,
      user: {
        resolver: this.name,
        uid,
        login: s('username'),
        givenname: s('givenname'),
        surname: s('surname'),
        mobile,
        phone: s('phone'),
        email: s('email'),
        disabled: Number.isFinite(uac) && (uac & UAC_ACCOUNTDISABLE) !== 0,
        info,
      },
    };
  }

  private remember(c: Cached): void {
    this.idCache.set(c.user.uid, c);
  }

  async findByLogin(login: string): Promise<DirectoryUser | null> {
    checkLoginName(login);
    const key = login.toLowerCase();
    const uid = this.loginCache.get(key);
    if (uid === '') return null;
    if (uid !== undefined) {
      const hit = this.idCache.get(uid);
      if (hit) return hit.user;
    }
    const entries = await this.search(this.o.base, loginFilter(this.o.searchFilter, this.o.loginAttributes, login), 'sub', 2);
    if (entries.length > 1) throw invalidUser('The login matches more than one user in the directory.');
    const found = entries[0] ? this.toUser(entries[0]) : null;
    this.loginCache.set(key, found?.user.uid ?? '');
    if (found) this.remember(found);
    return found?.user ?? null;
  }

  private async entryById(uid: string): Promise<Cached | null> {
    const hit = this.idCache.get(uid);
    if (hit) return hit;
    let entries: Entry[];
    if (this.o.uidIsDn) {
      // A uid of type DN comes from our own store (a token's owner), never from a request.
      entries = await this.search(uid, and(this.o.searchFilter.length ? this.o.searchFilter : parseSearchFilter('(objectClass=*)')), 'base', 1);
      if (entries[0] && !isUnder(entries[0].dn, this.o.base)) entries = [];
    } else if (this.o.uidIsGuid) {
      if (!isGuid(uid)) return null;
      entries = await this.search(this.o.base, equalityFilter(this.o.searchFilter, this.o.uidType, guidToBytes(uid)), 'sub', 2);
    } else {
      entries = await this.search(this.o.base, equalityFilter(this.o.searchFilter, this.o.uidType, uid), 'sub', 2);
    }
    if (entries.length !== 1) return null;
    const found = this.toUser(entries[0]!);
    if (found) this.remember(found);
    return found;
  }

  async findById(uid: string): Promise<DirectoryUser | null> {
    return (await this.entryById(uid))?.user ?? null;
  }

  /**
   * Binds as the entry's DN (found by the service account, never built from input) with the
   * password, on a connection of its own. Empty passwords never reach a bind: on many servers
   * (Windows AD by default) DN + empty password is an anonymous bind that succeeds.
   */
  async checkPassword(uid: string, password: string): Promise<boolean> {
    if (password === '') return false;
    const found = await this.entryById(uid);
    if (!found || !found.dn) return false;
    this.counters.binds++;
    let client: Client | null = null;
    try {
      ({ client } = await this.connector.open(found.dn, password));
      return true;
    } catch (err) {
      if (err instanceof ldapts().InvalidCredentialsError || err instanceof ldapts().ResultCodeError) {
        // 49 wrong password (AD adds data 52e / 533 disabled / 775 locked): all a plain "no".
        this.counters.bindFailures++;
        return false;
      }
      throw err;
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }

  /** Users of the directory, page by page, at most SIZELIMIT. */
  async list(_realm: string, offset: number, limit: number): Promise<ListPage> {
    const cap = Math.min(offset + limit, this.o.sizeLimit);
    const filter = this.o.searchFilter.length ? and(this.o.searchFilter) : parseSearchFilter(`(${this.o.loginAttributes[0]}=*)`)[0]!;
    const entries = await this.paged(this.o.base, filter, cap + 1);
    const users = entries.map((e) => this.toUser(e)?.user).filter((u): u is DirectoryUser => !!u);
    users.sort((a, b) => a.login.localeCompare(b.login));
    return { users: users.slice(offset, cap), truncated: entries.length > cap || offset + limit > this.o.sizeLimit };
  }

  private async paged(base: string, filter: import('ldapts').Filter, max: number): Promise<Entry[]> {
    this.counters.searches++;
    return this.pool
      .run(async (c) => {
        const out: Entry[] = [];
        try {
          for await (const page of c.searchPaginated(base, {
            scope: 'sub',
            filter,
            attributes: this.attributes,
            paged: { pageSize: 100 },
            explicitBufferAttributes: this.o.uidIsGuid ? [this.o.uidType] : [],
          })) {
            out.push(...page.searchEntries);
            if (out.length >= max) break;
          }
        } catch (err) {
          if (err instanceof ldapts().NoSuchObjectError) return out;
          if (!(err instanceof ldapts().SizeLimitExceededError)) throw err;
        }
        return out;
      })
      .catch((err) => {
        if (err instanceof ldapts().ResultCodeError) throw resolverError(this.name, describe(err));
        throw err;
      });
  }

  /**
   * Members for auto-enrolment: of a group (walking `member`, nested groups included, or AD's
   * in-chain rule), or matching a filter; always within LDAPBASE and LDAPSEARCHFILTER.
   * Returns users keyed by uid (a Map: ids are data).
   */
  async members(sel: {
    group?: string | undefined;
    filter?: string | undefined;
    inChain: boolean;
  }): Promise<{ users: Map<string, DirectoryUser>; truncated: boolean }> {
    const max = this.o.sizeLimit;
    let entries: Entry[] = [];
    let truncated = false;
    if (sel.filter) {
      entries = await this.paged(this.o.base, and([...this.o.searchFilter, ...parseSearchFilter(sel.filter)]), max + 1);
    } else if (sel.inChain) {
      entries = await this.paged(this.o.base, inChainMemberFilter(this.o.searchFilter, sel.group!), max + 1);
    } else {
      const memberDns = await this.walkGroup(sel.group!);
      for (const dn of memberDns) {
        if (entries.length > max) break;
        if (!isUnder(dn, this.o.base)) continue;
        const base = this.o.searchFilter.length ? and(this.o.searchFilter) : parseSearchFilter('(objectClass=*)')[0]!;
        entries.push(...(await this.search(dn, base, 'base', 1)));
      }
    }
    if (entries.length > max) {
      truncated = true;
      entries = entries.slice(0, max);
    }
    const users = new Map<string, DirectoryUser>();
    for (const e of entries) {
      const c = this.toUser(e);
      if (c) {
        this.remember(c);
        users.set(c.user.uid, c.user);
      }
    }
    return { users, truncated };
  }

  /** DNs reachable through `member` from the group (groups themselves left out). */
  private async walkGroup(groupDn: string): Promise<string[]> {
    const seen = new Set<string>();
    const people: string[] = [];
    const visit = async (dn: string, depth: number, isRoot: boolean): Promise<void> => {
      const key = dn.toLowerCase();
      if (seen.has(key) || depth > MAX_GROUP_DEPTH) return;
      seen.add(key);
      const found = await this.pool
        .run(async (c) => {
          try {
            const r = await c.search(dn, { scope: 'base', attributes: ['objectClass', 'member'] });
            return r.searchEntries[0] ?? null;
          } catch (err) {
            if (err instanceof ldapts().NoSuchObjectError) return null;
            throw err;
          }
        })
        .catch((err) => {
          if (err instanceof ldapts().ResultCodeError) throw resolverError(this.name, describe(err));
          throw err;
        });
      if (!found) {
        if (isRoot) throw resolverError(this.name, `the group ${dn} does not exist (or the service account may not read it)`);
        people.push(dn); // an entry we may not read as a group: try it as a user
        return;
      }
      const classes = values(found, 'objectClass').map((v) => v.toLowerCase());
      const isGroup = classes.some((c) => c === 'groupofnames' || c === 'group' || c === 'groupofuniquenames');
      if (!isGroup) {
        people.push(found.dn);
        return;
      }
      for (const m of values(found, 'member')) await visit(m, depth + 1, false);
    };
    await visit(groupDn, 0, true);
    return people;
  }

  /**
   * Users whose login, given name or surname contains `query` (the console's search), at most
   * `limit`. The query is an octet string inside substring filters, never filter text.
   */
  async searchUsers(query: string, limit: number): Promise<DirectoryUser[]> {
    checkLoginName(query);
    const attrs = new Set([...this.o.loginAttributes, this.o.userInfo.get('givenname') ?? 'givenName', this.o.userInfo.get('surname') ?? 'sn']);
    const { OrFilter, SubstringFilter } = ldapts();
    const any = new OrFilter({ filters: [...attrs].map((attribute) => new SubstringFilter({ attribute, any: [query] })) });
    const entries = await this.paged(this.o.base, and([...this.o.searchFilter, any]), Math.min(limit, this.o.sizeLimit));
    return entries
      .map((e) => this.toUser(e)?.user)
      .filter((u): u is DirectoryUser => !!u)
      .slice(0, limit)
      .sort((a, b) => a.login.localeCompare(b.login));
  }

  /** For `directory test`: the filter a login look-up sends, in RFC 4515 text. */
  describeLoginFilter(login: string): string {
    const parts = this.o.loginAttributes.map((a) => `(${a}=${escapeFilterValue(login)})`);
    const inner = parts.length > 1 ? `(|${parts.join('')})` : parts[0]!;
    return this.o.searchFilterText.trim() ? `(&${this.o.searchFilterText.trim().replace(/^\(&(.*)\)$/, '$1')}${inner})` : inner;
  }

  /** Bind and search as the service account now, bypassing the cache (`directory test`). */
  async probe(): Promise<{ uri: string }> {
    await this.pool.run((c) => c.search(this.o.base, { scope: 'base', attributes: ['1.1'] }));
    return { uri: this.pool.currentUri() ?? '' };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function attr(e: Entry, name: string): string | Buffer | undefined {
  const v = lookup(e, name);
  return Array.isArray(v) ? v[0] : v;
}

function lookup(e: Entry, name: string): Entry[string] | undefined {
  if (name in e) return e[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(e)) if (k.toLowerCase() === lower) return e[k];
  return undefined;
}

function values(e: Entry, name: string): string[] {
  const v = lookup(e, name);
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))).filter((x) => x !== '');
}

/** DN `dn` lies in or under `base` (compared case-insensitively, spaces after commas ignored). */
export function isUnder(dn: string, base: string): boolean {
  const norm = (s: string) => s.replace(/\s*,\s*/g, ',').toLowerCase();
  const d = norm(dn);
  const b = norm(base);
  return d === b || d.endsWith(`,${b}`);
}

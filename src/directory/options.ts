import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Filter } from 'ldapts';
import type { LdapResolverConfig } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { parseSearchFilter } from './filter.js';

/** The smsotpd fields a USERINFO map may name; free keys are kept and shown by `directory test`. */
export const KNOWN_FIELDS = ['username', 'givenname', 'surname', 'mobile', 'phone', 'email'] as const;

/** A resolver definition checked and put in the form the resolver works with. */
export interface LdapOptions {
  name: string;
  uris: string[];
  base: string;
  bindDn: string;
  bindPw: string;
  loginAttributes: string[];
  searchFilterText: string;
  searchFilter: Filter[];
  /** field -> attribute, a Map: field names come from the config file. */
  userInfo: Map<string, string>;
  uidType: string;
  /** UIDTYPE DN (any case): the uid is the entry's DN. */
  uidIsDn: boolean;
  /** objectGUID and other binary ids are read as bytes. */
  uidIsGuid: boolean;
  timeoutMs: number;
  cacheMs: number;
  sizeLimit: number;
  startTls: boolean;
  tls: ConnectionOptions;
  poolSize: number;
}

/** A resolver definition the schema let through but that cannot work; a ConfigError, so the CLI prints it plainly. */
export class ResolverConfigError extends ConfigError {}

/**
 * LDAPURI as privacyIDEA takes it: comma-separated, each `ldap://host[:port]`, `ldaps://host[:port]`
 * or a bare host (plain LDAP). Paths, users and query parts are refused rather than ignored.
 */
export function parseUris(text: string): string[] {
  const out: string[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `ldap://${raw}`;
    let u: URL;
    try {
      u = new URL(withScheme);
    } catch {
      throw new ResolverConfigError(`LDAPURI entry "${raw}" is not a URI`);
    }
    const scheme = u.protocol.toLowerCase();
    if (scheme !== 'ldap:' && scheme !== 'ldaps:') throw new ResolverConfigError(`LDAPURI entry "${raw}": the scheme must be ldap:// or ldaps://`);
    if (u.username || u.password || (u.pathname && u.pathname !== '/') || u.search) {
      throw new ResolverConfigError(`LDAPURI entry "${raw}": give only scheme, host and port (the base goes in LDAPBASE)`);
    }
    out.push(`${scheme}//${u.host}`);
  }
  if (!out.length) throw new ResolverConfigError('LDAPURI names no server');
  return out;
}

/** USERINFO as an object, or privacyIDEA's JSON string (`{"phone": "telephoneNumber", ...}`). */
export function parseUserInfo(v: LdapResolverConfig['USERINFO']): Map<string, string> {
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = v.trim() ? JSON.parse(v) : {};
    } catch {
      throw new ResolverConfigError(
        'USERINFO is a string but not JSON: write it as an object, or as privacyIDEA\'s JSON text {"mobile": "mobile", ...}',
      );
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ResolverConfigError('USERINFO must map field names to LDAP attributes');
  const map = new Map<string, string>();
  for (const [k, a] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof a !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(a))
      throw new ResolverConfigError(`USERINFO "${k}": "${String(a)}" is not an LDAP attribute name`);
    map.set(k, a);
  }
  return map;
}

export function ldapOptions(name: string, c: LdapResolverConfig): LdapOptions {
  try {
    return build(name, c);
  } catch (err) {
    if (err instanceof ResolverConfigError) throw new ResolverConfigError(`invalid configuration: resolvers.${name}: ${err.message}`);
    throw err;
  }
}

function build(name: string, c: LdapResolverConfig): LdapOptions {
  const uris = parseUris(c.LDAPURI);
  const loginAttributes = c.LOGINNAMEATTRIBUTE.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const userInfo = parseUserInfo(c.USERINFO);
  // privacyIDEA: `username` is always the first login attribute.
  userInfo.set('username', loginAttributes[0]!);
  const tls: ConnectionOptions = { rejectUnauthorized: c.TLS_VERIFY };
  if (c.TLS_CA_FILE) {
    try {
      tls.ca = readFileSync(c.TLS_CA_FILE);
    } catch (err) {
      throw new ResolverConfigError(`TLS_CA_FILE ${c.TLS_CA_FILE} cannot be read: ${(err as Error).message}`);
    }
  }
  let searchFilter: Filter[];
  try {
    searchFilter = parseSearchFilter(c.LDAPSEARCHFILTER);
  } catch (err) {
    throw new ResolverConfigError((err as Error).message);
  }
  return {
    name,
    uris,
    base: c.LDAPBASE,
    bindDn: c.BINDDN,
    bindPw: c.BINDPW,
    loginAttributes,
    searchFilterText: c.LDAPSEARCHFILTER,
    searchFilter,
    userInfo,
    uidType: c.UIDTYPE,
    uidIsDn: c.UIDTYPE.toLowerCase() === 'dn',
    uidIsGuid: c.UIDTYPE.toLowerCase() === 'objectguid',
    timeoutMs: Math.round(c.TIMEOUT * 1000),
    cacheMs: Math.round(c.CACHE_TIMEOUT * 1000),
    sizeLimit: c.SIZELIMIT,
    startTls: c.START_TLS,
    tls,
    poolSize: c.POOL_SIZE,
  };
}

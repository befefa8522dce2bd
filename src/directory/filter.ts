import type { Filter } from 'ldapts';
import { ldapts } from './ldapts.js';
import { invalidUser } from './errors.js';

/** Longest login name sent to a directory (AD's sAMAccountName is 20; a UPN or mail is longer). */
export const LOGIN_MAX = 256;

/**
 * RFC 4515 section 3: an assertion value with `*`, `(`, `)`, `\` and NUL written as `\XX`.
 * smsotpd sends values as filter objects (octet strings that never pass a filter parser), so this
 * string form is what logs, `directory test` and docs show; it is also safe to paste into ldapsearch.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\u0000]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Every octet as `\XX`: binary values such as objectGUID. */
export function escapeFilterBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * A login name fit to be looked up. Control characters are refused before any query: Samba cuts
 * a value at an escaped NUL (`u000\00xyz` matches u000), so escaping alone is not enough there.
 */
export function checkLoginName(login: string): string {
  if (login.length === 0 || login.length > LOGIN_MAX) throw invalidUser(`A user name has 1 to ${LOGIN_MAX} characters.`);
  if (/[\u0000-\u001f\u007f]/.test(login)) throw invalidUser('A user name cannot contain control characters.');
  return login;
}

/**
 * The resolver's own filter (LDAPSEARCHFILTER, privacyIDEA style: parts without the outer `&`),
 * parsed once. Config text only; never anything from a request.
 */
export function parseSearchFilter(text: string): Filter[] {
  const t = text.trim();
  if (!t) return [];
  // ldapts' parser forgives a missing ")"; a resolver filter that is not what the admin meant must not load.
  if (!t.startsWith('(') || !balanced(t)) throw new Error(`LDAPSEARCHFILTER "${text}" is not a valid LDAP filter: unbalanced parentheses`);
  const wrapped = t.startsWith('(&') && balancedWhole(t) ? t : `(&${t})`;
  try {
    const { AndFilter, FilterParser } = ldapts();
    const f = FilterParser.parseString(wrapped);
    return f instanceof AndFilter ? f.filters : [f];
  } catch (err) {
    throw new Error(`LDAPSEARCHFILTER "${text}" is not a valid LDAP filter: ${(err as Error).message}`);
  }
}

function balanced(t: string): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\') i += 2;
    else if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** `(a)(b)` is two parts; `(&(a)(b))` one whole filter. */
function balancedWhole(t: string): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\') i += 2;
    else if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0) return i === t.length - 1;
  }
  return false;
}

export const and = (parts: Filter[]): Filter => (parts.length === 1 ? parts[0]! : new (ldapts().AndFilter)({ filters: parts }));

/** `(&F(|(a1=v)(a2=v)))`: the value goes in as an octet string, so no character of it is syntax. */
export function loginFilter(base: Filter[], attributes: string[], login: string): Filter {
  const { EqualityFilter, OrFilter } = ldapts();
  const eq = attributes.map((attribute) => new EqualityFilter({ attribute, value: login }));
  return and([...base, eq.length === 1 ? eq[0]! : new OrFilter({ filters: eq })]);
}

export function equalityFilter(base: Filter[], attribute: string, value: string | Buffer): Filter {
  return and([...base, new (ldapts().EqualityFilter)({ attribute, value })]);
}

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: members of a group and of the groups nested in it. */
export function inChainMemberFilter(base: Filter[], groupDn: string): Filter {
  return and([...base, new (ldapts().ExtensibleFilter)({ matchType: 'memberOf', rule: '1.2.840.113556.1.4.1941', value: groupDn })]);
}

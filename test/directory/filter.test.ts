import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FilterParser } from 'ldapts';
import { checkLoginName, escapeFilterValue, inChainMemberFilter, loginFilter, parseSearchFilter } from '../../src/directory/filter.js';
import { guidToBytes, guidToString } from '../../src/directory/guid.js';
import { parseUris, parseUserInfo } from '../../src/directory/options.js';

describe('RFC 4515 escaping', () => {
  it('escapes the five characters and nothing else', () => {
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('a\\b\u0000c')).toBe('a\\5cb\\00c');
    expect(escapeFilterValue("Jürgen O'Neil")).toBe("Jürgen O'Neil");
  });
  it('any string escaped parses back to exactly itself as one equality value', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }).filter((s) => !/[^\u0000-\u007f]/.test(s)),
        (v) => {
          const f = FilterParser.parseString(`(uid=${escapeFilterValue(v)})`) as unknown as { value: string; attribute: string };
          expect(f.attribute).toBe('uid');
          expect(f.value).toBe(v);
        },
      ),
    );
  });
  it('login values travel as octet strings, never parsed as filter text', () => {
    const f = loginFilter(parseSearchFilter('(objectClass=person)'), ['uid', 'mail'], '*)(uid=*');
    expect(f.toString()).toContain('(uid=\\2a\\29\\28uid=\\2a)');
  });
  it('nested AD groups: the in-chain matching rule on memberOf, within the resolver filter', () => {
    const f = inChainMemberFilter(parseSearchFilter('(objectCategory=person)'), 'CN=VPN Users,OU=Groups,DC=corp,DC=example');
    expect(f.toString()).toBe('(&(objectCategory=person)(memberOf:1.2.840.113556.1.4.1941:=CN=VPN Users,OU=Groups,DC=corp,DC=example))');
  });
  it('refuses control characters and over-long names before any query', () => {
    expect(() => checkLoginName('a\u0000')).toThrow(/cannot contain control characters/);
    expect(() => checkLoginName('a\nb')).toThrow(/cannot contain control characters/);
    expect(() => checkLoginName('')).toThrow(/1 to 256 characters/);
    expect(() => checkLoginName('x'.repeat(257))).toThrow(/1 to 256 characters/);
    expect(checkLoginName('a*b')).toBe('a*b');
  });
  it('takes LDAPSEARCHFILTER as privacyIDEA writes it, with or without the outer &', () => {
    expect(parseSearchFilter('(uid=*)(objectClass=inetOrgPerson)')).toHaveLength(2);
    expect(parseSearchFilter('(&(uid=*)(objectClass=inetOrgPerson))')).toHaveLength(2);
    expect(parseSearchFilter('(|(a=1)(b=2))')).toHaveLength(1);
    expect(parseSearchFilter('')).toEqual([]);
    expect(() => parseSearchFilter('(uid=*')).toThrow(/not a valid LDAP filter/);
  });
});

describe('objectGUID', () => {
  it('stores the first three groups little-endian (MS-DTYP 2.3.4)', () => {
    const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
    expect(guidToString(bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(guidToBytes('{00112233-4455-6677-8899-AABBCCDDEEFF}').equals(bytes)).toBe(true);
    expect(() => guidToBytes('not-a-guid')).toThrow();
  });
});

describe('resolver options', () => {
  it('LDAPURI: comma list, bare hosts are ldap://, paths refused', () => {
    expect(parseUris('ldaps://dc1.corp.example, dc2.corp.example:389 ,ldap://[::1]:1389')).toEqual([
      'ldaps://dc1.corp.example',
      'ldap://dc2.corp.example:389',
      'ldap://[::1]:1389',
    ]);
    expect(() => parseUris('ldap://h/dc=x')).toThrow(/only scheme, host and port/);
    expect(() => parseUris('http://h')).toThrow(/ldap:\/\/ or ldaps:\/\//);
    expect(() => parseUris(' , ')).toThrow(/names no server/);
  });
  it('USERINFO as object or privacyIDEA JSON string', () => {
    expect([...parseUserInfo('{"mobile": "mobile", "phone": "telephoneNumber"}')]).toEqual([
      ['mobile', 'mobile'],
      ['phone', 'telephoneNumber'],
    ]);
    expect([...parseUserInfo({ email: 'mail' })]).toEqual([['email', 'mail']]);
    expect(() => parseUserInfo('{mobile: mobile')).toThrow(/not JSON/);
    expect(() => parseUserInfo('{"mobile": "mob ile"}')).toThrow(/not an LDAP attribute/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeKeys, listKeys } from '../../src/config/introspect.js';
import { renderConfigReference } from '../../src/config/reference.js';
import { configSchema, descriptionProblems, removedKey } from '../../src/config/schema.js';

describe('docs/config.md', () => {
  it('is what the schema generates (run `npm run docs:config` after changing src/config/)', () => {
    const onDisk = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
    // One assertion with a clear message instead of a 400-line diff when only the hint is needed.
    expect(onDisk === renderConfigReference(), 'docs/config.md is out of date: run `npm run docs:config` and commit it').toBe(true);
  });

  it('descriptions.ts names only real keys, none also described inline', () => {
    expect(descriptionProblems).toEqual([]);
  });

  it('describes every key (add `.describe(...)` to a new key in schema.ts)', () => {
    const undescribed = listKeys(configSchema)
      .filter((k) => !k.description && !k.removed)
      .map((k) => k.path);
    expect(undescribed).toEqual([]);
  });

  it('lists every key with its type and default', () => {
    const md = renderConfigReference();
    expect(md).toContain('| `port` | integer 0-65_535 | `5000` |');
    expect(md).toContain('| `otpLength` | 6 \\| 8 | `6` |');
    expect(md).toContain('| `URL` | string (url) (max 2048 chars) | **required** |');
    expect(md).toContain('### `sms.providers[modem]`');
    expect(md).toContain('| `defaultRegion` | string | (unset) |');
  });

  it('is generic: a new described key shows up, a missing description is visible', () => {
    const schema = z.object({
      listen: z
        .object({
          port: z.number().int().min(0).max(65535).default(5000).describe('TCP port.'),
          tls: z.union([z.literal('auto'), z.object({ cert: z.string().describe('Certificate file.'), key: z.string() })]).optional(),
        })
        .prefault({})
        .describe('Where to listen.'),
      resolvers: z.record(z.string(), z.object({ LDAPURI: z.string().describe('LDAP servers.') })).optional(),
      old: removedKey('gone; use listen.port'),
    });
    const keys = listKeys(schema);
    expect(keys.map((k) => [k.path, k.description ?? null])).toEqual([
      ['listen', 'Where to listen.'],
      ['listen.port', 'TCP port.'],
      ['listen.tls', null],
      ['listen.tls.cert', 'Certificate file.'],
      ['listen.tls.key', null],
      ['resolvers', null],
      ['resolvers.*.LDAPURI', 'LDAP servers.'],
      ['old', null],
    ]);
    const md = renderConfigReference(schema);
    expect(md).toContain('| `tls` | "auto" \\| object | (unset) | See `listen.tls` below. |');
    expect(md).toContain('### `listen.tls`');
    expect(md).toContain('### `resolvers.*`');
    expect(md).toContain('## Removed keys');
    expect(md).toContain('| `old` | gone; use listen.port |');
    expect(md).not.toContain('| `old` | (removed)');
  });

  it('descriptions kept outside schema.ts must name a real key, once', () => {
    const schema = z.object({ a: z.object({ b: z.number().describe('inline') }) });
    expect(describeKeys(schema, { 'a.c': 'x' })).toEqual(['config path a.c: no key "c"']);
    expect(describeKeys(schema, { 'a.b': 'other text' })).toEqual([expect.stringContaining('config path a.b is described twice')]);
    expect(listKeys(schema).find((k) => k.path === 'a.b')?.description).toBe('inline');
  });
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';
import { removedKey } from '../../src/config/schema.js';
import { findUnknownKeys } from '../../src/config/strict.js';
import { didYouMean, editDistance } from '../../src/util/did-you-mean.js';
import { tempDir } from '../helpers/harness.js';

const problems = (raw: unknown): string => {
  try {
    parseConfig(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('strict config: unknown keys stop start-up', () => {
  it.each([
    [{ tokne: { otpLength: 8 } }, 'tokne: unknown key; did you mean "token"?'],
    [{ token: { otpLenght: 8 } }, 'token.otpLenght: unknown key; did you mean "otpLength"?'],
    [{ listen: { prot: 5009 } }, 'listen.prot: unknown key; did you mean "port"?'],
    [{ listen: { Host: '0.0.0.0' } }, 'listen.Host: unknown key; did you mean "host"?'],
    [{ datadir: '/var/lib/smsotpd' }, 'datadir: unknown key; did you mean "dataDir"?'],
    [{ otpLength: 8 }, 'otpLength: unknown key; "otpLength" belongs at token.otpLength'],
    [
      { sms: { providers: [{ id: 'hat', type: 'modem', device: '/dev/ttyUSB2', devce: 'x' }] } },
      'sms.providers.0.devce: unknown key; did you mean "device"?',
    ],
    [
      { sms: { providers: [{ id: 'k', type: 'http', URL: 'http://127.0.0.1/', url: 'x' }] } },
      'sms.providers.0.url: unknown key; did you mean "URL"?',
    ],
    [
      { sms: { providers: [{ id: 'k', type: 'http', URL: 'http://127.0.0.1/', smsc: '+491710760000' }] } },
      'sms.providers.0.smsc: unknown key; "smsc" belongs at sms.providers[modem].smsc',
    ],
    [
      { sms: { providers: [{ id: 's', type: 'simulator', faults: { hangrate: 0.1 } }] } },
      'sms.providers.0.faults.hangrate: unknown key; did you mean "hangRate"?',
    ],
    [
      { sms: { providers: [{ id: 'hat', type: 'modem', modems: [{ id: 'a', device: '/dev/a', baud: 9600 }] }] } },
      'sms.providers.0.modems.0.baud: unknown key',
    ],
    [{ wibble: 1 }, 'wibble: unknown key (see docs/config.md for the keys allowed here)'],
  ])('%j', (raw, line) => {
    const message = problems(raw);
    expect(message).toContain(line);
    expect(message).toMatch(/^invalid configuration in test\.json:\n/);
  });

  it('reports every unknown key at once, before the other problems', () => {
    const message = problems({ tokne: {}, listen: { prot: 1, port: 'x' } });
    const lines = message.split('\n').slice(1);
    expect(lines[0]).toContain('tokne');
    expect(lines[1]).toContain('listen.prot');
    expect(lines[2]).toContain('listen.port');
  });

  it('names that are object properties are unknown keys, not crashes', () => {
    const message = problems(JSON.parse('{"__proto__": {"a": 1}, "constructor": 1, "toString": 2, "token": {"hasOwnProperty": 3}}'));
    expect(message).toContain('__proto__: unknown key');
    expect(message).toContain('constructor: unknown key');
    expect(message).toContain('toString: unknown key');
    expect(message).toContain('token.hasOwnProperty: unknown key');
  });

  it("maps hold names of the admin's choosing: any key is fine there", () => {
    const cfg = parseConfig({
      sms: {
        providers: [
          {
            id: 'k',
            type: 'http',
            URL: 'http://127.0.0.1/',
            PARAMETER: { username: 'u', whatever: 1 },
            headers: { 'X-Any': 'v' },
            options: { to: '{phone}' },
          },
        ],
      },
    });
    expect(cfg.sms.providers[0]).toMatchObject({ PARAMETER: { username: 'u', whatever: 1 } });
  });

  it('every key of DESIGN.md contract 3 is valid', () => {
    const cfg = parseConfig({
      listen: { host: '127.0.0.1', port: 5000 },
      dataDir: './var',
      token: { otpLength: 6, challengeValidity: 300, maxFail: 10 },
      sms: {
        text: 'Your login code is {otp}',
        providers: [
          { id: 'hat', type: 'modem', device: '/dev/ttyUSB2', profile: 'sim800', baudRate: 115200, simPin: '1234' },
          {
            id: 'kannel',
            type: 'http',
            URL: 'http://10.0.0.5:13013/cgi-bin/sendsms',
            HTTP_METHOD: 'GET',
            SMS_PHONENUMBER_KEY: 'to',
            SMS_TEXT_KEY: 'text',
            PARAMETER: { username: 'u', password: 'p' },
            RETURN_SUCCESS: 'Accepted',
          },
          { id: 'sipgate', type: 'sipgate', USERNAME: 'u', PASSWORD: 'p' },
          {
            id: 'mail',
            type: 'smtp',
            MAILTO: '{phone}@sms.example',
            MAILSERVER: 'mail.example',
            MAILSENDER: 'otp@example.org',
            MAILUSER: 'u',
            MAILPASSWORD: 'p',
            SUBJECT: '{phone}',
            BODY: '{otp}',
            PORT: 587,
            STARTTLS: true,
            CHECK_SSL: 'yes',
            TIMEOUT: 10,
          },
          { id: 'sim', type: 'simulator' },
        ],
      },
    });
    expect(cfg.sms.providers.map((p) => p.id)).toEqual(['hat', 'kannel', 'sipgate', 'mail', 'sim']);
  });

  it('a misspelled key in a config file stops loadConfig with the file named', () => {
    const file = path.join(tempDir('smsotpd-cfg-'), 'config.json');
    writeFileSync(file, JSON.stringify({ token: { otpLenght: 8 } }));
    expect(() => loadConfig(file, {})).toThrow(
      new RegExp(
        `invalid configuration in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\n  token\\.otpLenght: unknown key; did you mean "otpLength"\\?`,
      ),
    );
  });

  it('is generic: any object in a schema is strict, z.looseObject opts out, records and unions are walked', () => {
    const schema = z.object({
      a: z.object({ inner: z.number().default(1) }).prefault({}),
      loose: z.looseObject({ x: z.number() }).optional(),
      tls: z.union([z.literal('auto'), z.object({ cert: z.string(), key: z.string() })]).optional(),
      realms: z.record(z.string(), z.object({ resolvers: z.array(z.string()) })).optional(),
    });
    const found = findUnknownKeys(schema, {
      a: { innr: 1 },
      loose: { x: 1, extra: 2 },
      tls: { cert: 'c', kye: 'k' },
      realms: { corp: { resolver: ['x'] } },
    });
    expect(found.map((f) => [f.path.join('.'), f.suggestion])).toEqual([
      ['a.innr', 'inner'],
      ['tls.kye', 'key'],
      ['realms.corp.resolver', 'resolvers'],
    ]);
    expect(findUnknownKeys(schema, { tls: 'auto' })).toEqual([]);
  });
});

describe('dead keys', () => {
  it('a removedKey() refuses any value with its reason, and is listed as removed', () => {
    const schema = z.object({ old: removedKey('use "new" instead'), new: z.number().optional() });
    const r = schema.safeParse({ old: 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['old'], message: 'removed: use "new" instead' });
    expect(schema.safeParse({ new: 1 }).success).toBe(true);
    expect(findUnknownKeys(schema, { old: 1 })).toEqual([]);
  });

  it('modem mode accepts only "pdu"; text mode is refused with the reason', () => {
    const ok = parseConfig({ sms: { providers: [{ id: 'hat', type: 'modem', device: '/dev/x', mode: 'pdu' }] } });
    expect(ok.sms.providers[0]).toMatchObject({ mode: 'pdu' });
    expect(problems({ sms: { providers: [{ id: 'hat', type: 'modem', device: '/dev/x', mode: 'text' }] } })).toContain(
      'sms.providers.0.mode: only "pdu": text mode is not supported',
    );
  });

  it('modem smsc is normalised to E.164 and must be international', () => {
    const cfg = parseConfig({ sms: { providers: [{ id: 'hat', type: 'modem', device: '/dev/x', smsc: '+49 171 0760000' }] } });
    expect(cfg.sms.providers[0]).toMatchObject({ smsc: '+491710760000' });
    expect(problems({ sms: { providers: [{ id: 'hat', type: 'modem', device: '/dev/x', smsc: '0171 0760000' }] } })).toContain(
      'sms.providers.0.smsc: not an international number: write it with the country code',
    );
  });
});

describe('sms.defaultRegion', () => {
  it('takes a region libphonenumber knows, in capitals', () => {
    expect(parseConfig({ sms: { defaultRegion: 'DE' } }).sms.defaultRegion).toBe('DE');
    expect(parseConfig({}).sms.defaultRegion).toBeUndefined();
    for (const bad of ['de', 'XX', 'DEU', ''])
      expect(problems({ sms: { defaultRegion: bad } })).toContain('sms.defaultRegion: a two-letter ISO 3166 region code');
  });
});

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit, ignoring case', () => {
    expect(editDistance('tokne', 'token')).toBe(1);
    expect(editDistance('otpLenght', 'otpLength')).toBe(1);
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('URL', 'url')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('allows one edit up to 4 letters, two up to 8, three beyond', () => {
    expect(didYouMean('abcd', ['abxy'])).toEqual([]);
    expect(didYouMean('abcd', ['abcx'])).toEqual(['abcx']);
    expect(didYouMean('abcde', ['abxye'])).toEqual(['abxye']);
    expect(didYouMean('abcdefgh', ['abxyefgh'])).toEqual(['abxyefgh']);
    expect(didYouMean('abcdefgh', ['xyzdefgh'])).toEqual([]);
    expect(didYouMean('abcdefghi', ['xyzdefghi'])).toEqual(['xyzdefghi']);
    expect(didYouMean('abcdefghi', ['wxyzefghi'])).toEqual([]);
  });

  it('orders by distance, then by candidate order, and returns at most `max`', () => {
    expect(didYouMean('abcd', ['abcx', 'abcd'])).toEqual(['abcd']);
    expect(didYouMean('abcd', ['abcx', 'abcd'], 5)).toEqual(['abcd', 'abcx']);
    expect(didYouMean('ab', ['ax', 'ay'], 5)).toEqual(['ax', 'ay']);
    expect(didYouMean('ab', ['ay', 'ax'], 5)).toEqual(['ay', 'ax']);
    expect(didYouMean('ab', ['ax', 'ay'])).toEqual(['ax']);
  });

  it('measures insertions, deletions, substitutions and swaps exactly', () => {
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('abcdef', 'badcfe')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ca', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('abc', 'abxc')).toBe(1);
  });

  it('suggests nothing far away, and the closest first', () => {
    expect(didYouMean('wibble', ['listen', 'token', 'sms'])).toEqual([]);
    expect(didYouMean('smss', ['sms', 'smsc'], 2)).toEqual(['sms', 'smsc']);
    expect(didYouMean('ab', ['xy'])).toEqual([]);
  });
});

import { z } from 'zod';
import { isPhoneRegion, PhoneNumberError, toE164 } from '../util/phone.js';
import { describeKeys } from './introspect.js';
import { keyDescriptions } from './descriptions.js';

/**
 * The whole configuration of smsotpd, every default in this one file.
 * Provider option names for http/sipgate/smtp are privacyIDEA's own (upper case), so a gateway
 * definition can be copied from privacyIDEA unchanged.
 *
 * Adding a key: every object here is strict (an unknown key stops start-up with "did you mean"),
 * and docs/config.md is generated from this schema. So describe each new key, as the last call of
 * its chain: `balanceEvery: seconds(86_400, 60, 2_592_000).describe('Seconds between balance checks.')`
 * (one sentence or two: what it does, its unit, and why one would change it), then run
 * `npm run docs:config` and commit docs/config.md. A key without a description fails
 * test/config/reference.test.ts. Keys defined before this rule have their text in descriptions.ts.
 * A key that must go: `name: removedKey('why, and what to do instead')` keeps a clear error.
 */

/** A key that no longer exists: setting it stops start-up with `reason`, which says what to do. */
export const removedKey = (reason: string) =>
  z
    .never({ error: `removed: ${reason}` })
    .optional()
    .meta({ removed: reason });

/** An international number (the SMSC's), stored in E.164 whatever separators were typed. */
const internationalNumber = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    try {
      return toE164(v);
    } catch (err) {
      if (!(err instanceof PhoneNumberError)) throw err;
      const why = err.rule === 'needs-region' ? 'write it with the country code (+49...)' : err.message;
      ctx.issues.push({ code: 'custom', input: v, message: `not an international number: ${why}` });
      return z.NEVER;
    }
  });

const port = z.number().int().min(0).max(65535);
const seconds = (def: number, min = 1, max = 86_400) => z.number().min(min).max(max).default(def);

const providerBase = {
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'provider id: 1-64 of A-Z a-z 0-9 _ . -'),
  /** Consecutive failures that open this provider's circuit breaker. */
  breakerThreshold: z.number().int().min(1).max(1000).default(3),
  /** Seconds the breaker stays open before one probe message is let through. */
  breakerCooldown: seconds(30, 1, 3600),
  /** Attempts on this provider for temporary failures before the message moves on. */
  maxAttempts: z.number().int().min(1).max(100).default(3),
};

/** privacyIDEA's REGEXP phone rewrite, sed form `/pattern/replacement/`. */
const regexpOption = z.string().max(512).optional();

/** A USSD code such as `*100#`: digits, * and # only (it goes onto an AT command line). */
const ussdCode = z.string().regex(/^[0-9*#+]{1,32}$/, 'a USSD code: 1-32 of 0-9 * # +');

/** Keys shared by modem and simulator providers: status reports and the balance check. */
const modemReportKeys = {
  statusReports: z
    .boolean()
    .default(true)
    .describe('Ask the network for a status report per message (TP-SRR), so messages become delivered or undelivered.'),
  balanceCode: ussdCode
    .optional()
    .describe("USSD code (e.g. *100#) whose answer, the SIM's credit, /status shows with its age; each modem of a list may set its own."),
  balanceEvery: seconds(86_400, 60, 30 * 86_400).describe('Seconds between balance checks.'),
};

export const modemProviderSchema = z
  .object({
    ...providerBase,
    type: z.literal('modem'),
    /** Serial device path (prefer /dev/serial/by-id/...) or tcp://host:port (ser2net, simulator). */
    device: z.string().min(1).max(512).optional(),
    /** Several modems pooled behind this provider; each inherits profile/baudRate/simPin unless it sets its own. */
    modems: z
      .array(
        z.object({
          id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
          device: z.string().min(1).max(512),
          profile: z
            .string()
            .regex(/^[a-z0-9_-]{1,64}$/)
            .optional(),
          baudRate: z.number().int().min(300).max(4_000_000).optional(),
          simPin: z
            .string()
            .regex(/^\d{4,8}$/, 'simPin: 4-8 digits')
            .optional(),
          balanceCode: ussdCode.optional().describe("USSD balance code of this modem (overrides the provider's)."),
          balanceEvery: seconds(86_400, 60, 30 * 86_400)
            .optional()
            .describe('Seconds between balance checks of this modem.'),
        }),
      )
      .min(1)
      .max(16)
      .optional(),
    profile: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/)
      .default('generic'),
    baudRate: z.number().int().min(300).max(4_000_000).default(115200),
    simPin: z
      .string()
      .regex(/^\d{4,8}$/, 'simPin: 4-8 digits')
      .optional(),
    /** Service centre number override; normally the SIM's own is used. */
    smsc: internationalNumber.optional(),
    /** PDU mode only: in text mode a Ctrl-Z or ESC inside the text ends or cancels the command. */
    mode: z
      .literal('pdu', { error: 'only "pdu": text mode is not supported (a Ctrl-Z or ESC in the text would end or cancel AT+CMGS); remove the key' })
      .default('pdu'),
    healthPollSeconds: seconds(30, 1, 3600),
    maxAttempts: z.number().int().min(1).max(100).default(5),
    ...modemReportKeys,
  })
  .refine((m) => !!m.device !== !!m.modems, { message: 'a modem provider needs either "device" or "modems" (a list), not both' });

export const simulatorProviderSchema = z.object({
  ...providerBase,
  type: z.literal('simulator'),
  /** Modem profile the simulated modem follows. */
  profile: z
    .string()
    .regex(/^[a-z0-9_-]{1,64}$/)
    .default('sim800'),
  /** Simulated time the network takes to accept one submit, in ms. */
  submitMs: z.number().int().min(0).max(60_000).default(200),
  /** How many simulated modems this provider pools. */
  count: z.number().int().min(1).max(16).default(1),
  simPin: z
    .string()
    .regex(/^\d{4,8}$/)
    .optional(),
  healthPollSeconds: seconds(30, 1, 3600),
  ...modemReportKeys,
  reportDelayMs: z.number().int().min(0).max(3_600_000).default(2000).describe('Simulated delay from an accepted submit to its status report, ms.'),
  /** Deterministic fault injection for demos and soak runs (see src/sim/ and docs/modems.md). */
  faults: z
    .object({
      seed: z.number().int().default(1),
      temporaryErrorRate: z.number().min(0).max(1).default(0),
      permanentErrorRate: z.number().min(0).max(1).default(0),
      hangRate: z.number().min(0).max(1).default(0),
      rebootRate: z.number().min(0).max(1).default(0),
      ambiguousRate: z.number().min(0).max(1).default(0),
      lostAckRate: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe('Per submit: the SMS goes out but +CMGS/OK is lost, and the modem is deaf for deafMs.'),
      deafMs: z
        .number()
        .int()
        .min(0)
        .max(600_000)
        .default(10_000)
        .describe('How long the simulated modem ignores everything after a lost acknowledgement, ms.'),
      lateAnswerRate: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe('Per command: the answer comes lateAnswerMs late (after the driver gave up on it).'),
      lateAnswerMs: z.number().int().min(0).max(600_000).default(3000).describe('Delay of a late answer, ms.'),
      loseRegistrationRate: z.number().min(0).max(1).default(0).describe('Per command: the network registration is lost for lostRegistrationMs.'),
      lostRegistrationMs: z.number().int().min(0).max(600_000).default(2000).describe('How long a lost registration lasts, ms.'),
      smsReadyDelayMs: z
        .number()
        .int()
        .min(0)
        .max(120_000)
        .default(300)
        .describe('After a boot, time from RDY to "SMS Ready" (the network registers before it), ms.'),
      urcNoiseRate: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe('Per answer: an unsolicited line (RING, +CMTI, +CREG ...) between the echo and the final result code.'),
      fragmentWrites: z.boolean().default(false).describe('The simulated modem writes its output in random small chunks.'),
    })
    .prefault({}),
});

export const httpProviderSchema = z.object({
  ...providerBase,
  type: z.literal('http'),
  URL: z.string().url().max(2048),
  HTTP_METHOD: z.enum(['GET', 'POST']).default('GET'),
  USERNAME: z.string().max(256).optional(),
  PASSWORD: z.string().max(256).optional(),
  CHECK_SSL: z.union([z.enum(['yes', 'no']), z.boolean()]).default('yes'),
  SEND_DATA_AS_JSON: z.union([z.enum(['yes', 'no']), z.boolean()]).default('no'),
  RETURN_SUCCESS: z.string().max(1024).optional(),
  RETURN_FAIL: z.string().max(1024).optional(),
  REGEXP: regexpOption,
  PROXY: z.string().max(2048).optional(),
  HTTP_PROXY: z.string().max(2048).optional(),
  HTTPS_PROXY: z.string().max(2048).optional(),
  /** Seconds, connect and read; privacyIDEA's default. */
  TIMEOUT: z.number().min(0.1).max(300).default(3),
  /** Legacy privacyIDEA keys: name the phone and text parameters, plus fixed parameters. */
  SMS_PHONENUMBER_KEY: z.string().max(128).optional(),
  SMS_TEXT_KEY: z.string().max(128).optional(),
  PARAMETER: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** New-style privacyIDEA gateway options: each key is one HTTP parameter, `{phone}`/`{otp}` substituted. */
  options: z.record(z.string(), z.string().max(4096)).optional(),
  /** HTTP headers sent verbatim. */
  headers: z.record(z.string(), z.string().max(4096)).optional(),
});

export const sipgateProviderSchema = z.object({
  ...providerBase,
  type: z.literal('sipgate'),
  USERNAME: z.string().min(1).max(256),
  PASSWORD: z.string().min(1).max(256),
  /** privacyIDEA hard-codes this endpoint; configurable here (and for tests). */
  URL: z.string().url().max(2048).default('https://samurai.sipgate.net/RPC2'),
  PROXY: z.string().max(2048).optional(),
  REGEXP: regexpOption,
  TIMEOUT: z.number().min(0.1).max(300).default(60),
});

export const smtpProviderSchema = z.object({
  ...providerBase,
  type: z.literal('smtp'),
  /** Recipient, may contain {phone} and {otp} (privacyIDEA new style) or <phone>/<otp> (legacy). */
  MAILTO: z.string().min(3).max(512),
  MAILSERVER: z.string().min(1).max(512),
  MAILSENDER: z.string().min(3).max(512),
  MAILUSER: z.string().max(256).optional(),
  MAILPASSWORD: z.string().max(256).optional(),
  SUBJECT: z.string().max(1024).default('{phone}'),
  BODY: z.string().max(4096).default('{otp}'),
  REGEXP: regexpOption,
  /** SMTP port; default 25 (465 when TLS is on). */
  PORT: port.optional(),
  /** Implicit TLS (SMTPS). */
  TLS: z.boolean().default(false),
  /** Require STARTTLS on a plain connection. */
  STARTTLS: z.boolean().default(false),
  CHECK_SSL: z.union([z.enum(['yes', 'no']), z.boolean()]).default('yes'),
  TIMEOUT: z.number().min(0.1).max(300).default(10),
});

export const providerSchema = z.discriminatedUnion('type', [
  modemProviderSchema,
  simulatorProviderSchema,
  httpProviderSchema,
  sipgateProviderSchema,
  smtpProviderSchema,
]);

export type ProviderConfig = z.infer<typeof providerSchema>;
export type ModemProviderConfig = z.infer<typeof modemProviderSchema>;
export type SimulatorProviderConfig = z.infer<typeof simulatorProviderSchema>;
export type HttpProviderConfig = z.infer<typeof httpProviderSchema>;
export type SipgateProviderConfig = z.infer<typeof sipgateProviderSchema>;
export type SmtpProviderConfig = z.infer<typeof smtpProviderSchema>;

// ---- Directory: LDAP/AD resolvers, realms, PIN policy, auto-enrolment (contract 9, docs/directory.md) ----

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
/** privacyIDEA stores resolver booleans as "True"/"False" or "1"/"0": both copy over. */
const piBool = z
  .union([z.boolean(), z.enum(['True', 'False', 'true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'True' || v === 'true' || v === '1');
const ldapAttribute = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'an LDAP attribute name (letters, digits, -)');

export const ldapResolverSchema = z.object({
  type: z.literal('ldap').describe("An LDAP or Active Directory user store (privacyIDEA's LDAP resolver options follow). See docs/directory.md."),
  LDAPURI: z.string().min(1).max(2048).describe('Server URIs, comma-separated, tried in order (failover): ldap://host[:389] or ldaps://host[:636].'),
  LDAPBASE: z.string().min(1).max(1024).describe('Search base of the users; entries outside it are unknown to this resolver.'),
  BINDDN: z.string().max(1024).default('').describe('Service account DN the search connections bind as; empty = anonymous searches.'),
  BINDPW: z.string().max(1024).default('').describe('Service account password. Never logged, never in /status.'),
  LOGINNAMEATTRIBUTE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}(\s*,\s*[A-Za-z][A-Za-z0-9-]{0,63}){0,7}$/, 'attribute names, comma-separated')
    .default('uid')
    .describe('Attribute(s) the login name is matched against, comma-separated (`uid`; AD `sAMAccountName`).'),
  LDAPSEARCHFILTER: z
    .string()
    .max(4096)
    .default('')
    .describe('Extra filter ANDed with every user search, privacyIDEA style without the outer `&`: `(objectClass=inetOrgPerson)`.'),
  USERINFO: z
    .union([z.record(z.string().max(64), ldapAttribute), z.string().max(8192)])
    .default({ givenname: 'givenName', surname: 'sn', mobile: 'mobile', phone: 'telephoneNumber', email: 'mail' })
    .describe("smsotpd field -> LDAP attribute (username, givenname, surname, mobile, phone, email), as an object or privacyIDEA's JSON string."),
  UIDTYPE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/)
    .default('DN')
    .describe(
      'The stable user id tokens are bound to: `DN`, or an attribute such as `entryUUID` (OpenLDAP) or `objectGUID` (AD, binary, shown as a GUID string).',
    ),
  TIMEOUT: z.number().min(0.1).max(120).default(5).describe('Seconds for connecting and for each operation.'),
  CACHE_TIMEOUT: z
    .number()
    .min(0)
    .max(86_400)
    .default(120)
    .describe('Seconds a user look-up is cached; 0 = no cache. Password checks are never cached.'),
  SIZELIMIT: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(500)
    .describe('Most entries a user list or an auto-enrolment pass reads from this directory.'),
  START_TLS: piBool.default(false).describe('Upgrade ldap:// connections with StartTLS (ignored for ldaps://).'),
  TLS_VERIFY: piBool.default(true).describe('Verify the server certificate (and its name) on ldaps:// and StartTLS. Off only for tests.'),
  TLS_CA_FILE: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe("PEM file with the CA(s) that signed the directory's certificate; default: the system's CAs."),
  NOREFERRALS: piBool.default(false).describe('Accepted for privacyIDEA compatibility: smsotpd never chases referrals, with or without it.'),
  POOL_SIZE: z.number().int().min(1).max(32).default(4).describe('Search connections kept open to the directory (user look-ups share them).'),
});

export const realmSchema = z.object({
  resolvers: z
    .array(z.string().regex(NAME_RE))
    .min(1)
    .max(16)
    .describe('Resolvers asked in this order; the first that knows the login wins. `local` is the local user table.'),
  otppin: z
    .enum(['tokenpin', 'userstore', 'none'])
    .default('tokenpin')
    .describe("First factor: `tokenpin` (the token's PIN), `userstore` (the directory password, checked by a bind), `none` (empty)."),
  autoEnroll: z
    .object({
      group: z.string().min(3).max(1024).optional().describe('DN of a groupOfNames / AD group; members are read from `member`.'),
      filter: z
        .string()
        .min(3)
        .max(4096)
        .optional()
        .describe("Or an LDAP filter (ANDed with the resolver's LDAPSEARCHFILTER) selecting the members."),
      every: seconds(900, 60, 7 * 86_400).describe('Seconds between passes.'),
      nested: z
        .enum(['auto', 'walk', 'inChain'])
        .default('auto')
        .describe(
          "Nested groups: `walk` reads `member` recursively (OpenLDAP, AD); `inChain` asks AD's in-chain rule; `auto` = inChain for UIDTYPE objectGUID.",
        ),
      resolver: z
        .string()
        .regex(NAME_RE)
        .optional()
        .describe("The LDAP resolver of this realm the group lives in; default the realm's first LDAP resolver."),
    })
    .refine((a) => !!a.group !== !!a.filter, { message: 'autoEnroll needs either "group" (a DN) or "filter", not both' })
    .optional()
    .describe(
      "Give a group's members an SMS token (dynamic_phone, no PIN) and disable, never delete, the tokens of those who left, were disabled or vanished. See docs/directory.md.",
    ),
});

export type LdapResolverConfig = z.infer<typeof ldapResolverSchema>;
export type RealmConfig = z.infer<typeof realmSchema>;

const directoryKeys = {
  resolvers: z
    .record(z.string().regex(NAME_RE), ldapResolverSchema)
    .default({})
    .describe("LDAP/AD user stores by name, privacyIDEA's LDAP resolver options. `local` (the local user table) is built in."),
  realms: z
    .record(z.string().regex(NAME_RE), realmSchema)
    .default({})
    .describe('Realms by name: resolvers, PIN policy, auto-enrolment. A realm not listed here is a local-table realm with `tokenpin`.'),
  defaultRealm: z
    .string()
    .regex(NAME_RE)
    .optional()
    .describe('Realm of a user given without `@realm` or `realm`; unset = `token.defaultRealm` (the older key, default `default`).'),
};

function checkDirectory(
  cfg: {
    resolvers: Record<string, LdapResolverConfig>;
    realms: Record<string, RealmConfig>;
    defaultRealm?: string | undefined;
    token: { defaultRealm: string };
  },
  ctx: z.RefinementCtx,
): void {
  const resolvers = new Map(Object.entries(cfg.resolvers));
  if (resolvers.has('local'))
    ctx.addIssue({
      code: 'custom',
      path: ['resolvers', 'local'],
      message: '"local" is the built-in local user table; give the LDAP resolver another name',
    });
  for (const [name, realm] of Object.entries(cfg.realms)) {
    realm.resolvers.forEach((r, i) => {
      if (r !== 'local' && !resolvers.has(r))
        ctx.addIssue({
          code: 'custom',
          path: ['realms', name, 'resolvers', i],
          message: `no resolver "${r}" (define it under "resolvers", or use "local")`,
        });
    });
    if (realm.otppin === 'userstore' && realm.resolvers.includes('local')) {
      ctx.addIssue({
        code: 'custom',
        path: ['realms', name, 'otppin'],
        message: 'otppin "userstore" checks the directory password: the local table has none, so a userstore realm takes LDAP resolvers only',
      });
    }
    const ae = realm.autoEnroll;
    if (ae && realm.otppin === 'tokenpin') {
      ctx.addIssue({
        code: 'custom',
        path: ['realms', name, 'autoEnroll'],
        message:
          'auto-enrolled tokens have no PIN: with otppin "tokenpin" the SMS alone would log in. Use otppin "userstore" (the directory password), or "none" if one factor is meant',
      });
    }
    if (ae) {
      const ldap = realm.resolvers.filter((r) => r !== 'local');
      if (ae.resolver ? !ldap.includes(ae.resolver) : ldap.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['realms', name, 'autoEnroll'],
          message: ae.resolver
            ? `autoEnroll.resolver "${ae.resolver}" is not an LDAP resolver of this realm`
            : 'autoEnroll needs an LDAP resolver in the realm',
        });
      }
    }
  }
  if (cfg.defaultRealm && cfg.token.defaultRealm !== 'default' && cfg.token.defaultRealm !== cfg.defaultRealm) {
    ctx.addIssue({
      code: 'custom',
      path: ['defaultRealm'],
      message: `defaultRealm "${cfg.defaultRealm}" and token.defaultRealm "${cfg.token.defaultRealm}" disagree: keep only defaultRealm`,
    });
  }
}

export const configSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).max(255).default('127.0.0.1'),
        port: port.default(5000),
        /**
         * HTTPS on this port (then it speaks HTTPS only): "auto" makes a self-signed certificate at
         * the first start in <dataDir>/tls/; or PEM files, the cert file may hold the chain after
         * the leaf. Re-read on SIGHUP. Absent: plain HTTP (fine on 127.0.0.1 behind a proxy).
         */
        tls: z
          .union([
            z.literal('auto'),
            z
              .object({
                cert: z.string().min(1).max(1024).describe('PEM certificate file: the leaf first, then its chain (served with it).'),
                key: z.string().min(1).max(1024).describe('PEM private key file of the certificate (unencrypted, readable by the service user).'),
              })
              .strict(),
          ])
          .optional()
          .describe(
            'HTTPS on this port (then it speaks HTTPS only, TLS 1.2+): "auto" makes a self-signed certificate at the first start in <dataDir>/tls/ (kept, so clients can pin it; `smsotpd tls show` prints its fingerprint), or { "cert", "key" } PEM files. Re-read on SIGHUP (systemctl reload). Absent: plain HTTP.',
          ),
      })
      .prefault({}),
    console: z
      .object({
        idleMinutes: z
          .number()
          .min(1)
          .max(24 * 60)
          .default(15)
          .describe('Minutes without a request after which a console session ends.'),
        maxHours: z
          .number()
          .min(0.1)
          .max(7 * 24)
          .default(8)
          .describe('Hours after login after which a console session ends, active or not.'),
        maxSessions: z.number().int().min(1).max(10_000).default(100).describe('Console sessions at most; a new login beyond ends the oldest.'),
      })
      .prefault({})
      .describe('The web console at `/`: session lifetimes and how many at once.'),
    dataDir: z.string().min(1).max(1024).default('./var'),
    /** Proxies whose X-Forwarded-For is trusted for the client address (exact addresses). */
    trustedProxies: z.array(z.string().max(64)).max(64).default([]),
    token: z
      .object({
        otpLength: z.union([z.literal(6), z.literal(8)]).default(6),
        /** Seconds an SMS OTP stays valid (privacyIDEA's sms.providerTimeout). */
        challengeValidity: seconds(300, 10, 86_400),
        maxFail: z.number().int().min(1).max(1000).default(10),
        /** A PIN request inside this window after an unanswered challenge sends no second SMS. */
        blockingWindow: seconds(60, 0, 86_400),
        /** PIN before OTP in a one-shot `pass`. */
        prependPin: z.boolean().default(true),
        /** A wrong PIN increments the failcounter (privacyIDEA 3.11 IncFailCountOnFalsePin). */
        incFailCountOnFalsePin: z.boolean().default(true),
        /**
         * Minutes after lockout when the next attempt clears the failcounter; 0 = never (privacyIDEA's
         * default, which lets anyone who knows a user name lock that user out until an admin resets it).
         */
        failCounterClearTimeout: z.number().min(0).max(100_000).default(5),
        /** How many earlier counters a replayed OTP is recognised in ("wrong otp value. previous otp used again", as privacyIDEA's is_previous_otp). */
        countWindow: z.number().int().min(1).max(100).default(10),
        hashlib: z.enum(['sha1', 'sha256', 'sha512']).default('sha1'),
        /** Older name of the top-level `defaultRealm`, still honoured when that is unset. */
        defaultRealm: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/)
          .default('default'),
        /** Message shown to the user with a challenge. */
        challengeText: z.string().max(256).default('Enter the OTP from the SMS:'),
      })
      .prefault({}),
    auth: z
      .object({
        /** Admin JWT lifetime in seconds (privacyIDEA's default is one hour). */
        jwtValidity: seconds(3600, 60, 7 * 86_400),
        // Login throttle (admin /auth, API keys, JWTs), per client address and per admin or key name.
        freeFailures: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(3)
          .describe(
            'Failed logins (per client address, and per admin or API key name) answered without delay; further ones wait 0.5 s, doubling up to 4 s.',
          ),
        blockAfterFailures: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(10)
          .describe(
            'Failed logins after which further attempts are refused with 429 and Retry-After, until auth.failureWindow seconds after the last failure. The CLI is never throttled.',
          ),
        failureWindow: seconds(900, 1, 86_400).describe(
          'Seconds after its last failure when a client address or name is forgotten by the login throttle (and a block ends).',
        ),
      })
      .prefault({}),
    sms: z
      .object({
        defaultRegion: z
          .string()
          .refine(isPhoneRegion, 'a two-letter ISO 3166 region code in capitals, such as "DE"')
          .optional()
          .describe(
            'Region (ISO 3166 code, e.g. "DE") for phone numbers written nationally, such as "0176 12345678". ' +
              'Without it, national numbers are refused and only international ones (+49...) are accepted. The rules: docs/config.md, "Phone numbers".',
          ),
        /** Template; tags {otp} {serial} {user} {username} {givenname} {surname} {userrealm} {time} {date} {challenge}. */
        text: z.string().min(1).max(480).default('Your login code is {otp}'),
        providers: z
          .array(providerSchema)
          .min(1)
          .max(32)
          // prefault: the default goes through the schema, so the simulator gets its defaults too.
          .prefault([{ id: 'sim', type: 'simulator' }]),
        /** Retry backoff for temporary failures: first delay and cap, in ms. */
        retryBaseMs: z.number().int().min(10).max(600_000).default(2000),
        retryMaxMs: z.number().int().min(10).max(3_600_000).default(60_000),
        /** Messages not yet final (queued, sending) at most; /sms/send refuses beyond (memory stays bounded). */
        maxQueued: z.number().int().min(10).max(1_000_000).default(10_000),
        /** Final messages stay queryable (GET /sms/<id>, the console) this long, and at most this many. */
        keepFinalHours: z.number().min(0.1).max(720).default(24),
        keepFinalMax: z.number().int().min(10).max(1_000_000).default(2_000),
        /** A status report is matched to a message sent at most this long before it (TP-MR wraps at 256 per SIM). */
        reportWindowHours: z.number().min(0.1).max(720).default(24),
        /** Received SMS kept (GET /sms/inbox); beyond it the oldest go. */
        inboxMax: z.number().int().min(1).max(100_000).default(1_000),
      })
      .prefault({}),
    limits: z
      .object({
        /** At most this many SMS challenges per token (and per phone number) in `smsWindow` seconds. */
        smsPerWindow: z.number().int().min(1).max(10_000).default(5),
        smsWindow: seconds(900, 1, 86_400 * 7),
        /** /validate/check requests per client address per second (token bucket), and its burst. */
        validatePerSecond: z.number().min(0.1).max(100_000).default(50),
        validateBurst: z.number().int().min(1).max(1_000_000).default(100),
        /** Request body limit in bytes. */
        bodyBytes: z
          .number()
          .int()
          .min(1024)
          .max(10 * 1024 * 1024)
          .default(64 * 1024),
      })
      .prefault({}),
    audit: z
      .object({
        /** Rotate the audit log at this size; keep this many old files. */
        maxBytes: z
          .number()
          .int()
          .min(4096)
          .max(1 << 30)
          .default(10 * 1024 * 1024),
        keep: z.number().int().min(1).max(100).default(5),
      })
      .prefault({}),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
    ...directoryKeys,
  })
  .superRefine((cfg, ctx) => {
    checkDirectory(cfg, ctx);
    const seen = new Set<string>();
    cfg.sms.providers.forEach((p, i) => {
      if (seen.has(p.id)) {
        ctx.addIssue({ code: 'custom', path: ['sms', 'providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      }
      seen.add(p.id);
    });
    if (cfg.sms.retryMaxMs < cfg.sms.retryBaseMs) {
      ctx.addIssue({ code: 'custom', path: ['sms', 'retryMaxMs'], message: 'must be >= sms.retryBaseMs' });
    }
  });

export type Config = z.infer<typeof configSchema>;

// Meaning of the keys that predate inline descriptions (see the comment at the top). Problems
// (a stale path, a key described twice) fail test/config/reference.test.ts, not start-up.
export const descriptionProblems = describeKeys(configSchema, keyDescriptions);

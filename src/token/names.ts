import { parameterError } from './errors.js';

/**
 * The one rule per kind of name. Every name a request can carry is checked against its rule
 * before it is used as a key, and a refusal shows the rule. Names like `__proto__` or
 * `constructor` pass where their characters do: the store keys them as plain data.
 */
export interface NameRule {
  readonly what: string;
  readonly pattern: RegExp;
  /** The rule in words, shown in the error. */
  readonly rule: string;
}

// `.` and `..` are refused everywhere: a URL path resolves them away, so /admin/.. could never
// address (or delete) the record they named.
export const NAME_RULES = {
  admin: {
    what: 'admin name',
    pattern: /^(?!\.\.?$)[A-Za-z0-9._@-]{1,64}$/,
    rule: '1-64 of A-Z a-z 0-9 . _ @ -, not . or .. (a URL path cannot carry them)',
  },
  apikey: {
    what: 'API key name',
    pattern: /^(?!\.\.?$)[A-Za-z0-9._@-]{1,64}$/,
    rule: '1-64 of A-Z a-z 0-9 . _ @ -, not . or .. (a URL path cannot carry them)',
  },
  user: {
    what: 'user name',
    pattern: /^(?!\.\.?$)[A-Za-z0-9._@+-]{1,100}$/,
    rule: '1-100 of A-Z a-z 0-9 . _ @ + -, not . or .. (a URL path cannot carry them)',
  },
  realm: {
    what: 'realm',
    pattern: /^(?!\.\.?$)[A-Za-z0-9_.-]{1,64}$/,
    rule: '1-64 of A-Z a-z 0-9 _ . -, not . or .. (a URL path cannot carry them)',
  },
  serial: {
    what: 'serial number',
    pattern: /^(?!\.\.?$)[A-Za-z0-9_.:-]{1,40}$/,
    rule: '1-40 of A-Z a-z 0-9 _ . : -, not . or .. (a URL path cannot carry them)',
  },
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

export function isValidName(kind: NameKind, name: string): boolean {
  return typeof name === 'string' && NAME_RULES[kind].pattern.test(name);
}

/** The name itself, or a 400 "Invalid <what>: <rule>" (the name is not echoed: it may be hostile). */
export function checkName(kind: NameKind, name: string): string {
  if (!isValidName(kind, name)) {
    const r = NAME_RULES[kind];
    throw parameterError(`Invalid ${r.what}: ${r.rule}.`);
  }
  return name;
}

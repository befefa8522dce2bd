/**
 * The persistent state of smsotpd: one JSON document of keyed collections.
 * Records are replaced whole, never mutated in place: a change is `put(collection, key, record)`
 * or `delete(collection, key)`, which is what the journal records.
 */

export const SCHEMA_VERSION = 1;

export interface TokenRecord {
  serial: string;
  type: 'sms';
  description: string;
  /** Owner, or null for an unassigned token. */
  user: string | null;
  realm: string | null;
  /** AES-256-GCM envelope of the HOTP seed (see token/secrets.ts). */
  keyEnc: string;
  hashlib: 'sha1' | 'sha256' | 'sha512';
  otpLength: 6 | 8;
  /** The last HOTP counter issued in a challenge (0: none yet). Only ever moves forward. */
  counter: number;
  /** Keyed scrypt hash of the OTP PIN, or null for an empty PIN. */
  pinHash: string | null;
  /**
   * Set when the token was made (or set) without a PIN on purpose (`nopin=1`). Only then does an
   * empty PIN match; a null pinHash without it matches nothing (token/policies/pin.ts).
   */
  noPin?: boolean;
  phone: string | null;
  dynamicPhone: boolean;
  active: boolean;
  failCount: number;
  maxFail: number;
  /** Epoch ms when failCount reached maxFail, for failCounterClearTimeout. */
  failExceededAt: number | null;
  countAuth: number;
  countAuthSuccess: number;
  createdAt: number;
  /** Epoch ms of recent SMS challenges (abuse limit), newest last, bounded by the limit. */
  recentChallenges: number[];
  /**
   * The outstanding challenge. As in privacyIDEA, each new challenge advances the counter and so
   * kills the previous one: only the newest SMS works, which is why one inline slot suffices.
   */
  challenge: ActiveChallenge | null;
}

export interface ActiveChallenge {
  /** 20 decimal digits; shared by all tokens triggered in one request. */
  transactionId: string;
  /** HOTP counter whose value was sent; the answer must match exactly this one. */
  counter: number;
  createdAt: number;
  expiresAt: number;
  /** Outbox message carrying the OTP. */
  messageId: string;
  receivedCount: number;
}

export interface UserRecord {
  login: string;
  realm: string;
  mobile: string | null;
  givenname: string;
  surname: string;
  createdAt: number;
}

/** `delivered` and `undelivered` follow `sent` when a status report says so (contract 8). */
export type OutboxState = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'expired';

export interface OutboxHop {
  t: number;
  provider: string;
  event: 'attempt' | 'sent' | 'temporary' | 'permanent' | 'ambiguous' | 'overflow' | 'skipped' | 'expired' | 'failed' | 'report';
  detail?: string;
}

/** One part of a sent message as the network's status reports describe it. */
export interface OutboxReportPart {
  /** TP-MR the network gave this part; -1 when the modem did not say (no report can match it). */
  ref: number;
  /** TP-ST of the latest report for this part, null until one came. */
  status: number | null;
  outcome: 'delivered' | 'undelivered' | 'pending' | null;
  /** Discharge time (TP-DT) of that report, epoch ms. */
  at: number | null;
}

/**
 * Set when a modem sent the message with a status report requested: what a report is matched
 * by (provider, modem, TP-MR, recipient, time window) and what the reports said so far.
 */
export interface OutboxReport {
  modem: string;
  parts: OutboxReportPart[];
  /** When the attempt that sent it started: a report received before it is about another message. */
  since: number;
  /** TP-ST of the report that settled the message (delivered/undelivered), null before. */
  status: number | null;
  /** When the handset got it (delivered) or the network gave up (undelivered), epoch ms. */
  at: number | null;
}

export interface OutboxRecord {
  id: string;
  to: string;
  /** Encrypted at rest: an OTP text is a secret until it expires. */
  textEnc: string;
  createdAt: number;
  expiresAt: number;
  state: OutboxState;
  /** Provider currently responsible, or that sent it. */
  provider: string | null;
  /** Index into sms.providers of the provider being tried. */
  providerIndex: number;
  attempts: number;
  /** Attempts on the current provider. */
  providerAttempts: number;
  nextAttemptAt: number;
  sentAt: number | null;
  /** Provider's reference (modem message reference, gateway id). */
  ref: string | null;
  /** Duplicates this message may have caused (ambiguous outcomes resent). */
  duplicates: number;
  lastError: string | null;
  /** The last attempt's outcome was unknown: the next one is a resend (reject-duplicates set). */
  resend: boolean;
  /** Who asked: 'challenge' (a token) or 'api' (gateway role, /sms/send). */
  origin: 'challenge' | 'api';
  /** Provider-private progress that must survive a restart, e.g. concatenation ref and parts sent. */
  progress: Record<string, unknown>;
  hops: OutboxHop[];
  /** Status-report tracking; absent for providers without reports (records before it existed too). */
  report?: OutboxReport | null;
}

/** A received SMS (contract 8, GET /sms/inbox). */
export interface InboxRecord {
  id: string;
  /** Arrival order: newest first in listings, the oldest go first beyond sms.inboxMax. */
  seq: number;
  /** The service centre's time stamp (TP-SCTS), epoch ms. */
  t: number;
  receivedAt: number;
  from: string;
  /** Encrypted at rest: anyone may text the appliance's number, and what they write is private. */
  textEnc: string;
  provider: string;
  modem: string;
}

export interface AdminRecord {
  username: string;
  /** Keyed scrypt hash. */
  passwordHash: string;
  createdAt: number;
}

export interface ApiKeyRecord {
  name: string;
  /** Keyed scrypt hash of the key's secret. */
  secretHash: string;
  createdAt: number;
}

export interface StateData {
  schemaVersion: number;
  tokens: Record<string, TokenRecord>;
  /** Key: `${realm}\u0000${login}` (see userKey in token/users.ts). */
  users: Record<string, UserRecord>;
  outbox: Record<string, OutboxRecord>;
  admins: Record<string, AdminRecord>;
  apikeys: Record<string, ApiKeyRecord>;
  /** Received SMS; a later addition: state files without it load with an empty inbox. */
  inbox: Record<string, InboxRecord>;
  /** Small named values: serial sequence, duplicate counters, concat reference counter, ... */
  meta: Record<string, unknown>;
}

export type CollectionName = Exclude<keyof StateData, 'schemaVersion'>;
export type RecordOf<C extends CollectionName> = StateData[C][string];

/** One change: a record put whole, or deleted (`value: null`). */
export interface Change<C extends CollectionName = CollectionName> {
  c: C;
  k: string;
  v: RecordOf<C> | null;
}

/**
 * A collection keyed by names users chose: a null-prototype object, so `__proto__`,
 * `constructor` or `toString` are keys like any other, never inherited properties.
 */
export function emptyCollection<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export const COLLECTION_NAMES: readonly CollectionName[] = ['tokens', 'users', 'outbox', 'admins', 'apikeys', 'inbox', 'meta'];

export function emptyState(): StateData {
  return {
    schemaVersion: SCHEMA_VERSION,
    tokens: emptyCollection(),
    users: emptyCollection(),
    outbox: emptyCollection(),
    admins: emptyCollection(),
    apikeys: emptyCollection(),
    inbox: emptyCollection(),
    meta: emptyCollection(),
  };
}

/**
 * A state read from disk (snapshot or backup) with every collection copied into a
 * null-prototype object. JSON.parse makes `"__proto__"` an own property of an ordinary
 * object, where `coll.constructor` would still find Object: the copy leaves only own keys.
 */
export function stateFromJson(raw: Record<string, unknown>): StateData {
  const out = emptyState();
  for (const [k, v] of Object.entries(raw)) {
    if ((COLLECTION_NAMES as readonly string[]).includes(k)) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new StoreError(`collection "${k}" is not an object`);
      const coll = out[k as CollectionName] as Record<string, unknown>;
      for (const key of Object.keys(v)) coll[key] = (v as Record<string, unknown>)[key];
    } else if (k !== 'journalSeq') {
      (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

export interface StoreStats {
  /** Journal flushes (fsyncs) done, and changes they carried. */
  flushes: number;
  changes: number;
  compactions: number;
  journalBytes: number;
  lastFlushMs: number;
}

/**
 * The durable state store. Reads come from memory. `commit` applies changes to memory at once
 * (so later reads in the same tick see them) and resolves only when they are on disk.
 * Commits that arrive while a flush is in progress are group-committed by the next flush.
 */
export interface Store {
  /** The live in-memory state. Treat as read-only: change it only through commit(). */
  readonly data: Readonly<StateData>;
  get<C extends CollectionName>(c: C, key: string): RecordOf<C> | undefined;
  commit(changes: Change[]): Promise<void>;
  /** Waits for every commit so far to be durable, then closes files. Further commits reject. */
  close(): Promise<void>;
  stats(): StoreStats;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

import { randomBytes } from 'node:crypto';
import type { Change, OutboxHop, OutboxRecord, OutboxState } from '../store/types.js';

export interface NewMessage {
  to: string;
  text: string;
  expiresAt: number;
  origin: OutboxRecord['origin'];
}

/** Text limit for one queued message: 10 concatenated GSM-7 parts. */
export const MAX_TEXT_CHARS = 1530;

const HOPS_KEPT = 40;

/** A message's history, bounded: the newest hops are kept. */
export function appendHop(hops: OutboxHop[], hop: OutboxHop): OutboxHop[] {
  const next = [...hops, hop];
  return next.length > HOPS_KEPT ? next.slice(next.length - HOPS_KEPT) : next;
}

/** States the dispatcher is done with (a `sent` message may still become delivered/undelivered). */
export function isFinal(state: OutboxState): boolean {
  return state !== 'queued' && state !== 'sending';
}

export function newMessageId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Builds the outbox record for a new message and the store change that queues it.
 * The caller commits the change together with whatever else the request changes, so the
 * message is on disk exactly when the challenge is.
 */
export function buildQueuedMessage(m: NewMessage, now: number, encrypt: (s: string) => string): { record: OutboxRecord; change: Change } {
  const record: OutboxRecord = {
    id: newMessageId(),
    to: m.to,
    textEnc: encrypt(m.text),
    createdAt: now,
    expiresAt: m.expiresAt,
    state: 'queued',
    provider: null,
    providerIndex: 0,
    attempts: 0,
    providerAttempts: 0,
    nextAttemptAt: now,
    sentAt: null,
    ref: null,
    duplicates: 0,
    lastError: null,
    resend: false,
    origin: m.origin,
    progress: {},
    hops: [],
  };
  return { record, change: { c: 'outbox', k: record.id, v: record } };
}

/** What the gateway API shows of a message: never its text. */
export function publicMessageView(r: OutboxRecord) {
  return {
    id: r.id,
    state: r.state,
    provider: r.provider,
    attempts: r.attempts,
    created: r.createdAt / 1000,
    expires: r.expiresAt / 1000,
    sent: r.sentAt === null ? null : r.sentAt / 1000,
    delivered: r.state === 'delivered' && r.report?.at ? r.report.at / 1000 : null,
    report: reportView(r),
    duplicates: r.duplicates,
    error: r.lastError,
    hops: r.hops.map((h) => ({ time: h.t / 1000, provider: h.provider, event: h.event, detail: h.detail ?? null })),
  };
}

export interface EnqueueDeps {
  store: { commit(changes: Change[]): Promise<void> };
  encrypt: (s: string) => string;
  now: () => number;
  /** Tells the dispatcher a committed message is waiting (Dispatcher.enqueued). */
  wake: (id: string) => void;
}

/**
 * The one way a message enters the outbox, for logins and for /sms/send alike. `withChanges`
 * receives the new message ids and returns changes to commit in the same journal entry (the
 * challenge that names its SMS): the message is on disk exactly when they are, never one alone.
 */
export type Enqueue = (messages: NewMessage[], withChanges?: (ids: string[]) => Change[]) => Promise<OutboxRecord[]>;

export function createEnqueue(d: EnqueueDeps): Enqueue {
  return async (messages, withChanges) => {
    const now = d.now();
    const built = messages.map((m) => buildQueuedMessage(m, now, d.encrypt));
    const changes = [...(withChanges?.(built.map((b) => b.record.id)) ?? []), ...built.map((b) => b.change)];
    if (changes.length) await d.store.commit(changes);
    for (const b of built) d.wake(b.record.id);
    return built.map((b) => b.record);
  };
}

/** The newest `n` outbox records, newest first (the status page). */
export function newestMessages(outbox: Readonly<Record<string, OutboxRecord>>, n: number): OutboxRecord[] {
  return Object.values(outbox)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, n);
}

/**
 * Status-report details: null when none was requested (or the provider cannot give them).
 * `status` is the TP-ST that settled the message (null while it is `sent`); `parts` the latest
 * report per part.
 */
function reportView(r: OutboxRecord) {
  if (!r.report) return null;
  const rep = r.report;
  return {
    modem: rep.modem,
    status: rep.status,
    time: rep.at === null ? null : rep.at / 1000,
    parts: rep.parts.map((p) => ({ reference: p.ref, outcome: p.outcome, status: p.status, time: p.at === null ? null : p.at / 1000 })),
  };
}

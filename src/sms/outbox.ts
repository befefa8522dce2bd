import { randomBytes } from 'node:crypto';
import type { Change, OutboxHop, OutboxRecord, OutboxState, Store } from '../store/types.js';

export type { OutboxRecord, OutboxState };

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

/** What the API and the console read of the outbox: its records, never the store they are in. */
export interface OutboxReader {
  /** One message (GET /sms/<id>); undefined when the id is unknown or the message was purged. */
  message(id: string): OutboxRecord | undefined;
  /** Messages newest first, at most `n` of them. */
  newest(n?: number): OutboxRecord[];
}

export function outboxReader(store: Pick<Store, 'get' | 'data'>): OutboxReader {
  return {
    message: (id) => store.get('outbox', id),
    newest: (n = Infinity) =>
      Object.values(store.data.outbox)
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, n),
  };
}

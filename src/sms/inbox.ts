import { createHash, randomBytes } from 'node:crypto';
import type { Change, InboxRecord, Store } from '../store/types.js';
import type { AuditLog } from '../util/audit.js';
import type { Clock } from '../util/clock.js';
import { maskPhone, type Logger } from '../util/logger.js';
import type { IncomingSms } from './provider.js';

/**
 * Received SMS (operators announce credit and expiry by SMS), kept in the store's `inbox`
 * collection: bounded to sms.inboxMax (the oldest go first), texts encrypted at rest, stored
 * durably before the provider is told it may delete the message from the SIM. A modem offers a
 * message again when it could not delete it (a crash between this commit and its `AT+CMGD`):
 * one already kept (same sender, time stamp and text) is acknowledged, not stored twice.
 */

/** A concatenated SMS of 255 parts is 40 kB: far beyond any notice, and a way to fill the disk. */
export const INBOX_TEXT_MAX = 4096;
const FROM_MAX = 32;
const ID_MAX = 64;

export interface InboxOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  audit?: AuditLog;
  encrypt(plain: string): string;
  decrypt(envelope: string): string;
  /** sms.inboxMax. */
  max: number;
}

export interface InboxMessageView {
  id: string;
  /** The service centre's time stamp, epoch ms. */
  t: number;
  /** When this appliance stored it, epoch ms. */
  received: number;
  from: string;
  text: string;
  modem: string;
  provider: string;
}

export interface InboxPage {
  count: number;
  current: number;
  prev: number | null;
  next: number | null;
  messages: InboxMessageView[];
}

export class InboxError extends Error {
  override name = 'InboxError';
}

function fingerprint(from: string, t: number, text: string): string {
  return createHash('sha256')
    .update(JSON.stringify([from, t, text]))
    .digest('base64url');
}

/** The message, checked and trimmed to size; throws InboxError for what a driver must not hand over. */
function checked(s: unknown, providerId: string, now: number): IncomingSms {
  if (!s || typeof s !== 'object') throw new InboxError('not a message');
  const x = s as Record<string, unknown>;
  if (x.providerId !== providerId) throw new InboxError(`providerId is not "${providerId}"`);
  if (typeof x.modemId !== 'string' || !x.modemId || x.modemId.length > ID_MAX) throw new InboxError('modemId missing or too long');
  if (typeof x.from !== 'string' || !x.from.trim()) throw new InboxError('sender missing');
  if (typeof x.text !== 'string') throw new InboxError('text missing');
  // Control characters in a sender would reach terminals through `smsotpd sms inbox`.
  const from = x.from
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, FROM_MAX);
  const text = x.text.length > INBOX_TEXT_MAX ? `${x.text.slice(0, INBOX_TEXT_MAX)}… [truncated]` : x.text;
  const t = typeof x.t === 'number' && Number.isFinite(x.t) && x.t > 0 ? x.t : now;
  return { providerId, modemId: x.modemId, from, text, t };
}

export class Inbox {
  /** Ids in arrival order, oldest first: the bound deletes from the front. */
  private order: string[] = [];
  private seq = 0;
  /** Fingerprint of each kept message -> its id: a message offered again is recognised. */
  private kept = new Map<string, string>();
  readonly counters = { received: 0, rejected: 0, dropped: 0, duplicates: 0 };

  constructor(private readonly o: InboxOptions) {
    this.reload();
  }

  private reload(): void {
    const recs = Object.values(this.o.store.data.inbox ?? {}).sort((a, b) => a.seq - b.seq);
    this.order = recs.map((r) => r.id);
    this.seq = recs.at(-1)?.seq ?? 0;
    this.kept = new Map();
    for (const r of recs) {
      try {
        this.kept.set(fingerprint(r.from, r.t, this.o.decrypt(r.textEnc)), r.id);
      } catch {
        /* a record whose key is gone cannot be compared: it is only listed as it is */
      }
    }
  }

  /**
   * The listener a provider's `onIncoming` gets: true once stored, false when not. It never
   * rejects: a provider that ignores the promise must not take the daemon down with it.
   */
  listener(providerId: string): (sms: IncomingSms) => Promise<boolean> {
    return async (sms) => {
      try {
        await this.add(sms, providerId);
        return true;
      } catch (err) {
        this.counters.rejected++;
        this.o.logger.error({ err, provider: providerId }, 'received SMS not stored; the modem keeps it');
        return false;
      }
    };
  }

  async add(raw: IncomingSms, providerId = raw?.providerId): Promise<InboxRecord> {
    const now = this.o.clock.now();
    const sms = checked(raw, providerId, now);
    const print = fingerprint(sms.from, sms.t, sms.text);
    const known = this.kept.get(print);
    const existing = known === undefined ? undefined : this.o.store.get('inbox', known);
    if (existing) {
      this.counters.duplicates++;
      this.o.logger.info({ message: existing.id, modem: sms.modemId, from: maskPhone(sms.from) }, 'sms received again; kept once');
      return existing;
    }
    const rec: InboxRecord = {
      id: randomBytes(9).toString('base64url'),
      seq: ++this.seq,
      t: sms.t,
      receivedAt: now,
      from: sms.from,
      textEnc: this.o.encrypt(sms.text),
      provider: sms.providerId,
      modem: sms.modemId,
    };
    this.order.push(rec.id);
    const changes: Change[] = [{ c: 'inbox', k: rec.id, v: rec }];
    const evicted = this.order.length > this.o.max ? this.order.splice(0, this.order.length - this.o.max) : [];
    for (const id of evicted) changes.push({ c: 'inbox', k: id, v: null });
    try {
      await this.o.store.commit(changes);
    } catch (err) {
      this.reload();
      throw err;
    }
    this.counters.received++;
    this.counters.dropped += evicted.length;
    this.kept.set(print, rec.id);
    if (evicted.length) for (const [k, id] of this.kept) if (evicted.includes(id)) this.kept.delete(k);
    this.o.audit?.write({
      action: 'sms.received',
      message: rec.id,
      provider: rec.provider,
      modem: rec.modem,
      reason: `from ${maskPhone(rec.from)}, ${sms.text.length} characters`,
    });
    this.o.logger.info({ message: rec.id, modem: rec.modem, from: maskPhone(rec.from) }, 'sms received');
    return rec;
  }

  size(): number {
    return this.order.length;
  }

  /** Newest first, `pagesize` per page (1-based pages, as privacyIDEA's lists). */
  list(page: number, pagesize: number): InboxPage {
    const count = this.order.length;
    const pages = Math.max(1, Math.ceil(count / pagesize));
    const end = count - (page - 1) * pagesize;
    const ids = end > 0 ? this.order.slice(Math.max(0, end - pagesize), end).reverse() : [];
    const messages: InboxMessageView[] = [];
    for (const id of ids) {
      const r = this.o.store.get('inbox', id);
      if (!r) continue;
      messages.push({
        id: r.id,
        t: r.t,
        received: r.receivedAt,
        from: r.from,
        text: this.o.decrypt(r.textEnc),
        modem: r.modem,
        provider: r.provider,
      });
    }
    return { count, current: page, prev: page > 1 ? Math.min(page - 1, pages) : null, next: page < pages ? page + 1 : null, messages };
  }
}

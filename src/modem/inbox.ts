import { PduError } from './pdu.js';
import { decodeDeliver, decodeStatusReport, type DecodedDeliver, type DecodedStatusReport } from './pdu-receive.js';

/**
 * What the modem's message stores hold (the SIM's "SM", the status reports' "SR") and what of it
 * is due to be handed over. Pure: no I/O, no timers; times arrive as arguments.
 *
 * The SIM store is the durable copy of every received SMS and stored status report until the
 * consumer (the inbox, the delivery tracker) has said it stored them: a message is deleted from
 * the SIM only after that. The parts of a concatenated SMS stay on the SIM until the whole
 * message is handed over, so a restart loses none: the driver lists the store at every
 * initialisation (`replace`) and this model joins what it finds. Parts whose siblings never come
 * are handed over marked incomplete after `maxAgeMs` (counted from when this driver first saw
 * them: a restart restarts that clock), or at once, oldest first, while the store is full, so
 * that orphans never stop reception for good. A hand-over that fails is tried again after a
 * backoff that doubles up to `retryMaxMs`: a store that keeps failing is asked rarely, never in
 * a loop, and the message stays on the SIM meanwhile.
 *
 * Messages the modem routes without storing (`+CMT`, `+CDS`) have no slot: they are held here,
 * in memory only, at most VOLATILE_MAX of them.
 */

export interface Slot {
  readonly mem: string;
  readonly index: number;
}

export type Content = { kind: 'part'; d: DecodedDeliver } | { kind: 'report'; r: DecodedStatusReport } | { kind: 'unreadable'; reason: string };

/** Why an SMS is handed over: whole, or incomplete for one of the other reasons. */
export type Why = 'whole' | 'aged' | 'full' | 'superseded' | 'unreadable';

export interface AssembledSms {
  from: string;
  text: string;
  /** TP-SCTS of the earliest part, epoch ms. */
  t: number;
  parts: number;
  /** Sequence numbers (1-based) of the parts that never came. */
  missing: number[];
  why: Why;
}

export type Due =
  | { kind: 'sms'; ids: number[]; slots: Slot[]; sms: AssembledSms }
  | { kind: 'report'; ids: number[]; slots: Slot[]; report: DecodedStatusReport }
  /** Handed over and taken; only the deletion from the store is left (it failed before). */
  | { kind: 'delete'; ids: number[]; slots: Slot[] };

export interface StoreOptions {
  /** Parts of an incomplete message are handed over this long after the first was seen. */
  maxAgeMs?: number;
  /** First pause after a failed hand-over; it doubles with each failure ... */
  retryBaseMs?: number;
  /** ... up to this. */
  retryMaxMs?: number;
}

interface Entry {
  readonly id: number;
  readonly slot: Slot | null;
  readonly pdu: string;
  readonly content: Content;
  readonly seenAt: number;
  attempts: number;
  retryAt: number;
  /** Acknowledged by the consumer; only its deletion from the store is left. */
  taken: boolean;
}

interface Group {
  parts: Map<number, Entry>;
  /** The same part stored twice (the network delivered it again): deleted with the group. */
  copies: Entry[];
  total: number;
  seenAt: number;
}

export const VOLATILE_MAX = 64;
/** A PDU on an AT line is at most 176 octets; anything longer is not one. */
const PDU_HEX_MAX = 400;

export const slotName = (s: Slot): string => `${s.mem}:${s.index}`;

/** What a stored PDU is: an SMS-DELIVER (part), a status report, or something unreadable. */
export function readPdu(hex: string): Content {
  try {
    if (hex.length > PDU_HEX_MAX) throw new PduError('longer than any PDU');
    const smscLen = parseInt(hex.slice(0, 2), 16);
    const first = parseInt(hex.slice(2 + smscLen * 2, 4 + smscLen * 2), 16);
    if ((first & 0x03) === 0x02) return { kind: 'report', r: decodeStatusReport(hex) };
    return { kind: 'part', d: decodeDeliver(hex) };
  } catch (err) {
    return { kind: 'unreadable', reason: (err as Error).message };
  }
}

function isMultipart(c: Content): c is { kind: 'part'; d: DecodedDeliver & { concat: NonNullable<DecodedDeliver['concat']> } } {
  return c.kind === 'part' && !!c.d.concat && c.d.concat.total > 1;
}

export class IncomingStore {
  private readonly entries = new Map<number, Entry>();
  /** Slots taken by what is not ours to hand over (stored outgoing messages), per memory. */
  private readonly other = new Map<string, number>();
  private readonly capacity = new Map<string, number>();
  private nextId = 1;
  private readonly maxAgeMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  /** Routed messages dropped because too many waited in memory. */
  droppedVolatile = 0;

  constructor(o: StoreOptions = {}) {
    this.maxAgeMs = o.maxAgeMs ?? 24 * 3600_000;
    this.retryBaseMs = o.retryBaseMs ?? 5_000;
    this.retryMaxMs = o.retryMaxMs ?? 15 * 60_000;
  }

  private find(slot: Slot): Entry | undefined {
    for (const e of this.entries.values()) if (e.slot && e.slot.mem === slot.mem && e.slot.index === slot.index) return e;
    return undefined;
  }

  private insert(slot: Slot | null, pdu: string, now: number): Entry {
    const e: Entry = { id: this.nextId++, slot, pdu, content: readPdu(pdu), seenAt: now, attempts: 0, retryAt: 0, taken: false };
    this.entries.set(e.id, e);
    return e;
  }

  /**
   * A PDU read from `slot` (`+CMTI` then `AT+CMGR`), or routed without a slot (`+CMT`, `+CDS`).
   * The same PDU again changes nothing; another PDU in a known slot means the slot was reused.
   */
  add(slot: Slot | null, pdu: string, now: number): 'new' | 'known' {
    const hex = pdu.toUpperCase();
    if (slot) {
      const old = this.find(slot);
      if (old?.pdu === hex) return 'known';
      if (old) this.entries.delete(old.id);
    } else {
      const volatile = [...this.entries.values()].filter((e) => !e.slot);
      if (volatile.some((e) => e.pdu === hex)) return 'known';
      if (volatile.length >= VOLATILE_MAX) {
        this.entries.delete(volatile[0]!.id);
        this.droppedVolatile++;
      }
    }
    this.insert(slot, hex, now);
    return 'new';
  }

  /** The slot is empty now (deleted, or the modem says there is nothing). */
  remove(slot: Slot): void {
    const e = this.find(slot);
    if (e) this.entries.delete(e.id);
  }

  /**
   * What `AT+CMGL` listed for `mem` is all that memory holds: entries it lacks are gone, known
   * ones keep their age, backoff and taken mark. `used`/`total` (from `+CPMS`) say how full it is.
   */
  replace(mem: string, listed: ReadonlyArray<{ index: number; pdu: string }>, now: number, usage?: { used: number; total: number }): void {
    const byIndex = new Map(listed.map((l) => [l.index, l.pdu.toUpperCase()]));
    for (const e of [...this.entries.values()]) {
      if (e.slot?.mem === mem && byIndex.get(e.slot.index) !== e.pdu) this.entries.delete(e.id);
    }
    for (const [index, pdu] of byIndex) if (!this.find({ mem, index })) this.insert({ mem, index }, pdu, now);
    if (usage) this.setUsage(mem, usage.used, usage.total, byIndex.size);
  }

  /** `+CPMS` said `used` of `total`; `ours` of the used ones are received messages we hold. */
  setUsage(mem: string, used: number, total: number, ours = this.inMem(mem)): void {
    this.capacity.set(mem, total);
    this.other.set(mem, Math.max(0, used - ours));
  }

  private inMem(mem: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.slot?.mem === mem) n++;
    return n;
  }

  /** Whether `mem` is known to have no free slot (once `freeing` slots are deleted). */
  full(mem: string, freeing = 0): boolean {
    const total = this.capacity.get(mem);
    return total !== undefined && this.inMem(mem) + (this.other.get(mem) ?? 0) - freeing >= total;
  }

  /** The consumer took these: slotless ones are done, stored ones await their deletion. */
  taken(ids: readonly number[]): void {
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      if (!e.slot) this.entries.delete(id);
      else {
        e.taken = true;
        e.attempts = 0;
        e.retryAt = 0;
      }
    }
  }

  /** A hand-over (or a deletion) failed: the next try waits, longer after each failure. */
  failed(ids: readonly number[], now: number): { attempts: number; retryAt: number } {
    let attempts = 0;
    for (const id of ids) attempts = Math.max(attempts, this.entries.get(id)?.attempts ?? 0);
    attempts++;
    const retryAt = now + Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      e.attempts = attempts;
      e.retryAt = retryAt;
    }
    return { attempts, retryAt };
  }

  /** Concatenated parts by sender, reference and count; a part seen twice in a group starts a new one. */
  private groups(live: Entry[]): Group[][] {
    const bases = new Map<string, Group[]>();
    for (const e of live) {
      if (!isMultipart(e.content)) continue;
      const { d } = e.content;
      const base = JSON.stringify([d.from, d.concat.ref, d.concat.total]);
      const list = bases.get(base) ?? [];
      bases.set(base, list);
      let g = list.at(-1);
      const same = g?.parts.get(d.concat.seq);
      if (same && same.content.kind === 'part' && same.content.d.text === d.text) {
        g!.copies.push(e);
        continue;
      }
      if (!g || same) {
        g = { parts: new Map(), copies: [], total: d.concat.total, seenAt: e.seenAt };
        list.push(g);
      }
      // Entries come oldest first: a group's first part is its oldest.
      g.parts.set(d.concat.seq, e);
    }
    return [...bases.values()];
  }

  /** Everything that should be handed over (or deleted) now, oldest first. */
  due(now: number): Due[] {
    const all = [...this.entries.values()].sort((a, b) => a.seenAt - b.seenAt || a.id - b.id);
    const out: Array<{ at: number; due: Due; entries: Entry[] }> = [];
    const push = (due: Due, entries: Entry[]): boolean => {
      if (entries.some((e) => e.retryAt > now)) return false;
      out.push({ at: Math.min(...entries.map((e) => e.seenAt)), due, entries });
      return true;
    };
    const taken = all.filter((e) => e.taken && e.retryAt <= now);
    if (taken.length) push({ kind: 'delete', ids: taken.map((e) => e.id), slots: taken.map((e) => e.slot!) }, taken);
    const live = all.filter((e) => !e.taken);
    for (const e of live) {
      const c = e.content;
      const ids = [e.id];
      const slots = e.slot ? [e.slot] : [];
      if (c.kind === 'report') push({ kind: 'report', ids, slots, report: c.r }, [e]);
      else if (c.kind === 'unreadable') {
        const sms: AssembledSms = {
          from: 'unknown',
          text: `[unreadable SMS (${c.reason}): ${e.pdu}]`,
          t: e.seenAt,
          parts: 1,
          missing: [],
          why: 'unreadable',
        };
        push({ kind: 'sms', ids, slots, sms }, [e]);
      } else if (!isMultipart(c))
        push({ kind: 'sms', ids, slots, sms: { from: c.d.from, text: c.d.text, t: c.d.t, parts: 1, missing: [], why: 'whole' } }, [e]);
    }
    const waiting: Group[] = [];
    for (const list of this.groups(live)) {
      list.forEach((g, i) => {
        const why: Why | null =
          g.parts.size === g.total ? 'whole' : i < list.length - 1 ? 'superseded' : now - g.seenAt >= this.maxAgeMs ? 'aged' : null;
        if (why) push(this.assemble(g, why), [...g.parts.values(), ...g.copies]);
        else waiting.push(g);
      });
    }
    // A full store takes no new message: the oldest orphans make room (their siblings could
    // not arrive anyway while it stays full). What is due anyway frees its slots first.
    const freed = new Map<string, number>();
    const free = (entries: Entry[]) => {
      for (const e of entries) if (e.slot) freed.set(e.slot.mem, (freed.get(e.slot.mem) ?? 0) + 1);
    };
    for (const o of out) free(o.entries);
    for (const g of waiting.sort((a, b) => a.seenAt - b.seenAt)) {
      const entries = [...g.parts.values(), ...g.copies];
      if (!entries.some((e) => e.slot && this.full(e.slot.mem, freed.get(e.slot.mem) ?? 0))) continue;
      if (push(this.assemble(g, 'full'), entries)) free(entries);
    }
    return out.sort((a, b) => a.at - b.at).map((o) => o.due);
  }

  private assemble(g: Group, why: Why): Due {
    const entries = [...g.parts.values(), ...g.copies];
    const first = [...g.parts.values()][0]!.content as { kind: 'part'; d: DecodedDeliver };
    const missing: number[] = [];
    let text = '';
    for (let seq = 1; seq <= g.total; seq++) {
      const p = g.parts.get(seq)?.content;
      if (p?.kind === 'part') text += p.d.text;
      else {
        missing.push(seq);
        text += `[part ${seq} of ${g.total} missing]`;
      }
    }
    const t = Math.min(...[...g.parts.values()].map((e) => (e.content as { d: DecodedDeliver }).d.t));
    return {
      kind: 'sms',
      ids: entries.map((e) => e.id),
      slots: entries.flatMap((e) => (e.slot ? [e.slot] : [])),
      sms: { from: first.d.from, text, t, parts: g.total, missing, why },
    };
  }

  /** When something not due now becomes due (a backoff ends, a part ages out); null: nothing waits. */
  nextWake(now: number): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.entries.values()) {
      if (e.retryAt > now) next = Math.min(next, e.retryAt);
      const ages = isMultipart(e.content) && !e.taken ? e.seenAt + this.maxAgeMs : 0;
      if (ages > now) next = Math.min(next, ages);
    }
    return Number.isFinite(next) ? next : null;
  }

  /** Received SMS parts, status reports and unreadable PDUs held (stored or in memory). */
  get size(): number {
    return this.entries.size;
  }

  /** Entries in `mem` (for /status). */
  held(mem?: string): number {
    return mem === undefined ? this.entries.size : this.inMem(mem);
  }
}

// ---- what the modem says about its stores (27.005 3.2.2, 3.4.2, 4.1, 4.2) ---------------------

const HEX_LINE = /^[0-9A-Fa-f]{10,}$/;

/** A received message's status in `+CMGL`/`+CMGR`: 0 REC UNREAD, 1 REC READ (2, 3: stored outgoing). */
export const isReceivedStat = (stat: number): boolean => stat === 0 || stat === 1;

/** `+CMGL: <index>,<stat>,[<alpha>],<length>` lines, each followed by its PDU (PDU mode). */
export function parseCmgl(lines: readonly string[]): Array<{ index: number; stat: number; pdu: string }> {
  const out: Array<{ index: number; stat: number; pdu: string }> = [];
  let head: { index: number; stat: number } | null = null;
  for (const l of lines) {
    const m = /^\+CMGL:\s*(\d{1,5})\s*,\s*(\d)/.exec(l);
    if (m) head = { index: Number(m[1]), stat: Number(m[2]) };
    else if (head && HEX_LINE.test(l)) {
      out.push({ ...head, pdu: l });
      head = null;
    }
  }
  return out;
}

/** `+CMGR: <stat>,[<alpha>],<length>` and the PDU line after it; null when there is none. */
export function parseCmgr(lines: readonly string[]): { stat: number; pdu: string } | null {
  const at = lines.findIndex((l) => /^\+CMGR:\s*\d/.test(l));
  if (at < 0) return null;
  const pdu = lines.slice(at + 1).find((l) => HEX_LINE.test(l));
  return pdu ? { stat: Number(/^\+CMGR:\s*(\d)/.exec(lines[at]!)![1]), pdu } : null;
}

/** `+CPMS: <used1>,<total1>,...` (the answer to `AT+CPMS="SM"`): mem1's usage. */
export function parseCpmsUsage(lines: readonly string[]): { used: number; total: number } | null {
  for (const l of lines) {
    const m = /^\+CPMS:\s*(\d{1,5})\s*,\s*(\d{1,5})/.exec(l);
    if (m) return { used: Number(m[1]), total: Number(m[2]) };
  }
  return null;
}

/** `+CMTI: "SM",3`, `+CDSI: "SR",1`: the memory and index of a newly stored message. */
export function parseStoredUrc(text: string): Slot | null {
  const m = /^\+C(?:MTI|DSI):\s*"([A-Z]{2})"\s*,\s*(\d{1,5})$/.exec(text.trim());
  return m ? { mem: m[1]!, index: Number(m[2]) } : null;
}

/** `AT+CNMI=<mode>,<mt>,...`: whether received SMS are stored (mt 1) rather than routed past the SIM. */
export function cnmiStoresSms(cnmi: string): boolean {
  const mt = /^AT\+CNMI=\d*,(\d)/.exec(cnmi)?.[1];
  return mt === undefined || mt === '0' || mt === '1';
}

/** Whether the profile's `+CNMI` asks for stored status reports (ds 2): then "SR" is listed too. */
export function cnmiStoresReports(cnmi: string): boolean {
  return /^AT\+CNMI=\d*,\d*,\d*,2(?:,|$)/.test(cnmi);
}

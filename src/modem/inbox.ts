import type { DecodedDeliver } from './pdu-receive.js';

/**
 * Joins the parts of concatenated incoming SMS (by sender, reference and part count). Parts of a
 * message that never completes are given up after `maxAgeMs`; the number of partial messages
 * kept is bounded, so a flood of fragments cannot grow memory.
 */
export interface WholeSms {
  from: string;
  text: string;
  t: number;
  parts: number;
}

const MAX_PARTIAL = 64;

export class IncomingAssembler {
  private readonly partial = new Map<string, { at: number; total: number; t: number; parts: Map<number, string> }>();

  constructor(
    private readonly now: () => number,
    private readonly maxAgeMs = 24 * 3600_000,
  ) {}

  /** Returns the whole message once its last part is in, else null. */
  add(d: DecodedDeliver): WholeSms | null {
    if (!d.concat || d.concat.total <= 1) return { from: d.from, text: d.text, t: d.t, parts: 1 };
    const now = this.now();
    for (const [k, v] of this.partial) if (now - v.at > this.maxAgeMs) this.partial.delete(k);
    const key = JSON.stringify([d.from, d.concat.ref, d.concat.total]);
    const entry = this.partial.get(key) ?? { at: now, total: d.concat.total, t: d.t, parts: new Map<number, string>() };
    entry.parts.set(d.concat.seq, d.text);
    entry.t = Math.min(entry.t, d.t);
    this.partial.delete(key);
    this.partial.set(key, entry);
    if (this.partial.size > MAX_PARTIAL) this.partial.delete(this.partial.keys().next().value!);
    if (entry.parts.size < entry.total) return null;
    this.partial.delete(key);
    const text = [...entry.parts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map((e) => e[1])
      .join('');
    return { from: d.from, text, t: entry.t, parts: entry.total };
  }

  get pending(): number {
    return this.partial.size;
  }
}

/**
 * Serialises the in-memory state as it was at one instant, in slices, while commits go on.
 *
 * JSON.stringify of a 10,000-token state takes about 20 ms of main thread; done in one piece
 * during compaction it stalls every login in flight. Records are replaced whole, never mutated
 * (see types.ts), so a consistent view needs only the key lists at the instant plus the old value
 * of every key a later commit overwrites or deletes: `shadow` holds those, first write wins.
 */

const ABSENT = Symbol('absent');
type Collection = Record<string, unknown>;

/** Time one slice may hold the main thread before yielding to requests. */
const SLICE_MS = 2;
const CHECK_EVERY = 64;

export class FrozenView {
  private readonly keys = new Map<string, string[]>();
  private readonly scalars = new Map<string, string>();
  private readonly shadow = new Map<string, Map<string, unknown>>();
  private readonly order: string[];

  /** `collections` are the keyed record maps; every other top-level value is copied now. */
  constructor(
    private readonly data: Record<string, unknown>,
    collections: ReadonlySet<string>,
    private readonly extra: Record<string, unknown>,
  ) {
    this.order = Object.keys(data);
    for (const [name, value] of Object.entries(data)) {
      if (collections.has(name) && value && typeof value === 'object') {
        this.keys.set(name, Object.keys(value));
        this.shadow.set(name, new Map());
      } else {
        this.scalars.set(name, JSON.stringify(value));
      }
    }
  }

  /** Called by the store before it changes `data[c][k]`; a no-op once the view is written. */
  beforeChange(c: string, k: string): void {
    const sh = this.shadow.get(c);
    if (!sh || sh.has(k)) return;
    const coll = this.data[c] as Collection;
    sh.set(k, Object.hasOwn(coll, k) ? coll[k] : ABSENT);
  }

  private valueAt(c: string, k: string): unknown {
    const sh = this.shadow.get(c)!;
    if (sh.has(k)) return sh.get(k);
    return (this.data[c] as Collection)[k];
  }

  /**
   * The JSON text in chunks, in the key order JSON.stringify({...data, ...extra}) would use.
   * Yields to the event loop between slices; ends the view (the shadow is dropped).
   */
  async *chunks(): AsyncGenerator<string> {
    try {
      yield '{';
      let first = true;
      const sep = () => (first ? ((first = false), '') : ',');
      let sliceStart = performance.now();
      for (const name of this.order) {
        const scalar = this.scalars.get(name);
        if (scalar !== undefined) {
          yield `${sep()}${JSON.stringify(name)}:${scalar}`;
          continue;
        }
        const keys = this.keys.get(name);
        if (!keys) continue; // a collection created after the view: not in it
        const parts: string[] = [`${sep()}${JSON.stringify(name)}:{`];
        let n = 0;
        for (const k of keys) {
          const v = this.valueAt(name, k);
          if (v === ABSENT || v === undefined) continue;
          parts.push(`${n++ === 0 ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`);
          if (parts.length % CHECK_EVERY === 0 && performance.now() - sliceStart > SLICE_MS) {
            yield parts.join('');
            parts.length = 0;
            await new Promise((r) => setImmediate(r));
            sliceStart = performance.now();
          }
        }
        parts.push('}');
        yield parts.join('');
      }
      for (const [name, value] of Object.entries(this.extra)) yield `${sep()}${JSON.stringify(name)}:${JSON.stringify(value)}`;
      yield '}';
    } finally {
      this.shadow.clear();
    }
  }
}

/**
 * A min-heap of (dueAt, id): the dispatcher's timetable. The outbox can hold thousands of
 * messages in a backlog, so finding the next due one must not scan them all.
 */
export class DueQueue {
  private heap: Array<{ at: number; id: string }> = [];
  /** Latest due time per id; stale heap entries (rescheduled ids) are skipped on pop. */
  private due = new Map<string, number>();

  get size(): number {
    return this.due.size;
  }

  has(id: string): boolean {
    return this.due.has(id);
  }

  schedule(id: string, at: number): void {
    this.due.set(id, at);
    this.heap.push({ at, id });
    this.up(this.heap.length - 1);
  }

  remove(id: string): void {
    this.due.delete(id);
  }

  /** Earliest due time, or undefined when empty. */
  peekTime(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns every id due at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) return out;
      this.popTop();
      this.due.delete(top.id);
      out.push(top.id);
    }
  }

  private dropStale(): void {
    while (this.heap.length) {
      const top = this.heap[0]!;
      if (this.due.get(top.id) === top.at) return;
      this.popTop();
    }
  }

  private popTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) return;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}

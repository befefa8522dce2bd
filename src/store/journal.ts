import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import type { Change } from './types.js';
import { StoreError } from './types.js';

export interface JournalEntry {
  s: number;
  ch: Change[];
}

interface Pending {
  line: string;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The batch's lines as one buffer, encoded in place, a newline after each: no joined copy of
 * every line, and no flattened `line + "\n"` copy of each either.
 */
function encodeLines(batch: Pending[]): Buffer {
  let size = batch.length;
  for (const p of batch) size += Buffer.byteLength(p.line);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of batch) {
    at += buf.write(p.line, at);
    buf[at++] = 0x0a;
  }
  return buf;
}

/**
 * An append-only JSON-lines journal with group commit: while one write + fdatasync is in
 * flight, new entries queue up; the next flush writes them all and syncs once. Each caller's
 * promise resolves only after its own line is durable.
 */
export class Journal {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  bytes = 0;
  flushes = 0;
  entries = 0;
  lastFlushMs = 0;
  /** Runs between two flushes, with nothing in flight: the store rotates files here. */
  betweenFlushes: (() => Promise<void>) | null = null;

  private constructor(
    private fd: FileHandle,
    readonly file: string,
    size: number,
  ) {
    this.bytes = size;
  }

  static async open(file: string): Promise<Journal> {
    const fd = await open(file, 'a', 0o600);
    const { size } = await fd.stat();
    return new Journal(fd, file, size);
  }

  append(entry: JournalEntry): Promise<void> {
    const line = JSON.stringify(entry);
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Resolves once everything appended so far is durable. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending;
        this.pending = [];
        const t0 = performance.now();
        try {
          const buf = encodeLines(batch);
          await this.fd.write(buf);
          await this.fd.datasync();
          this.bytes += buf.length;
          this.flushes++;
          this.entries += batch.length;
          this.lastFlushMs = performance.now() - t0;
          for (const p of batch) p.resolve();
        } catch (err) {
          const e = new StoreError(`journal write to ${this.file} failed: ${(err as Error).message}`);
          for (const p of batch) p.reject(e);
        }
        if (this.betweenFlushes) await this.betweenFlushes();
      }
    } finally {
      this.flushing = null;
    }
  }

  /** Points further appends at another file (compaction); only called between flushes. */
  async switchTo(file: string): Promise<FileHandle> {
    const next = await open(file, 'a', 0o600);
    const old = this.fd;
    this.fd = next;
    (this as { file: string }).file = file;
    this.bytes = 0;
    return old;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.fd.close();
  }
}

/**
 * Reads a journal for replay. A garbled final line is a write the crash interrupted (never
 * acknowledged): it is cut off. Garbage followed by valid lines is corruption: refuse.
 */
export async function readJournal(file: string, isLast: boolean): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StoreError(`cannot read journal ${file}: ${(err as Error).message}`);
  }
  const out: JournalEntry[] = [];
  let offset = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const isTail = i === lines.length - 1;
    if (line === '') {
      offset += 1;
      continue;
    }
    let entry: JournalEntry | null = null;
    try {
      const parsed = JSON.parse(line) as JournalEntry;
      if (typeof parsed?.s === 'number' && Array.isArray(parsed.ch)) entry = parsed;
    } catch {
      /* handled below */
    }
    // A complete line ends with \n; the last piece of split() has none, so it is a torn write.
    const complete = !isTail;
    if (!entry || !complete) {
      const restIsEmpty = lines.slice(i + 1).every((l) => l === '');
      if (isLast && restIsEmpty) {
        await truncate(file, Buffer.byteLength(text.slice(0, offset)));
        break;
      }
      throw new StoreError(`journal ${file} is corrupt at line ${i + 1}; it was left untouched: restore from a backup`);
    }
    out.push(entry);
    offset += line.length + 1;
  }
  return out;
}

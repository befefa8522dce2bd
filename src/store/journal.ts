import { constants } from 'node:fs';
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import type { Change } from './types.js';
import { StoreError } from './types.js';
import { diskFullMessage, freeBytes, isDiskFull } from './disk-full.js';

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
 * Appends that are durable when the write returns: O_DSYNC makes every write(2) behave as a write
 * followed by fdatasync(2), in one call. A flush is then one job on libuv's thread pool instead of
 * two (write, then datasync), and the thread pool is where the PIN KDF runs: during a login burst
 * each job waits there behind hashes, so one hop instead of two halves that wait.
 */
const APPEND_DURABLE = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;

const openDurableAppend = (file: string) => open(file, APPEND_DURABLE, 0o600);

/**
 * An append-only JSON-lines journal with group commit: while one durable write is in flight, new
 * entries queue up; the next flush writes them all in one write, synced once. Each caller's
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
  /**
   * The first failed write. Nothing is appended after it: a later line would leave a gap in the
   * entry sequence on disk, and replay refuses a journal with a gap. What is on disk stays a
   * consistent prefix of the changes, which a restart recovers.
   */
  failure: StoreError | null = null;
  /** Told once, when a write fails. */
  onFailure: ((err: StoreError) => void) | null = null;

  private constructor(
    private fd: FileHandle,
    readonly file: string,
    size: number,
  ) {
    this.bytes = size;
  }

  static async open(file: string): Promise<Journal> {
    const fd = await openDurableAppend(file);
    const { size } = await fd.stat();
    return new Journal(fd, file, size);
  }

  append(entry: JournalEntry): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
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
        let size = 0;
        try {
          const buf = encodeLines(batch);
          size = buf.length;
          const { bytesWritten } = await this.fd.write(buf);
          // A regular file takes the whole buffer or fails; a short write would be a torn line.
          if (bytesWritten !== buf.length) {
            const short: NodeJS.ErrnoException = new Error(`short write: ${bytesWritten} of ${buf.length} bytes`);
            // A regular file writes short when the file system is out of room (ENOSPC comes only on the next write).
            const free = freeBytes(this.file);
            if (free !== null && free < buf.length - bytesWritten) short.code = 'ENOSPC';
            throw short;
          }
          this.bytes += buf.length;
          this.flushes++;
          this.entries += batch.length;
          this.lastFlushMs = performance.now() - t0;
          for (const p of batch) p.resolve();
        } catch (err) {
          this.fail(batch, err as Error, size);
          return;
        }
        if (this.betweenFlushes) await this.betweenFlushes();
      }
    } finally {
      this.flushing = null;
    }
  }

  private fail(batch: Pending[], err: Error, bytes: number): void {
    const what = isDiskFull(err) ? diskFullMessage(this.file, bytes) : `journal write to ${this.file} failed (${err.message})`;
    const failure = new StoreError(
      `${what}; no further change is accepted: free space (or fix the disk) and restart smsotpd, which recovers every change acknowledged before the failure`,
    );
    this.failure = failure;
    const rejected = [...batch, ...this.pending];
    this.pending = [];
    for (const p of rejected) p.reject(failure);
    this.onFailure?.(failure);
  }

  /** Points further appends at another file (compaction); only called between flushes. */
  async switchTo(file: string): Promise<FileHandle> {
    const next = await openDurableAppend(file);
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

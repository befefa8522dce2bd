import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { StoreError } from './types.js';
import { diskFullMessage, isDiskFull } from './disk-full.js';

const WRITE_BATCH_CHARS = 256 * 1024;

/** fsyncs a directory, so a rename or unlink in it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/**
 * A lowdb adapter that never leaves a half-written file: write to a temp file beside the
 * target, fsync it, rename it over the target, fsync the directory. A file that does not parse
 * is an error naming the file, never "empty": it is left exactly as found for the admin.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  constructor(private readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreError(`cannot read ${this.file}: ${(err as Error).message}; the file was left untouched`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new StoreError(
        `${this.file} is not valid JSON (${(err as Error).message}); it was left untouched: restore it from a backup or move it aside`,
      );
    }
  }

  async write(data: T): Promise<void> {
    await this.writeText(JSON.stringify(data));
  }

  /** Writes already-serialised JSON. */
  async writeText(text: string): Promise<void> {
    await this.writeChunks([text]);
  }

  /** Writes JSON produced piece by piece (the store's sliced snapshot), with the same guarantees. */
  async writeChunks(chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const fd = await open(tmp, 'w', 0o600);
    const iterator = (Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : (chunks as Iterable<string>)[Symbol.iterator]()) as
      AsyncIterator<string> | Iterator<string>;
    let total = 0;
    try {
      let pending: string[] = [];
      let size = 0;
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        pending.push(r.value);
        size += r.value.length;
        total += Buffer.byteLength(r.value);
        if (size >= WRITE_BATCH_CHARS) {
          // writeFile on an open handle writes the whole string at the current position.
          await fd.writeFile(pending.join(''));
          pending = [];
          size = 0;
        }
      }
      if (pending.length) await fd.writeFile(pending.join(''));
      await fd.sync();
    } catch (err) {
      await fd.close();
      await rm(tmp, { force: true });
      if (!isDiskFull(err)) throw err;
      // Count the rest without writing it, so the message says how much room the snapshot needs.
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) total += Buffer.byteLength(r.value);
      throw new StoreError(diskFullMessage(tmp, total));
    }
    await fd.close();
    await rename(tmp, this.file);
    await syncDir(path.dirname(this.file));
  }
}

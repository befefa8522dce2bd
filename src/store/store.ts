import { mkdirSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from '../util/logger.js';
import { DurableJsonFile, syncDir } from './durable-file.js';
import { Journal, readJournal } from './journal.js';
import { FrozenView } from './snapshot-writer.js';
import {
  SCHEMA_VERSION,
  StoreError,
  emptyState,
  stateFromJson,
  type Change,
  type CollectionName,
  type RecordOf,
  type StateData,
  type Store,
  type StoreStats,
} from './types.js';

/**
 * The durable store: the state lives in memory; `state.json` is a lowdb snapshot written
 * atomically (temp, fsync, rename, dir fsync); every change between snapshots is a line in a
 * fsynced journal, `state.journal.<gen>`. Rewriting a multi-megabyte snapshot per counter bump
 * cannot keep up with logins, appending one line can.
 *
 * Compaction, without stalling commits: between two journal flushes, appends switch to
 * generation gen+1; the snapshot of memory at that instant (seq N) is written; then the older
 * generations are deleted. A crash at any step leaves a snapshot and journals whose entries
 * above the snapshot's seq replay to exactly the acknowledged state.
 */

export const SNAPSHOT_FILE = 'state.json';
const JOURNAL_RE = /^state\.journal\.(\d+)$/;
const COLLECTIONS: ReadonlySet<string> = new Set<CollectionName>(['tokens', 'users', 'outbox', 'admins', 'apikeys', 'inbox', 'meta']);
const KEY_MAX = 256;

type Snapshot = StateData & { journalSeq: number };
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

export interface OpenStoreOptions {
  dataDir: string;
  logger?: Logger;
  /** Journal size that triggers compaction into the snapshot. */
  compactAfterBytes?: number;
  /** migrations[v] upgrades a state of schema version v to v+1. */
  migrations?: Record<number, Migration>;
  /**
   * Called once if a journal write fails. The store then refuses every commit (memory may hold
   * changes that never reached the disk); the daemon exits so a restart recovers from the disk.
   */
  onFailure?: (err: StoreError) => void;
}

const journalName = (gen: number) => `state.journal.${gen}`;

function listJournals(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => JOURNAL_RE.exec(f))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

function apply(data: StateData, changes: Change[], view: FrozenView | null): void {
  for (const ch of changes) {
    view?.beforeChange(ch.c, ch.k);
    // Collections have no prototype (types.ts emptyCollection): any key is a plain key.
    const coll = data[ch.c] as Record<string, unknown>;
    if (ch.v === null) delete coll[ch.k];
    else coll[ch.k] = ch.v;
  }
}

function validate(changes: Change[]): void {
  if (!Array.isArray(changes)) throw new StoreError('commit expects an array of changes');
  for (const ch of changes) {
    if (!ch || !COLLECTIONS.has(ch.c)) throw new StoreError(`unknown collection "${String(ch?.c)}"`);
    if (typeof ch.k !== 'string' || ch.k.length === 0 || ch.k.length > KEY_MAX)
      throw new StoreError(`invalid key in ${ch.c}: 1-${KEY_MAX} characters`);
    if (ch.v !== null && (typeof ch.v !== 'object' || Array.isArray(ch.v))) throw new StoreError(`a ${ch.c} record must be an object or null`);
  }
}

function migrate(raw: Record<string, unknown>, file: string, migrations: Record<number, Migration>): Record<string, unknown> {
  let v = typeof raw.schemaVersion === 'number' ? raw.schemaVersion : 0;
  if (v > SCHEMA_VERSION) {
    throw new StoreError(
      `${file} has schema version ${v}, newer than this smsotpd (${SCHEMA_VERSION}): upgrade smsotpd, or restore a backup made by this version`,
    );
  }
  let data = raw;
  while (v < SCHEMA_VERSION) {
    const step = migrations[v];
    if (!step) throw new StoreError(`${file} has schema version ${v} and no migration to ${v + 1} exists`);
    data = { ...step(data), schemaVersion: v + 1 };
    v++;
  }
  return data;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const dir = opts.dataDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const compactAfter = opts.compactAfterBytes ?? 8 * 1024 * 1024;
  const snapshotFile = path.join(dir, SNAPSHOT_FILE);
  const adapter = new DurableJsonFile<Snapshot>(snapshotFile);
  // lowdb's Low reads the snapshot; a missing file leaves the default, null (a fresh store).
  const low = new Low<Snapshot>(adapter, null as unknown as Snapshot);
  await low.read();

  let journalSeq = 0;
  let data: StateData;
  const found = low.data as Snapshot | null;
  const migrated = found !== null && found.schemaVersion !== SCHEMA_VERSION;
  if (found === null) {
    data = emptyState();
  } else {
    const raw = migrate(found as unknown as Record<string, unknown>, snapshotFile, opts.migrations ?? {}) as unknown as Snapshot;
    journalSeq = typeof raw.journalSeq === 'number' ? raw.journalSeq : 0;
    data = stateFromJson(raw as unknown as Record<string, unknown>);
  }

  // Replay every journal generation in order; entries the snapshot covers are skipped.
  const gens = listJournals(dir);
  let seq = journalSeq;
  let replayed = 0;
  for (const [i, gen] of gens.entries()) {
    for (const entry of await readJournal(path.join(dir, journalName(gen)), i === gens.length - 1)) {
      if (entry.s <= journalSeq) continue;
      if (entry.s !== seq + 1)
        throw new StoreError(`journal ${journalName(gen)} skips from entry ${seq} to ${entry.s}; it was left untouched: restore from a backup`);
      apply(data, entry.ch, null);
      seq = entry.s;
      replayed++;
    }
  }

  // The snapshot being written, if any: commits tell it what they overwrite.
  let view: FrozenView | null = null;
  /** Freezes the state at `atSeq` now (synchronously); the returned write may take a while. */
  const snapshotAt = (atSeq: number): (() => Promise<void>) => {
    const frozen = new FrozenView(data as unknown as Record<string, unknown>, COLLECTIONS, { journalSeq: atSeq });
    view = frozen;
    return async () => {
      const t0 = performance.now();
      try {
        await adapter.writeChunks(frozen.chunks());
      } finally {
        if (view === frozen) view = null;
      }
      opts.logger?.debug({ seq: atSeq, ms: Math.round(performance.now() - t0) }, 'snapshot written');
    };
  };
  const removeJournalsBelow = async (gen: number) => {
    for (const g of listJournals(dir)) if (g < gen) await rm(path.join(dir, journalName(g)), { force: true });
    await syncDir(dir);
  };

  // Start on a fresh generation. A migration must reach the snapshot now (the journals hold
  // changes to the old schema); a replayed journal is folded in by the first compaction instead:
  // on a full disk, start-up needs no room for a whole snapshot, only for the new journal's lines.
  let gen = (gens.at(-1) ?? 0) + 1;
  if (migrated || found === null) {
    await snapshotAt(seq)();
    await removeJournalsBelow(gen);
  }
  let foldPending = replayed > 0;
  const journal = await Journal.open(path.join(dir, journalName(gen)));
  await syncDir(dir);

  let closed = false;
  let compactions = 0;
  let changesCount = 0;
  let compacting: Promise<void> | null = null;
  /** After a failed compaction (a full disk), the next try waits: a snapshot per flush would only fail faster. */
  let compactRetryAt = 0;
  const COMPACT_RETRY_MS = 60_000;

  const compact = async (): Promise<void> => {
    // Runs between flushes: nothing is in flight, so `seq` is exactly what the journal holds.
    const writeSnapshot = snapshotAt(seq);
    gen++;
    const old = await journal.switchTo(path.join(dir, journalName(gen)));
    await old.close();
    await syncDir(dir);
    const done = gen;
    compacting = (async () => {
      try {
        await writeSnapshot();
        await removeJournalsBelow(done);
        compactions++;
        foldPending = false;
      } catch (err) {
        compactRetryAt = performance.now() + COMPACT_RETRY_MS;
        opts.logger?.error(
          { err: (err as Error).message },
          `compaction failed: ${(err as Error).message}; the journal keeps every change, retrying in ${COMPACT_RETRY_MS / 1000} s`,
        );
      } finally {
        compacting = null;
      }
    })();
  };

  journal.onFailure = (err) => {
    opts.logger?.error({ err }, 'journal write failed: the store accepts no further change');
    opts.onFailure?.(err);
  };
  journal.betweenFlushes = async () => {
    if (!compacting && (journal.bytes >= compactAfter || foldPending) && performance.now() >= compactRetryAt) await compact();
  };

  opts.logger?.info({ dataDir: dir, seq, replayed }, 'store opened');

  const store: Store = {
    data,
    get<C extends CollectionName>(c: C, key: string): RecordOf<C> | undefined {
      return (data[c] as Record<string, RecordOf<C>>)[key];
    },
    async commit(changes) {
      if (closed) throw new StoreError('the store is closed');
      // Before apply: after a failed write, memory must not move further from the disk.
      if (journal.failure) throw journal.failure;
      validate(changes);
      if (changes.length === 0) return;
      apply(data, changes, view);
      seq++;
      changesCount += changes.length;
      await journal.append({ s: seq, ch: changes });
    },
    async close() {
      if (closed) return;
      closed = true;
      await journal.drain();
      while (compacting) await compacting;
      // After a failed write, memory holds changes the disk does not: a snapshot of it would
      // persist them. The files on disk are the state; the next start replays them.
      if (journal.bytes > 0 && !journal.failure) {
        await snapshotAt(seq)();
        await journal.close();
        await removeJournalsBelow(gen + 1);
      } else {
        await journal.close();
      }
    },
    stats(): StoreStats {
      return { flushes: journal.flushes, changes: changesCount, compactions, journalBytes: journal.bytes, lastFlushMs: journal.lastFlushMs };
    },
  };
  return store;
}

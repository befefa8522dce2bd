import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, LOCK_FILE, procState, StoreLockedError } from '../../src/store/lock.js';
import { openStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/harness.js';

const tok = (serial: string, pad = '') => ({ serial, counter: 0, pad }) as never;

describe('lock: a zombie holder is dead', () => {
  const children: Array<{ kill(): void }> = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  it('takes over a lock whose pid is an unreaped zombie (state Z), refuses a live holder', async () => {
    // sh backgrounds a child that exits at once, then execs a sleep that never reaps it: a zombie.
    const holder = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(holder);
    const zombie = Number(await new Promise<string>((r) => holder.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
    for (let i = 0; i < 200 && procState(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(procState(zombie)).toBe('Z');

    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), `${zombie}\n`);
    const lock = acquireLock(dir);
    lock.release();

    // A living holder (the sleep itself) still keeps the lock.
    writeFileSync(path.join(dir, LOCK_FILE), `${holder.pid}\n`);
    expect(() => acquireLock(dir)).toThrow(StoreLockedError);
  });
});

/** A tiny tmpfs: a real full disk (ENOSPC), which RLIMIT_FSIZE (EFBIG) is not. Needs root. */
function smallDisk(kib: number): { dir: string; cleanup(): void } | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    cleanup() {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const canMount = (() => {
  const d = smallDisk(64);
  d?.cleanup();
  return d !== null;
})();

describe.skipIf(!canMount)('full disk (tmpfs; needs root)', () => {
  it('one line naming the file and the space needed; restart replays with no room for a snapshot', async () => {
    const disk = smallDisk(256)!;
    try {
      const dataDir = path.join(disk.dir, 'var');
      const store = await openStore({ dataDir, compactAfterBytes: 1 << 30 });
      // Fill the disk with acknowledged changes until a commit is refused.
      let acked = 0;
      let failure: Error | null = null;
      for (let i = 0; i < 10_000 && !failure; i++) {
        try {
          await store.commit([{ c: 'tokens', k: `T${i}`, v: tok(`T${i}`, 'x'.repeat(200)) }]);
          acked++;
        } catch (err) {
          failure = err as Error;
        }
      }
      expect(failure).not.toBeNull();
      const msg = failure!.message;
      expect(msg).not.toContain('\n');
      expect(msg).toMatch(/^disk full: writing \S+state\.journal\.\d+ needs \d+ bytes, \d+ bytes free on its file system/);
      expect(msg).toContain(dataDir);
      await store.close();

      // Restart on the still-full disk: every acknowledged change is back, although a snapshot
      // of them (tens of KiB) cannot be written here.
      const again = await openStore({ dataDir, compactAfterBytes: 1 << 30 });
      expect(Object.keys(again.data.tokens)).toHaveLength(acked);
      // The snapshot, when it is tried (close), fails with the same kind of line and loses nothing.
      await again.close().catch((err: Error) => {
        expect(err.message).toMatch(/^disk full: writing \S+state\.json\.tmp needs \d+ KiB, \d+ (bytes|KiB) free/);
      });
      expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const third = await openStore({ dataDir, compactAfterBytes: 1 << 30 });
      expect(Object.keys(third.data.tokens)).toHaveLength(acked);
      await third.close().catch(() => {});
    } finally {
      disk.cleanup();
    }
  });
});

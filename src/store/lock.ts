import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StoreError } from './types.js';

export const LOCK_FILE = 'smsotpd.lock';

export class StoreLockedError extends StoreError {
  override name = 'StoreLockedError';
  constructor(
    readonly pid: number,
    dataDir: string,
  ) {
    super(`smsotpd is running (pid ${pid}) on ${dataDir}`);
  }
}

export interface LockHandle {
  release(): void;
}

/**
 * The process state letter from /proc/PID/stat (the field after the parenthesised command,
 * which may itself contain spaces and parentheses), or null where there is no /proc.
 */
export function procState(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = stat.lastIndexOf(')');
  return close < 0 ? null : stat.slice(close + 2, close + 3) || null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else, which still means the lock is held.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (killed, not yet reaped by its parent) still answers kill(0) but holds nothing:
  // right after kill -9 under a supervisor that is slow to reap, the restart must not be refused.
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

/**
 * One writer per data dir: the daemon, or a CLI command working without it. The lock file holds
 * the owner's pid; a lock whose process is gone (a crash, a power cut) is taken over.
 */
export function acquireLock(dataDir: string): LockHandle {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError(`cannot create lock ${file}: ${(err as Error).message}`);
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // removed meanwhile: try again
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new StoreLockedError(pid, dataDir);
    if (pid === process.pid) throw new StoreLockedError(pid, dataDir);
    rmSync(file, { force: true });
  }
  throw new StoreError(`cannot take the lock ${file}: it keeps changing`);
}

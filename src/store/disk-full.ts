import { statfsSync } from 'node:fs';
import path from 'node:path';

/** Free bytes for an unprivileged writer on the file system holding `file`, or null if unknown. */
export function freeBytes(file: string): number | null {
  try {
    const s = statfsSync(path.dirname(file));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

const kib = (n: number) => (n < 10_240 ? `${n} bytes` : `${Math.ceil(n / 1024)} KiB`);

/** The one line an admin reads when the disk is full: which file, how much it needed, how much is free. */
export function diskFullMessage(file: string, neededBytes: number): string {
  const free = freeBytes(file);
  return `disk full: writing ${file} needs ${kib(neededBytes)}, ${free === null ? 'an unknown amount' : kib(free)} free on its file system`;
}

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = path.join(root, 'test/store/fixtures/commit-loop.mjs');
const untilFull = path.join(root, 'test/store/fixtures/commit-until-full.mjs');

beforeAll(() => {
  // The child runs the compiled store; build it if it is missing or older than the source.
  const built = path.join(root, 'dist/store/store.js');
  const src = path.join(root, 'src/store/store.ts');
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(src).mtimeMs) {
    // tsc emits even when some other module has type errors; what matters here is the store's output.
    spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(built)) throw new Error(`${built} was not built`);
}, 120_000);

/** Runs the commit loop and SIGKILLs it after `ms`; returns every acknowledged sequence number. */
function runAndKill(dir: string, start: number, ms: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code}: ${err}`));
      // A line cut by the kill was printed after its ack, so it counts only when complete.
      resolve(out.split('\n').slice(0, -1).map(Number));
    });
  });
}

describe('crash safety', () => {
  it('SIGKILL in the middle of a commit loop (and of compactions) loses no acknowledged change', async () => {
    const dir = tempDir();
    // Fixed schedule of kill times (ms), varied so kills land in appends, syncs and compactions.
    const schedule = [350, 520, 410, 700, 460, 610];
    let start = 0;
    let total = 0;
    for (const ms of schedule) {
      const acked = await runAndKill(dir, start, ms);
      total += acked.length;
      const store = await openStore({ dataDir: dir, compactAfterBytes: 4096 });
      for (const n of acked) {
        expect(store.get('tokens', `T${n}`), `acknowledged T${n} lost`).toEqual({ serial: `T${n}`, counter: n });
      }
      await store.close();
      start += 1_000_000;
    }
    expect(total).toBeGreaterThan(100);
  }, 60_000);
});

describe('disk failure', () => {
  it('a journal write that fails (file-size limit) stops every later commit and loses no acknowledged change', async () => {
    const dir = tempDir();
    // A real write failure on a real file system: the child may write files of at most 24 KiB.
    // The write that crosses the limit is cut short, the next one fails with EFBIG.
    const run = spawnSync('bash', ['-c', 'ulimit -f 24 && exec "$0" "$@"', process.execPath, untilFull, dir], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const acked = lines.filter((l) => l.startsWith('ok ')).map((l) => Number(l.slice(3)));
    const refusals = lines.filter((l) => l.startsWith('rejected '));
    expect(acked.length).toBeGreaterThan(50);
    expect(refusals.length).toBeGreaterThanOrEqual(20);
    expect(refusals[0]).toMatch(/journal write to .* failed .*restart smsotpd/);
    // Nothing is acknowledged after the first refusal: a later line would follow a lost one on disk.
    const firstRefused = lines.findIndex((l) => l.startsWith('rejected '));
    expect(lines.slice(firstRefused).some((l) => l.startsWith('ok '))).toBe(false);
    expect(lines).toContain('failures 1');
    expect(lines.find((l) => l.startsWith('after '))).toMatch(/^after refused: journal write/);

    // Without the limit, the store opens from what is on disk and holds every acknowledged change.
    const store = await openStore({ dataDir: dir });
    for (const n of acked) expect(store.get('tokens', `T${n}`), `acknowledged T${n} lost`).toMatchObject({ counter: n });
    expect(store.get('tokens', 'late')).toBeUndefined();
    await store.commit([{ c: 'tokens', k: 'again', v: { serial: 'again', counter: 1 } as never }]);
    await store.close();
    const reopened = await openStore({ dataDir: dir });
    expect(reopened.get('tokens', 'again')).toMatchObject({ counter: 1 });
    await reopened.close();
  }, 60_000);
});

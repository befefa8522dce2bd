import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = path.join(root, 'test/store/fixtures/commit-loop.mjs');

beforeAll(() => {
  // The child runs the compiled store; build it if it is missing or older than the source.
  const built = path.join(root, 'dist/store/store.js');
  const src = path.join(root, 'src/store/store.ts');
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(src).mtimeMs) {
    // tsc emits even when some other module has type errors; what matters here is the store's output.
    spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
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

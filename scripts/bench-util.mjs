// Helpers shared by the benchmark scripts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = (p) => import(path.join(root, 'dist', p));

/** Polls `fn` until true; throws after `ms`. */
export async function until(fn, ms) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const quantile = (values, p) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(p * values.length))];

/** A core on a fresh temp data dir with the given providers config; `providers` built from it. */
export async function benchCore(providersConfig, extra = {}) {
  const { parseConfig } = await dist('config/load.js');
  const { openStore } = await dist('store/store.js');
  const { createCore } = await dist('core.js');
  const { createProviders } = await dist('sms/providers/index.js');
  const { buildQueuedMessage } = await dist('sms/outbox.js');
  const { silentLogger } = await dist('util/logger.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-bench-'));
  const config = parseConfig({ dataDir: dir, ...extra, sms: { providers: providersConfig, ...(extra.sms ?? {}) } });
  const store = await openStore({ dataDir: dir });
  const providers = await createProviders(config, { logger: silentLogger, dataDir: dir });
  const core = createCore({ config, store, logger: silentLogger, providers });
  await core.start();
  const queue = async (text, validityMs = 3_600_000, to = '+4917612345678') => {
    const now = Date.now();
    const { record, change } = buildQueuedMessage({ to, text, expiresAt: now + validityMs, origin: 'api' }, now, (s) => core.secrets.encrypt(s));
    await store.commit([change]);
    core.deps.dispatcher.enqueued(record.id);
    return record.id;
  };
  const close = async () => {
    await core.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, core, store, providers, queue, close };
}

/**
 * How `npx smsotpd serve` starts the daemon: the environment and node flags of dist/cli/smsotpd.cjs's
 * `#!/usr/bin/env -S ...` line, then that launcher itself, so benchmarks measure the runtime users get. `extraNodeArgs`
 * (profiling flags, say) go after them.
 */
export function daemonCommand(args, extraNodeArgs = []) {
  const main = path.join(root, 'dist/cli/smsotpd.cjs');
  const line = readFileSync(main, 'utf8').split('\n', 1)[0];
  const words = line
    .replace(/^#!\s*\S*env\s+-S\s+/, '')
    .split(/\s+/)
    .filter(Boolean);
  const env = { ...process.env };
  while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [k, ...v] = words.shift().split('=');
    env[k] = v.join('=');
  }
  if (words.shift() !== 'node') throw new Error(`unexpected interpreter line in ${main}: ${line}`);
  return { command: process.execPath, args: [...words, ...extraNodeArgs, main, ...args], env };
}

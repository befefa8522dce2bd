// Helpers shared by the benchmark scripts.
import { mkdtempSync, rmSync } from 'node:fs';
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
    const { record, change } = buildQueuedMessage({ to, text, expiresAt: now + validityMs, origin: 'api' }, now, (s) => core.deps.secrets.encrypt(s));
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

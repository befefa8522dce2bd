import { createAdaptorServer } from '@hono/node-server';
import { accessSync, chmodSync, constants, mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Server } from 'node:http';
import { loadConfig } from '../config/load.js';
import { createCore } from '../core.js';
import { createProviders } from '../sms/providers/index.js';
import { acquireLock } from '../store/lock.js';
import { openStore } from '../store/store.js';
import { createLogger } from '../util/logger.js';
import { AdjustableClock } from '../util/clock.js';
import { keepTime } from '../time-keeper.js';
import { CliError, socketPath } from './client.js';
import { describeError } from './errors.js';
import { threadPoolSize } from '../util/thread-pool.js';
import { createListener, type ListenerTls } from '../tls/server.js';
import { TlsError } from '../tls/certificate.js';

function listen(server: Server, ...args: [number, string] | [string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [number, string]), () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The data dir, made 0700 if missing; a refusal says which directory and how to fix it. */
function makeDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const who = userInfo().username;
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
      throw new CliError(
        `the data directory ${dir} is not writable for ${who} (${describeError(e)}): ` +
          `sudo install -d -o ${who} -m 0700 ${dir}, or set dataDir in the config to a directory ${who} owns`,
      );
    }
    throw new CliError(`cannot use the data directory ${dir}: ${describeError(e)}`);
  }
}

/**
 * `smsotpd serve`: the daemon. Order matters: the data-dir lock first (one writer), then the
 * store (a corrupt file stops here, untouched), then HTTP, then the providers in the background.
 */
export async function serve(configFile?: string): Promise<void> {
  const config = loadConfig(configFile);
  const logger = createLogger({ level: config.log.level });
  makeDataDir(config.dataDir);
  const lock = acquireLock(config.dataDir);
  const clock = new AdjustableClock();
  let store;
  let core;
  let providers;
  // Set once the daemon is up; a journal write failing before that fails start-up through its commit.
  let storeFailed: (err: Error) => void = () => {};
  let listenerTls: ListenerTls | null = null;
  try {
    store = await openStore({ dataDir: config.dataDir, logger: logger.child({ part: 'store' }), onFailure: (err) => storeFailed(err) });
    providers = await createProviders(config, { logger, dataDir: config.dataDir, clock });
    core = createCore({ config, store, logger, providers, clock, tls: () => listenerTls?.current() ?? null });
  } catch (err) {
    await store?.close().catch(() => {});
    lock.release();
    throw err;
  }

  let http: Server;
  try {
    const listener = await createListener(core.app.fetch, config.listen.tls, config.dataDir, config.listen.host);
    http = listener.server;
    listenerTls = listener.tls;
    if (listener.created?.reason === 'first start')
      logger.info({ fingerprint: listenerTls?.current().fingerprint }, 'made the self-signed TLS certificate (smsotpd tls show prints it)');
    else if (listener.created)
      logger.warn(
        { reason: listener.created.reason, fingerprint: listenerTls?.current().fingerprint },
        'replaced the self-signed TLS certificate: clients that pin the old fingerprint must be updated',
      );
  } catch (err) {
    await store.close().catch(() => {});
    lock.release();
    if (err instanceof TlsError) throw new CliError(err.message);
    throw err;
  }
  const sock = socketPath(config);
  rmSync(sock, { force: true });
  const control = createAdaptorServer({
    fetch: (req: Request, env: Record<string, unknown>) => core.app.fetch(req, { ...env, local: true }),
  }) as Server;

  try {
    await core.start();
    await listen(http, config.listen.port, config.listen.host);
  } catch (err) {
    await core.stop().catch(() => {});
    await store.close().catch(() => {});
    lock.release();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      throw new CliError(`cannot listen on ${config.listen.host}:${config.listen.port}: the port is in use (another smsotpd, or change listen.port)`);
    if (e.code === 'EACCES')
      throw new CliError(`cannot listen on ${config.listen.host}:${config.listen.port}: permission denied (ports below 1024 need privileges)`);
    if (e.code === 'EADDRNOTAVAIL')
      throw new CliError(`cannot listen on ${config.listen.host}:${config.listen.port}: no such address on this machine`);
    throw err;
  }
  try {
    await listen(control, sock);
    chmodSync(sock, 0o600);
  } catch (err) {
    logger.warn({ err, socket: sock }, 'control socket unavailable: CLI commands will refuse while the daemon runs');
  }
  const stopTime = keepTime(clock, providers, logger);
  const addr = http.address();
  logger.info(
    {
      listen:
        typeof addr === 'object' && addr
          ? `${listenerTls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
          : addr,
      tlsFingerprint: listenerTls?.current().fingerprint,
      dataDir: config.dataDir,
      config: config.source,
      providers: providers.map((p) => `${p.id}(${p.type})`),
      node: process.version,
      threadPool: threadPoolSize(),
    },
    'smsotpd ready',
  );

  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopTime();
    http.close();
    control.close();
    http.closeIdleConnections?.();
    try {
      await core.stop();
      await store.close();
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
    }
    rmSync(sock, { force: true });
    lock.release();
    logger.info('stopped');
    process.exit(exitCode);
  };
  // Fail-stop: with the disk refusing writes nothing can be acknowledged; exiting non-zero lets
  // systemd restart the daemon, which replays what is on disk (every acknowledged change).
  storeFailed = (err) => {
    logger.fatal({ err }, 'the state store cannot write to disk: stopping');
    void shutdown('store failure', 1);
  };
  // SIGHUP re-reads the certificate (a renewed one from certbot or the site's CA): new connections
  // get it, open ones keep theirs; a bad file keeps the old certificate in service.
  process.on('SIGHUP', () => {
    if (!listenerTls) return logger.info('SIGHUP: no TLS configured, nothing to reload');
    try {
      const now = listenerTls.reload();
      logger.info({ fingerprint: now.fingerprint, validTo: now.validTo }, 'TLS certificate reloaded');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'TLS certificate reload failed: still serving the previous one');
    }
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

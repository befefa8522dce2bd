import type { Config } from './config/schema.js';
import type { Store } from './store/types.js';
import { observeCommits } from './store/observed.js';
import { createApp } from './api/app.js';
import type { AppDeps } from './api/context.js';
import { RateLimiter } from './api/rate-limit.js';
import { createMetrics } from './api/metrics.js';
import { SignalHistory } from './api/signal-history.js';
import { Accounts } from './token/accounts.js';
import { TokenAdmin } from './token/admin.js';
import { TokenRegistry } from './token/registry.js';
import { loadOrCreateSecrets, type Secrets } from './token/secrets.js';
import { checkLogin, normalisePhone, UserDirectory } from './token/users.js';
import { normaliseStoredPhones } from './token/phone-migration.js';
import { Directory } from './directory/directory.js';
import { AutoEnroller } from './directory/auto-enroll.js';
import { registerDirectoryMetrics } from './directory/metrics.js';
import { consoleRealms } from './directory/realm-source.js';
import { Validator } from './token/validate.js';
import { Dispatcher } from './sms/dispatcher.js';
import { createEnqueue, outboxReader } from './sms/outbox.js';
import { makeBackup } from './token/backup.js';
import { Inbox } from './sms/inbox.js';
import { Ussd } from './sms/ussd.js';
import type { SmsProvider } from './sms/provider.js';
import { openAuditLog, type AuditLog } from './util/audit.js';
import { systemClock, type Clock } from './util/clock.js';
import { KeyedMutex } from './util/keyed-mutex.js';
import type { Logger } from './util/logger.js';
import type { TlsSummary } from './tls/certificate.js';
import type { RealmSource } from './api/console/realms.js';

export interface CoreOptions {
  config: Config;
  store: Store;
  logger: Logger;
  /** In config order. The CLI's in-process core passes them unstarted and never starts them. */
  providers: SmsProvider[];
  clock?: Clock;
  secrets?: Secrets;
  audit?: AuditLog;
  /** The listener's certificate, once it listens with TLS (serve sets it). */
  tls?: () => TlsSummary | null;
  /** Directory realms for the console (the local realm is always there). */
  realms?: RealmSource;
}

export interface Core {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  /** The key file's keys (tests and benchmarks encrypt queued texts with them); the API gets only the JWT key. */
  secrets: Secrets;
  /** Starts the dispatcher and the providers (providers in the background: a modem may take a while). */
  start(): Promise<void>;
  /** Stops sending (in-flight submits get a grace period), stops providers, closes the audit log. */
  stop(): Promise<void>;
}

/**
 * Wires every part together from its dependencies. Used by `serve`, by the CLI when no daemon
 * runs (in-process, nothing started), and by tests on loopback with real parts.
 */
export function createCore(o: CoreOptions): Core {
  const clock = o.clock ?? systemClock;
  const { config, logger } = o;
  const metrics = createMetrics();
  const store = observeCommits(o.store, metrics.observeStoreCommit);
  const secrets = o.secrets ?? loadOrCreateSecrets(config.dataDir);
  const audit = o.audit ?? openAuditLog(config.dataDir, { maxBytes: config.audit.maxBytes, keep: config.audit.keep, clock });
  const mutex = new KeyedMutex();
  const tokens = new TokenRegistry(store);
  // `defaultRealm` (contract 9) wins; `token.defaultRealm` is its older name.
  const users = new UserDirectory(store, clock, config.defaultRealm ?? config.token.defaultRealm, config.sms.defaultRegion);
  const directory = new Directory({
    config,
    table: users,
    clock,
    logger: logger.child({ part: 'directory' }),
    // Directory numbers are normalised like every number (E.164, sms.defaultRegion for national ones).
    normalisePhone: (n) => normalisePhone(n, 'mobile', config.sms.defaultRegion),
    checkLocalLogin: checkLogin,
  });
  registerDirectoryMetrics(metrics.registry, directory);
  const policyOf = (id: string) => {
    const p = config.sms.providers.find((x) => x.id === id);
    return { maxAttempts: p?.maxAttempts ?? 3, breakerThreshold: p?.breakerThreshold ?? 3, breakerCooldown: p?.breakerCooldown ?? 30 };
  };
  const dispatcher = new Dispatcher({
    store,
    providers: o.providers.map((provider) => ({ provider, policy: policyOf(provider.id) })),
    clock,
    logger: logger.child({ part: 'dispatcher' }),
    audit,
    decrypt: (s) => secrets.decrypt(s),
    retryBaseMs: config.sms.retryBaseMs,
    retryMaxMs: config.sms.retryMaxMs,
    retentionMs: config.sms.keepFinalHours * 3600_000,
    retentionMax: config.sms.keepFinalMax,
    maxQueued: config.sms.maxQueued,
    reportWindowMs: config.sms.reportWindowHours * 3600_000,
  });
  const inbox = new Inbox({
    store,
    clock,
    logger: logger.child({ part: 'inbox' }),
    audit,
    encrypt: (s) => secrets.encrypt(s),
    decrypt: (s) => secrets.decrypt(s),
    max: config.sms.inboxMax,
  });
  for (const p of o.providers) p.onIncoming?.(inbox.listener(p.id));
  metrics.attach(dispatcher, inbox);
  const signals = new SignalHistory(dispatcher, clock);
  const enqueue = createEnqueue({ store, encrypt: (s) => secrets.encrypt(s), now: () => clock.now(), wake: (id) => dispatcher.enqueued(id) });
  const validator = new Validator({
    store,
    tokens,
    users,
    secrets,
    clock,
    mutex,
    sms: { canDeliverBy: (t) => dispatcher.canDeliverBy(t), enqueue },
    config,
    directory,
  });
  const tokenAdmin = new TokenAdmin({ store, tokens, users, secrets, clock, mutex, config, directory });
  const autoEnroll = new AutoEnroller({ directory, tokens, tokenAdmin, store, audit, clock, logger: logger.child({ part: 'auto-enroll' }) });
  const accounts = new Accounts(store, secrets, clock);
  let started = false;

  const deps: AppDeps = {
    config,
    jwtKey: secrets.jwtKey,
    clock,
    logger,
    audit,
    validator,
    tokenAdmin,
    users,
    directory,
    autoEnroll,
    accounts,
    dispatcher,
    enqueue,
    outbox: outboxReader(store),
    storeStats: () => store.stats(),
    backup: () => makeBackup(store, secrets, clock.now()),
    inbox,
    ussd: new Ussd(o.providers),
    metrics,
    signals,
    validateLimiter: new RateLimiter(config.limits.validatePerSecond, config.limits.validateBurst, () => clock.now()),
    ready: () => started,
    startedAt: clock.now(),
    tls: o.tls,
    providers: o.providers,
    // The console's realm view; directory realms come from the resolvers.
    realms: o.realms ?? (directory.configuredRealms().length ? consoleRealms(directory) : undefined),
  };

  return {
    app: createApp(deps),
    deps,
    secrets,
    async start() {
      await normaliseStoredPhones(store, config.sms.defaultRegion, logger, clock.now());
      await dispatcher.start();
      for (const p of o.providers) {
        p.start().catch((err) => logger.error({ err, provider: p.id }, 'provider failed to start; it will be skipped until it recovers'));
      }
      signals.start();
      autoEnroll.start();
      started = true;
    },
    async stop() {
      started = false;
      signals.stop();
      await autoEnroll.stop();
      await directory.close();
      await dispatcher.stop();
      await Promise.allSettled(o.providers.map((p) => p.stop()));
      if (!o.audit) audit.close();
    },
  };
}

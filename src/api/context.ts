import type { Config } from '../config/schema.js';
import type { Accounts } from '../token/accounts.js';
import type { TokenAdmin } from '../token/admin.js';
import type { UserDirectory } from '../token/users.js';
import type { Validator } from '../token/validate.js';
import type { Dispatcher } from '../sms/dispatcher.js';
import type { Directory } from '../directory/directory.js';
import type { AutoEnroller } from '../directory/auto-enroll.js';
import type { Enqueue, OutboxReader } from '../sms/outbox.js';
import type { Backup } from '../token/backup.js';
import type { Inbox } from '../sms/inbox.js';
import type { Ussd } from '../sms/ussd.js';
import type { AuditLog } from '../util/audit.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Params } from './params.js';
import type { RateLimiter } from './rate-limit.js';
import type { Metrics } from './metrics.js';
import type { SignalHistory } from './signal-history.js';
import type { SmsProvider } from '../sms/provider.js';
import type { TlsSummary } from '../tls/certificate.js';
import type { RealmSource } from './console/realms.js';

/** Who made the request, once authenticated. `local` = the CLI through the control socket or in-process. */
export type { Identity } from './middleware/auth.js';
import type { Identity } from './middleware/auth.js';

export interface AppDeps {
  config: Config;
  /** The key admin JWTs are signed with (token/secrets.ts derives it; the key file stays there). */
  jwtKey: string;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  validator: Validator;
  tokenAdmin: TokenAdmin;
  users: UserDirectory;
  /** Realms and resolvers (local table, LDAP/AD). */
  directory: Directory;
  autoEnroll: AutoEnroller;
  accounts: Accounts;
  dispatcher: Dispatcher;
  /** The outbox's one way in (sms/outbox.ts createEnqueue). */
  enqueue: Enqueue;
  /** The outbox's records, read only (GET /sms/<id>, the status page, the console). */
  outbox: OutboxReader;
  /** The store's own figures (journal flushes, compactions), shown by GET /status as they are. */
  storeStats(): object;
  /** A consistent backup of the state with its key (GET /backup). */
  backup(): Backup;
  /** Received SMS (GET /sms/inbox) and USSD on the modems (POST /modem/<id>/ussd). */
  inbox: Inbox;
  ussd: Ussd;
  validateLimiter: RateLimiter;
  metrics: Metrics;
  signals: SignalHistory;
  /** False until the providers are started; /healthz answers 503 meanwhile. */
  ready(): boolean;
  startedAt: number;
  /** The certificate the listener serves now (null: plain HTTP, or no daemon listening). */
  tls?: () => TlsSummary | null;
  /** The providers in config order, for the console's modem actions (USSD balance, probe). */
  providers?: readonly SmsProvider[];
  /** Realms beyond the local table (the directory's), listed by the console. */
  realms?: RealmSource;
}

export type AppEnv = {
  Bindings: { local?: boolean; incoming?: { socket?: { remoteAddress?: string } } };
  Variables: { identity: Identity; params: Params; client: string; result: string; bodyLimit: number };
};

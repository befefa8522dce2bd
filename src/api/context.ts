import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import type { Accounts } from '../token/accounts.js';
import type { TokenAdmin } from '../token/admin.js';
import type { Secrets } from '../token/secrets.js';
import type { UserDirectory } from '../token/users.js';
import type { Validator } from '../token/validate.js';
import type { Dispatcher } from '../sms/dispatcher.js';
import type { Directory } from '../directory/directory.js';
import type { AutoEnroller } from '../directory/auto-enroll.js';
import type { Enqueue } from '../sms/outbox.js';
import type { Inbox } from '../sms/inbox.js';
import type { Ussd } from '../sms/ussd.js';
import type { AuditLog } from '../util/audit.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Params } from './params.js';
import type { RateLimiter } from './rate-limit.js';
import type { Metrics } from './metrics.js';
import type { SignalHistory } from './signal-history.js';

/** Who made the request, once authenticated. `local` = the CLI through the control socket or in-process. */
export type { Identity } from './middleware/auth.js';
import type { Identity } from './middleware/auth.js';

export interface AppDeps {
  config: Config;
  store: Store;
  secrets: Secrets;
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
  /** Received SMS (GET /sms/inbox) and USSD on the modems (POST /modem/<id>/ussd). */
  inbox: Inbox;
  ussd: Ussd;
  validateLimiter: RateLimiter;
  metrics: Metrics;
  signals: SignalHistory;
  /** False until the providers are started; /healthz answers 503 meanwhile. */
  ready(): boolean;
  startedAt: number;
}

export type AppEnv = {
  Bindings: { local?: boolean; incoming?: { socket?: { remoteAddress?: string } } };
  Variables: { identity: Identity; params: Params; client: string; result: string; bodyLimit: number };
};

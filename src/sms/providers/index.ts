import type { Config } from '../../config/schema.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { SmsProvider } from '../provider.js';
import { createHttpProvider } from './http.js';
import { createModemProvider } from './modem.js';
import { createSipgateProvider } from './sipgate.js';
import { createSmtpProvider } from './smtp.js';

export interface ProviderFactoryDeps {
  logger: Logger;
  dataDir: string;
  clock?: Clock;
  profilesDir?: string;
}

/** One provider per config entry, in config order (the order the dispatcher tries them). */
export function createProviders(config: Config, deps: ProviderFactoryDeps): SmsProvider[] {
  return config.sms.providers.map((cfg) => {
    const logger = deps.logger.child({ provider: cfg.id });
    switch (cfg.type) {
      case 'modem':
      case 'simulator':
        return createModemProvider(cfg, { ...deps, logger });
      case 'http':
        return createHttpProvider(cfg, { logger, clock: deps.clock });
      case 'sipgate':
        return createSipgateProvider(cfg, { logger, clock: deps.clock });
      case 'smtp':
        return createSmtpProvider(cfg, { logger, clock: deps.clock });
    }
  });
}

import type { Config } from '../../config/schema.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { SmsProvider } from '../provider.js';

export interface ProviderFactoryDeps {
  logger: Logger;
  dataDir: string;
  clock?: Clock;
  profilesDir?: string;
}

/**
 * One provider per config entry, in config order (the order the dispatcher tries them). Each
 * type's module, and the library behind it (undici, nodemailer, the serial binding), is loaded
 * only when the config uses that type: memory on a Pi is not free.
 */
export async function createProviders(config: Config, deps: ProviderFactoryDeps): Promise<SmsProvider[]> {
  const out: SmsProvider[] = [];
  for (const cfg of config.sms.providers) {
    const logger = deps.logger.child({ provider: cfg.id });
    switch (cfg.type) {
      case 'modem':
      case 'simulator':
        out.push((await import('./modem.js')).createModemProvider(cfg, { ...deps, logger }));
        break;
      case 'http':
        out.push((await import('./http.js')).createHttpProvider(cfg, { logger, clock: deps.clock }));
        break;
      case 'sipgate':
        out.push((await import('./sipgate.js')).createSipgateProvider(cfg, { logger, clock: deps.clock }));
        break;
      case 'smtp':
        out.push((await import('./smtp.js')).createSmtpProvider(cfg, { logger, clock: deps.clock }));
        break;
    }
  }
  return out;
}

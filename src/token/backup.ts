import { BACKUP_FORMAT, type Backup } from '../store/backup.js';
import type { StateData, Store } from '../store/types.js';
import type { Secrets } from './secrets.js';

export type { Backup };

/**
 * A consistent backup: the state is serialised in one synchronous step (no commit interleaves)
 * together with the key that decrypts its seeds.
 */
export function makeBackup(store: Pick<Store, 'data'>, secrets: Pick<Secrets, 'exportKey'>, now: number): Backup {
  return {
    format: BACKUP_FORMAT,
    formatVersion: 1,
    created: new Date(now).toISOString(),
    schemaVersion: store.data.schemaVersion,
    secretKey: secrets.exportKey(),
    state: JSON.parse(JSON.stringify(store.data)) as StateData,
  };
}

import type { StateData } from './types.js';

/** The backup file: a consistent state snapshot and the key file that decrypts its seeds. */
export const BACKUP_FORMAT = 'smsotpd-backup';

export interface Backup {
  format: typeof BACKUP_FORMAT;
  formatVersion: 1;
  created: string;
  schemaVersion: number;
  /** The key file, base64: without it the seeds in `state` cannot be decrypted. */
  secretKey: string;
  state: StateData;
}

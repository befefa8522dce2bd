import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { acquireLock, StoreLockedError } from '../store/lock.js';
import { openStore } from '../store/store.js';
import { SCHEMA_VERSION, type Change, type CollectionName } from '../store/types.js';
import { BACKUP_FORMAT, type Backup } from '../store/backup.js';
import { KEY_FILE, secretsFromKey } from '../token/secrets.js';
import { silentLogger } from '../util/logger.js';
import { callApi, CliError, valueOf } from './client.js';
import { isSealed, openSealedBackup } from '../util/sealed-backup.js';

async function readPassphrase(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Backup passphrase: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new CliError('the backup is sealed: give its passphrase on standard input or in SMSOTPD_BACKUP_PASSPHRASE');
  return line;
}

const COLLECTIONS: CollectionName[] = ['tokens', 'users', 'outbox', 'admins', 'apikeys', 'meta'];

function writeFileDurably(file: string, content: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** `smsotpd backup FILE`: asks the daemon (or the store in-process) for a snapshot and writes it 0600. */
export async function backup(config: Config, file: string): Promise<string> {
  const snapshot = valueOf(await callApi(config, 'GET', '/backup')) as Backup;
  // `-`: to standard output, so root can redirect it anywhere while the CLI runs as the service user.
  if (file === '-') {
    process.stdout.write(JSON.stringify(snapshot));
    return '';
  }
  writeFileDurably(file, JSON.stringify(snapshot));
  const n = Object.keys(snapshot.state.tokens).length;
  return `backup written to ${file} (${n} tokens, ${Object.keys(snapshot.state.users).length} users); it holds the secret key: keep it as safe as the appliance`;
}

/**
 * `smsotpd restore FILE`: only with the daemon stopped. The current state and key are moved
 * aside (never deleted), then the backup is written through the store, so the result is a
 * normal, durable store at the current schema version.
 */
export async function restore(config: Config, file: string): Promise<string> {
  let b: Backup;
  try {
    b = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as Backup;
  } catch (err) {
    throw new CliError(`cannot read backup ${file}: ${(err as Error).message}`);
  }
  // A backup from the console is sealed with a passphrase: SMSOTPD_BACKUP_PASSPHRASE, or asked for.
  if (isSealed(b)) {
    const pass = process.env.SMSOTPD_BACKUP_PASSPHRASE ?? (await readPassphrase());
    try {
      b = JSON.parse(await openSealedBackup(b, pass)) as Backup;
    } catch (err) {
      throw new CliError(`cannot open ${file}: ${(err as Error).message}`);
    }
  }
  if (b?.format !== BACKUP_FORMAT || b.formatVersion !== 1 || typeof b.secretKey !== 'string' || typeof b.state !== 'object') {
    throw new CliError(`${file} is not an smsotpd backup`);
  }
  if (b.schemaVersion > SCHEMA_VERSION) throw new CliError(`${file} comes from a newer smsotpd (schema ${b.schemaVersion}); upgrade first`);
  const key = Buffer.from(b.secretKey, 'base64');
  // Proves the key belongs to this state before anything is touched.
  const anyToken = Object.values(b.state.tokens ?? {})[0];
  if (anyToken) {
    try {
      secretsFromKey(key).decrypt(anyToken.keyEnc);
    } catch {
      throw new CliError(`${file}: its secret key does not decrypt its tokens; the backup is damaged`);
    }
  }
  let lock;
  try {
    lock = acquireLock(config.dataDir);
  } catch (err) {
    if (err instanceof StoreLockedError) throw new CliError(`${err.message}: stop the daemon before restoring`);
    throw err;
  }
  try {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    // Everything the store and the key file consist of, whatever the journal's naming.
    const aside = readdirSync(config.dataDir).filter((f) => (f.startsWith('state.') || f === KEY_FILE) && !f.includes('.before-restore-'));
    for (const f of aside) renameSync(path.join(config.dataDir, f), path.join(config.dataDir, `${f}.before-restore-${stamp}`));
    writeFileDurably(path.join(config.dataDir, KEY_FILE), key);
    const store = await openStore({ dataDir: config.dataDir, logger: silentLogger });
    try {
      const changes: Change[] = [];
      for (const c of COLLECTIONS) for (const [k, v] of Object.entries(b.state[c] ?? {})) changes.push({ c, k, v } as Change);
      for (let i = 0; i < changes.length; i += 5000) await store.commit(changes.slice(i, i + 5000));
    } finally {
      await store.close();
    }
    return `restored ${Object.keys(b.state.tokens ?? {}).length} tokens and ${Object.keys(b.state.users ?? {}).length} users from ${file}${aside.length ? `; the previous files were kept with the suffix .before-restore-${stamp}` : ''}`;
  } finally {
    lock.release();
  }
}

import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { parameterError } from './errors.js';
import { checkName, isValidName } from './names.js';
import { KDF, type Secrets } from './secrets.js';

const PASSWORD_MIN = 8;
const PASSWORD_MAX = 256;

/**
 * Administrators (for /auth and the admin API) and API keys (for the SMS gateway role).
 * Both are stored as keyed scrypt hashes; an API key's secret is shown once, at creation.
 */
/** How long a verified API key is trusted without another scrypt verification. */
const API_KEY_CACHE_MS = 5 * 60_000;

export class Accounts {
  /**
   * Verified API keys by SHA-256 of name and secret: a gateway sends its key with every SMS,
   * and a 5 ms scrypt per request would cap the gateway role near 400 messages a second.
   */
  private verifiedKeys = new Map<string, { name: string; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly secrets: Secrets,
    private readonly clock: Clock,
  ) {}

  async addAdmin(username: string, password: string): Promise<{ created: boolean }> {
    checkName('admin', username);
    if (password.length < PASSWORD_MIN) throw parameterError(`The password must have at least ${PASSWORD_MIN} characters.`);
    if (password.length > PASSWORD_MAX) throw parameterError(`The password is too long (at most ${PASSWORD_MAX}).`);
    const existing = this.store.get('admins', username);
    const passwordHash = await this.secrets.hash(password);
    await this.store.commit([{ c: 'admins', k: username, v: { username, passwordHash, createdAt: existing?.createdAt ?? this.clock.now() } }]);
    return { created: !existing };
  }

  async removeAdmin(username: string): Promise<boolean> {
    if (!this.store.get('admins', checkName('admin', username))) return false;
    await this.store.commit([{ c: 'admins', k: username, v: null }]);
    return true;
  }

  adminExists(username: string): boolean {
    return isValidName('admin', username) && this.store.get('admins', username) !== undefined;
  }

  listAdmins(): string[] {
    return Object.keys(this.store.data.admins).sort();
  }

  /** Verifies an admin password; unknown users cost a hash too, so timing tells nothing. */
  async verifyAdmin(username: string, password: string): Promise<boolean> {
    const rec = isValidName('admin', username) ? this.store.get('admins', username) : undefined;
    if (!rec) {
      await this.secrets.verify(password, DUMMY_HASH);
      return false;
    }
    return this.secrets.verify(password, rec.passwordHash);
  }

  /** Creates an API key; returns the secret, which is not stored and cannot be shown again. */
  async addApiKey(name: string): Promise<string> {
    checkName('apikey', name);
    if (this.store.get('apikeys', name)) throw parameterError(`An API key named "${name}" exists already; delete it first.`);
    const secret = randomBytes(24).toString('base64url');
    await this.store.commit([{ c: 'apikeys', k: name, v: { name, secretHash: await this.secrets.hash(secret), createdAt: this.clock.now() } }]);
    return secret;
  }

  async removeApiKey(name: string): Promise<boolean> {
    checkName('apikey', name);
    for (const [k, v] of this.verifiedKeys) if (v.name === name) this.verifiedKeys.delete(k);
    if (!this.store.get('apikeys', name)) return false;
    await this.store.commit([{ c: 'apikeys', k: name, v: null }]);
    return true;
  }

  listApiKeys(): Array<{ name: string; created: string }> {
    return Object.values(this.store.data.apikeys).map((k) => ({ name: k.name, created: new Date(k.createdAt).toISOString() }));
  }

  async verifyApiKey(name: string, secret: string): Promise<boolean> {
    const rec = isValidName('apikey', name) ? this.store.get('apikeys', name) : undefined;
    if (!rec) {
      await this.secrets.verify(secret, DUMMY_HASH);
      return false;
    }
    const digest = createHash('sha256').update(`${name}\u0000${secret}`).digest('base64');
    const now = this.clock.now();
    const hit = this.verifiedKeys.get(digest);
    if (hit && hit.until > now) return true;
    if (!(await this.secrets.verify(secret, rec.secretHash))) return false;
    if (this.verifiedKeys.size > 10_000) this.verifiedKeys.clear();
    this.verifiedKeys.set(digest, { name, until: now + API_KEY_CACHE_MS });
    return true;
  }
}

/** A well-formed hash nobody knows the input of: equalises timing for unknown names. */
const DUMMY_HASH = `scrypt$${KDF.N}$${KDF.r}$${KDF.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

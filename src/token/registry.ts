import type { Store, TokenRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { KeyedMutex } from '../util/keyed-mutex.js';
import type { Secrets } from './secrets.js';
import type { UserDirectory } from './users.js';
import { userKey } from './users.js';

/** What both token services (validation and administration) work with. */
export interface TokenContext {
  store: Store;
  tokens: TokenRegistry;
  users: UserDirectory;
  secrets: Secrets;
  clock: Clock;
  mutex: KeyedMutex;
}

/**
 * Looks tokens up by owner. The store is keyed by serial; logins need "tokens of this user",
 * so an in-memory index is kept beside it, rebuilt at start and updated with each change.
 * A user has one token or a few: a plain array per user costs a fifth of a Set's memory,
 * which at 10,000 users is 1.5 MB of heap the garbage collector no longer walks.
 */
export class TokenRegistry {
  private byUser = new Map<string, string[]>();

  constructor(private readonly store: Store) {
    for (const t of Object.values(store.data.tokens)) this.indexAdd(t);
  }

  get(serial: string): TokenRecord | undefined {
    return this.store.get('tokens', serial);
  }

  ofUser(login: string, realm: string): TokenRecord[] {
    const serials = this.byUser.get(userKey(realm, login));
    if (!serials) return [];
    const out: TokenRecord[] = [];
    for (const s of serials) {
      const t = this.get(s);
      if (t) out.push(t);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || a.serial.localeCompare(b.serial));
  }

  all(): TokenRecord[] {
    return Object.values(this.store.data.tokens);
  }

  /** Keeps the owner index in step with a token put (`after`) or delete (`after` null). */
  track(before: TokenRecord | undefined, after: TokenRecord | null): void {
    if (before) this.indexRemove(before);
    if (after) this.indexAdd(after);
  }

  private indexAdd(t: TokenRecord): void {
    if (!t.user || !t.realm) return;
    const k = userKey(t.realm, t.user);
    const serials = this.byUser.get(k);
    if (!serials) this.byUser.set(k, [t.serial]);
    else if (!serials.includes(t.serial)) serials.push(t.serial);
  }

  private indexRemove(t: TokenRecord): void {
    if (!t.user || !t.realm) return;
    const k = userKey(t.realm, t.user);
    const serials = this.byUser.get(k);
    const i = serials?.indexOf(t.serial) ?? -1;
    if (!serials || i < 0) return;
    if (serials.length === 1) this.byUser.delete(k);
    else serials.splice(i, 1);
  }
}

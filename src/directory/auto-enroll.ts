import type { Store, TokenRecord } from '../store/types.js';
import type { AuditLog } from '../util/audit.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Directory, Realm } from './directory.js';
import { DirectoryError } from './errors.js';
import type { LdapResolver } from './ldap-resolver.js';
import type { DirectoryUser } from './types.js';

/** Description of the tokens auto-enrolment creates. */
export const AUTO_DESCRIPTION = 'auto-enrolled';
/** Store meta key: serials auto-enrolment disabled, so a returning member's token is enabled again. */
const DISABLED_KEY = 'autoEnrollDisabled';

/** What auto-enrolment needs of token administration (token/admin.ts TokenAdmin has it). */
export interface TokenEnroller {
  init(p: { type: string; user: string; realm: string; dynamicPhone: boolean; description: string }): Promise<TokenRecord>;
  setActive(serial: string, active: boolean): Promise<number>;
}

export interface TokenIndex {
  all(): TokenRecord[];
  ofUser(id: string, realm: string): TokenRecord[];
}

export interface SyncAction {
  action: 'enroll' | 'disable' | 'enable' | 'skip';
  user: string;
  uid: string;
  serial?: string;
  reason: string;
}

export interface SyncReport {
  realm: string;
  dryRun: boolean;
  members: number;
  actions: SyncAction[];
  /** The member search hit SIZELIMIT: nobody was disabled (we may not have seen everyone). */
  truncated: boolean;
  at: number;
}

export interface AutoEnrollDeps {
  directory: Directory;
  tokens: TokenIndex;
  tokenAdmin: TokenEnroller;
  store: Pick<Store, 'get' | 'commit'>;
  audit: Pick<AuditLog, 'write'>;
  clock: Clock;
  logger: Logger;
}

/**
 * Per realm with `autoEnroll`: members (group or filter) without an SMS token get a dynamic_phone
 * token; tokens of members who left, were disabled in AD or vanished are disabled, never deleted.
 * One pass at a time per realm; every change is audited.
 */
export class AutoEnroller {
  private timers: NodeJS.Timeout[] = [];
  private running = new Map<string, Promise<SyncReport>>();
  readonly last = new Map<string, { report?: SyncReport; error?: string; at: number }>();

  constructor(private readonly d: AutoEnrollDeps) {}

  start(): void {
    for (const realm of this.d.directory.configuredRealms()) {
      const ae = realm.autoEnroll;
      if (!ae) continue;
      const pass = () => {
        this.sync(realm.name).catch((err) =>
          this.d.logger.warn({ realm: realm.name, err: (err as Error).message }, 'auto-enrolment pass failed; next pass as scheduled'),
        );
      };
      const first = setTimeout(pass, 5_000);
      first.unref();
      const t = setInterval(pass, ae.every * 1000);
      t.unref();
      this.timers.push(first, t);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled(this.running.values());
  }

  /** One pass. A pass already running for the realm is joined, not doubled. */
  sync(realmName: string, opts: { dryRun?: boolean } = {}): Promise<SyncReport> {
    const realm = this.d.directory.realm(realmName);
    if (!realm.autoEnroll) throw new DirectoryError(905, `ERR905: Realm "${realm.name}" has no autoEnroll.`);
    const key = `${realm.name}\u0000${opts.dryRun ? 'dry' : 'real'}`;
    const inFlight = this.running.get(key);
    if (inFlight) return inFlight;
    const p = this.pass(realm, !!opts.dryRun).then(
      (report) => {
        this.last.set(realm.name, { report, at: this.d.clock.now() });
        return report;
      },
      (err: Error) => {
        this.last.set(realm.name, { error: err.message, at: this.d.clock.now() });
        throw err;
      },
    );
    this.running.set(key, p);
    return p.finally(() => this.running.delete(key));
  }

  private resolverOf(realm: Realm): LdapResolver {
    const ae = realm.autoEnroll!;
    const name = ae.resolver ?? realm.resolvers.find((r) => r !== 'local')!;
    const r = this.d.directory.ldapResolvers().find((x) => x.name === name);
    if (!r) throw new DirectoryError(905, `ERR905: autoEnroll resolver "${name}" is not an LDAP resolver.`);
    return r;
  }

  private async pass(realm: Realm, dryRun: boolean): Promise<SyncReport> {
    const ae = realm.autoEnroll!;
    const resolver = this.resolverOf(realm);
    const inChain = ae.nested === 'inChain' || (ae.nested === 'auto' && resolver.o.uidIsGuid);
    // A pass reads the directory as it is now, not as the login cache remembers it.
    resolver.clearCache();
    const { users: members, truncated } = await resolver.members({ group: ae.group, filter: ae.filter, inChain });
    const actions: SyncAction[] = [];
    const disabledBySync = new Set(this.disabledList());

    for (const u of members.values()) {
      const owned = this.d.tokens.ofUser(u.uid, realm.name);
      if (u.disabled) {
        for (const t of owned.filter((x) => x.active))
          actions.push({ action: 'disable', user: u.login, uid: u.uid, serial: t.serial, reason: 'account disabled in the directory' });
        continue;
      }
      if (owned.length === 0) {
        if (!u.mobile) actions.push({ action: 'skip', user: u.login, uid: u.uid, reason: 'no mobile number in the directory' });
        else
          actions.push({ action: 'enroll', user: u.login, uid: u.uid, reason: ae.group ? `member of ${ae.group}` : 'matches the autoEnroll filter' });
        continue;
      }
      for (const t of owned.filter((x) => !x.active && disabledBySync.has(x.serial))) {
        actions.push({ action: 'enable', user: u.login, uid: u.uid, serial: t.serial, reason: 'member again' });
      }
    }

    // Owners of this realm's tokens who are no longer members.
    const others = new Map<string, TokenRecord[]>();
    for (const t of this.d.tokens.all()) {
      if (!t.user || !t.realm || t.realm.toLowerCase() !== realm.name.toLowerCase() || members.has(t.user)) continue;
      const list = others.get(t.user);
      if (list) list.push(t);
      else others.set(t.user, [t]);
    }
    for (const [uid, list] of others) {
      const active = list.filter((t) => t.active);
      if (!active.length) continue;
      let user: DirectoryUser | null = await resolver.findById(uid);
      let reason: string;
      if (user)
        reason = user.disabled
          ? 'account disabled in the directory'
          : ae.group
            ? `no longer a member of ${ae.group}`
            : 'no longer matches the autoEnroll filter';
      else {
        // Not in the group's directory: a user of another resolver of the realm is none of our business.
        user = await this.d.directory.findById(uid, realm.name);
        if (user) continue;
        reason = 'no longer in the directory';
      }
      if (truncated) {
        actions.push({ action: 'skip', user: user?.login ?? uid, uid, reason: `${reason}, but the member list hit SIZELIMIT: not disabled` });
        continue;
      }
      for (const t of active) actions.push({ action: 'disable', user: user?.login ?? uid, uid, serial: t.serial, reason });
    }

    if (!dryRun) await this.apply(realm, actions);
    return { realm: realm.name, dryRun, members: members.size, actions, truncated, at: this.d.clock.now() };
  }

  private async apply(realm: Realm, actions: SyncAction[]): Promise<void> {
    const disabled = new Set(this.disabledList());
    const before = disabled.size;
    for (const a of actions) {
      if (a.action === 'skip') continue;
      let done = true;
      try {
        if (a.action === 'enroll') {
          const t = await this.d.tokenAdmin.init({ type: 'sms', user: a.user, realm: realm.name, dynamicPhone: true, description: AUTO_DESCRIPTION });
          a.serial = t.serial;
        } else if (a.action === 'disable') {
          await this.d.tokenAdmin.setActive(a.serial!, false);
          disabled.add(a.serial!);
        } else {
          await this.d.tokenAdmin.setActive(a.serial!, true);
          disabled.delete(a.serial!);
        }
      } catch (err) {
        done = false;
        a.reason = `${a.reason}; FAILED: ${(err as Error).message}`;
      }
      this.d.audit.write({
        action: `directory sync ${a.action}`,
        administrator: 'auto-enrolment',
        user: a.user,
        realm: realm.name,
        serial: a.serial,
        result: done,
        reason: a.reason,
      });
    }
    const list = [...disabled].filter((s) => this.d.tokens.all().some((t) => t.serial === s && !t.active));
    if (list.length !== before || actions.some((a) => a.action !== 'skip'))
      await this.d.store.commit([{ c: 'meta', k: DISABLED_KEY, v: { serials: list } }]);
  }

  private disabledList(): string[] {
    const v = (this.d.store.get('meta', DISABLED_KEY) as { serials?: unknown } | undefined)?.serials;
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  }
}

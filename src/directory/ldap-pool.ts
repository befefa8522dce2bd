import type { Client } from 'ldapts';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { resolverError } from './errors.js';
import { ldapts } from './ldapts.js';
import type { LdapOptions } from './options.js';

/** Seconds a server that failed to connect stays behind the others (privacyIDEA's SERVERPOOL_SKIP). */
const SKIP_MS = 30_000;
/** Requests waiting for a search connection at most; beyond that the directory is too slow to wait for. */
const MAX_WAITING = 256;

/** An error of the connection (refused, reset, timeout, TLS), not an LDAP result: try another server. */
export function isConnectionError(err: unknown): boolean {
  return !(err instanceof ldapts().ResultCodeError);
}

/** A short reason without secrets: LDAP result names and socket error codes only. */
export function describe(err: unknown): string {
  if (err instanceof ldapts().ResultCodeError) return `${err.constructor.name} (LDAP result ${err.code})`;
  const e = err as { code?: string; message?: string };
  return (e.code ? `${e.code}: ` : '') + (e.message ?? String(err)).slice(0, 200);
}

export interface HealthRecorder {
  ok(uri: string): void;
  fail(uri: string | null, err: unknown): void;
}

/**
 * Opens connections to the first server of LDAPURI that answers, skipping for 30 s the ones
 * that did not (failover), with StartTLS when configured. Used by the search pool and, for
 * each password check, on its own.
 */
export class Connector {
  private readonly downUntil = new Map<string, number>();

  constructor(
    private readonly o: LdapOptions,
    private readonly clock: Clock,
    private readonly health: HealthRecorder,
  ) {}

  /** TLS options for one server; the name checked is the URI's host (an IP is checked against IP SANs). */
  private servername(uri: string): import('node:tls').ConnectionOptions {
    const host = new URL(uri).hostname.replace(/^\[|\]$/g, '');
    return /^[\d.]+$|:/.test(host) ? { ...this.o.tls } : { ...this.o.tls, servername: host };
  }

  /** Servers in config order, those that failed lately last. */
  order(): string[] {
    const now = this.clock.now();
    const up = this.o.uris.filter((u) => (this.downUntil.get(u) ?? 0) <= now);
    return [...up, ...this.o.uris.filter((u) => !up.includes(u))];
  }

  /**
   * A client on the first server that answers, bound as `dn` (empty dn: anonymous, no bind).
   * A refused bind is the caller's answer (an LDAP result); only connection errors move on.
   */
  async open(dn: string, password: string): Promise<{ client: Client; uri: string }> {
    let last: unknown = null;
    for (const uri of this.order()) {
      const secure = uri.startsWith('ldaps:');
      // ldapts speaks TLS from the first byte whenever tlsOptions is given: only ldaps:// gets them here.
      const client = new (ldapts().Client)({
        url: uri,
        timeout: this.o.timeoutMs,
        connectTimeout: this.o.timeoutMs,
        ...(secure ? { tlsOptions: this.servername(uri) } : {}),
        strictDN: false,
      });
      try {
        if (this.o.startTls && !secure) await client.startTLS(this.servername(uri));
        if (dn) await client.bind(dn, password);
        else if (!client.isConnected)
          await client.search('', { scope: 'base', attributes: ['1.1'], sizeLimit: 1 }).catch((e) => {
            if (isConnectionError(e)) throw e;
          });
        this.downUntil.delete(uri);
        return { client, uri };
      } catch (err) {
        await client.unbind().catch(() => undefined);
        if (!isConnectionError(err)) throw Object.assign(err as Error, { uri });
        last = err;
        this.downUntil.set(uri, this.clock.now() + SKIP_MS);
        this.health.fail(uri, err);
      }
    }
    throw resolverError(this.o.name, describe(last));
  }
}

interface Slot {
  client: Client;
  uri: string;
  busy: boolean;
}

/**
 * A few search connections bound as the service account, shared by all look-ups. A connection
 * that fails is dropped and the operation retried once on a fresh one (which may be on the next
 * server); LDAP result errors are returned as they are.
 */
export class SearchPool {
  private slots: Slot[] = [];
  private opening = 0;
  private waiting: Array<(s: Slot | Error) => void> = [];
  private closed = false;

  constructor(
    private readonly o: LdapOptions,
    private readonly connector: Connector,
    private readonly health: HealthRecorder,
    private readonly logger: Logger,
  ) {}

  /** URI of a live search connection, if any. */
  currentUri(): string | null {
    return this.slots.find((s) => s.client.isConnected)?.uri ?? null;
  }

  async run<T>(op: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const slot = await this.acquire();
      try {
        const out = await op(slot.client);
        this.health.ok(slot.uri);
        this.release(slot);
        return out;
      } catch (err) {
        if (!isConnectionError(err)) {
          this.health.ok(slot.uri);
          this.release(slot);
          throw err;
        }
        this.drop(slot);
        this.health.fail(slot.uri, err);
        this.logger.warn({ resolver: this.o.name, uri: slot.uri, err: describe(err) }, 'directory connection failed; retrying on a fresh connection');
        if (attempt >= 1) throw resolverError(this.o.name, describe(err));
      }
    }
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(resolverError(this.o.name, 'shutting down'));
    const idle = this.slots.find((s) => !s.busy && s.client.isConnected);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    // A connection that dropped while idle (server restart, idle timeout) is replaced.
    for (const s of this.slots.filter((x) => !x.busy && !x.client.isConnected)) this.drop(s);
    if (this.slots.length + this.opening < this.o.poolSize) {
      this.opening++;
      return this.connector
        .open(this.o.bindDn, this.o.bindPw)
        .then(
          ({ client, uri }) => {
            const slot: Slot = { client, uri, busy: true };
            this.slots.push(slot);
            return slot;
          },
          (err) => {
            // The service account was refused: a configuration fault, said plainly.
            if (err instanceof ldapts().ResultCodeError) throw resolverError(this.o.name, `the service account BINDDN was refused: ${describe(err)}`);
            throw err;
          },
        )
        .finally(() => this.opening--);
    }
    if (this.waiting.length >= MAX_WAITING)
      return Promise.reject(resolverError(this.o.name, `${MAX_WAITING} requests already wait for the directory`));
    return new Promise((resolve, reject) => this.waiting.push((s) => (s instanceof Error ? reject(s) : resolve(s))));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next && slot.client.isConnected) {
      next(slot);
      return;
    }
    slot.busy = false;
    if (next) {
      this.drop(slot);
      this.acquire().then(next, next);
    }
  }

  private drop(slot: Slot): void {
    this.slots = this.slots.filter((s) => s !== slot);
    slot.client.unbind().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(resolverError(this.o.name, 'shutting down'));
    await Promise.allSettled(this.slots.map((s) => s.client.unbind()));
    this.slots = [];
  }
}

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Directory } from './directory.js';

/**
 * Directory health as Prometheus gauges, read at scrape time from the resolvers (no timers).
 * Label values are resolver names from the config, never user input.
 */
export function registerDirectoryMetrics(registry: Registry, directory: Directory): void {
  const resolvers = () => directory.ldapResolvers();
  new Gauge({
    name: 'smsotpd_directory_up',
    help: 'The LDAP resolver answered its last request (1), failed (0); absent before the first request',
    labelNames: ['resolver'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of resolvers()) {
        const h = r.health();
        if (h.up !== null) this.set({ resolver: r.name }, h.up ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'smsotpd_directory_failover',
    help: 'The LDAP resolver uses a server other than the first of LDAPURI',
    labelNames: ['resolver'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of resolvers()) this.set({ resolver: r.name }, r.health().failover ? 1 : 0);
    },
  });
  new Gauge({
    name: 'smsotpd_directory_last_success_seconds',
    help: "Unix time of the LDAP resolver's last successful request",
    labelNames: ['resolver'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of resolvers()) {
        const t = r.health().lastSuccess;
        if (t !== null) this.set({ resolver: r.name }, t / 1000);
      }
    },
  });
  // Counts kept by the resolver, copied at scrape time into counters (reset, then the running total).
  const counter = (name: string, help: string, pick: (r: ReturnType<typeof resolvers>[number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['resolver'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of resolvers()) this.inc({ resolver: r.name }, pick(r));
      },
    });
  counter('smsotpd_directory_searches_total', 'Searches sent to the LDAP resolver', (r) => r.counters.searches);
  counter('smsotpd_directory_binds_total', 'Password checks (user binds) sent to the LDAP resolver', (r) => r.counters.binds);
  counter(
    'smsotpd_directory_bind_failures_total',
    'User binds the directory refused (wrong password, locked, disabled)',
    (r) => r.counters.bindFailures,
  );
  counter('smsotpd_directory_errors_total', 'Connection failures (refused, timeout, TLS) towards the LDAP resolver', (r) => r.counters.errors);
  counter('smsotpd_directory_cache_hits_total', 'User look-ups answered from the cache', (r) => r.health().cache.hits);
  counter('smsotpd_directory_cache_misses_total', 'User look-ups that had to ask the directory', (r) => r.health().cache.misses);
}

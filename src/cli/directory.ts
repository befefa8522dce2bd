import { loadConfig } from '../config/load.js';
import { callApi, CliError, valueOf } from './client.js';
import type { ExtraCommand } from './extra.js';

const out = (s: string) => process.stdout.write(`${s}\n`);
const USAGE = 'directory test REALM [USER] | directory sync REALM [--dry-run]   bind, search, one user; one auto-enrolment pass';

interface TestAnswer {
  realm: string;
  otppin: string;
  resolvers: Array<{
    resolver: string;
    type: string;
    ok: boolean;
    uri?: string;
    base?: string;
    bindDn?: string;
    ms?: number;
    error?: string;
    detail?: string;
  }>;
  user: null | {
    found: boolean;
    resolver?: string;
    uid?: string;
    login?: string;
    mobile?: string | null;
    disabled?: boolean;
    attributes?: Array<{ field: string; attribute: string; value: string | string[] }>;
    filters: Array<{ resolver: string; filter: string }>;
  };
}

interface SyncAnswer {
  realm: string;
  dryRun: boolean;
  members: number;
  truncated: boolean;
  actions: Array<{ action: string; user: string; uid: string; serial?: string; reason: string }>;
}

/** `smsotpd directory ...`: through the daemon's control socket, or in-process when it is not running. */
export const directoryCommand: ExtraCommand = {
  name: 'directory',
  usage: USAGE,
  async run(args, o) {
    const [sub, realm, user] = args;
    if (!realm || (sub !== 'test' && sub !== 'sync')) throw new CliError(`usage: smsotpd ${USAGE}`);
    const config = loadConfig(o.config as string | undefined);
    if (sub === 'test') {
      const q = new URLSearchParams({ realm, ...(user ? { user } : {}) });
      const v = valueOf(await callApi(config, 'GET', `/directory/test?${q}`)) as TestAnswer;
      if (o.json) {
        out(JSON.stringify(v, null, 2));
        return 0;
      }
      out(`realm ${v.realm} (otppin ${v.otppin})`);
      let failed = false;
      for (const r of v.resolvers) {
        if (r.type === 'local') out(`  ${r.resolver}: local user table`);
        else if (r.ok) out(`  ${r.resolver}: bind and search OK on ${r.uri} as ${r.bindDn}, base ${r.base} (${r.ms} ms)`);
        else {
          failed = true;
          out(`  ${r.resolver}: FAILED: ${r.error}`);
        }
      }
      if (v.user) {
        for (const f of v.user.filters) out(`  search filter (${f.resolver}): ${f.filter}`);
        if (!v.user.found) {
          out(`user ${user}: not found in any resolver of realm ${v.realm}`);
          return 1;
        }
        out(`user ${v.user.login}: resolver ${v.user.resolver}, uid ${v.user.uid}${v.user.disabled ? ', DISABLED in the directory' : ''}`);
        out(`  mobile used for SMS: ${v.user.mobile ?? '(none that is a phone number)'}`);
        for (const a of v.user.attributes ?? [])
          out(`  ${a.field.padEnd(10)} ${a.attribute.padEnd(18)} ${Array.isArray(a.value) ? a.value.join(' | ') || '-' : a.value || '-'}`);
      }
      return failed ? 1 : 0;
    }
    const dryRun = !!o['dry-run'];
    const v = valueOf(await callApi(config, 'POST', '/directory/sync', { realm, ...(dryRun ? { dry_run: '1' } : {}) })) as SyncAnswer;
    if (o.json) {
      out(JSON.stringify(v, null, 2));
      return 0;
    }
    out(`realm ${v.realm}: ${v.members} members${v.dryRun ? ' (dry run: nothing changed)' : ''}`);
    const verb = (a: string) =>
      v.dryRun
        ? ({ enroll: 'would enroll', disable: 'would disable', enable: 'would enable', skip: 'skip' }[a] ?? a)
        : ({ enroll: 'enrolled', disable: 'disabled', enable: 'enabled', skip: 'skipped' }[a] ?? a);
    for (const a of v.actions) out(`  ${verb(a.action)} ${a.user}${a.serial ? ` (${a.serial})` : ''}: ${a.reason}`);
    if (!v.actions.length) out('  nothing to do');
    if (v.truncated) out('  WARNING: the member search hit SIZELIMIT; nobody was disabled. Raise SIZELIMIT of the resolver.');
    return v.actions.some((a) => a.reason.includes('FAILED')) ? 1 : 0;
  },
};

/** `doctor`: a live bind and search per LDAP resolver (through the daemon or in-process), plus failover. */
export async function directoryChecks(
  config: ReturnType<typeof loadConfig>,
): Promise<Array<{ name: string; verdict: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }>> {
  const realms = Object.entries(config.realms).filter(([, r]) => r.resolvers.some((x) => x !== 'local'));
  const seen = new Set<string>();
  const out: Array<{ name: string; verdict: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }> = [];
  for (const [realm] of realms) {
    let v: TestAnswer;
    try {
      v = valueOf(await callApi(config, 'GET', `/directory/test?${new URLSearchParams({ realm })}`)) as TestAnswer;
    } catch (err) {
      out.push({
        name: `directory realm ${realm}`,
        verdict: 'fail',
        detail: (err as Error).message,
        fix: 'smsotpd directory test REALM shows each step',
      });
      continue;
    }
    for (const r of v.resolvers) {
      if (r.type !== 'ldap' || seen.has(r.resolver)) continue;
      seen.add(r.resolver);
      const uris = config.resolvers[r.resolver]?.LDAPURI.split(',').map((s) => s.trim()) ?? [];
      if (!r.ok) {
        out.push({
          name: `directory ${r.resolver}`,
          verdict: 'fail',
          detail: r.error ?? 'failed',
          fix: 'check LDAPURI, the firewall, TLS_CA_FILE (LDAPS with the site CA), BINDDN/BINDPW; `smsotpd directory test REALM USER`',
        });
      } else if (uris.length > 1 && r.uri && !uris[0]!.includes(r.uri.replace(/^ldaps?:\/\//, ''))) {
        out.push({
          name: `directory ${r.resolver}`,
          verdict: 'warn',
          detail: `failover: on ${r.uri}, the first server ${uris[0]} does not answer`,
          fix: 'bring the first directory server back, or reorder LDAPURI',
        });
      } else out.push({ name: `directory ${r.resolver}`, verdict: 'ok', detail: `bind and search on ${r.uri} (${r.ms} ms)` });
    }
  }
  return out;
}

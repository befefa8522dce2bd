import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/harness.js';
import { ldapResolver, useDirectory } from '../helpers/directory.js';
import { GROUPS, SERVICE_DN, SERVICE_PW, slapdMissing } from '../helpers/slapd.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(root, 'dist/cli/smsotpd.cjs');

/** The CLI in-process (no daemon running), against a real slapd. */
describe.skipIf(!!slapdMissing)('smsotpd directory / user list --realm', () => {
  const d = useDirectory();
  let dir: string;
  let cfg: string;
  const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args, '--config', cfg], { encoding: 'utf8', timeout: 30_000 });

  beforeAll(() => {
    dir = tempDir();
    cfg = path.join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        dataDir: path.join(dir, 'var'),
        resolvers: { corp: ldapResolver(d.s, { LDAPSEARCHFILTER: '(objectClass=inetOrgPerson)' }) },
        realms: { corp: { resolvers: ['corp'], otppin: 'userstore', autoEnroll: { group: `cn=vpn-users,${GROUPS}`, every: 900 } } },
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('directory test prints the bind, the filter and the mapped attributes; never BINDPW', () => {
    const r = run('directory', 'test', 'corp', 'alice');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`bind and search OK on ${d.s.url} as ${SERVICE_DN}`);
    expect(r.stdout).toContain('search filter (corp): (&(objectClass=inetOrgPerson)(uid=alice))');
    expect(r.stdout).toContain('mobile used for SMS: +491701111111');
    expect(r.stdout).toMatch(/givenname\s+givenName\s+Alice/);
    expect(r.stdout + r.stderr).not.toContain(SERVICE_PW);
    const missing = run('directory', 'test', 'corp', '*');
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('search filter (corp): (&(objectClass=inetOrgPerson)(uid=\\2a))');
    expect(missing.stdout).toContain('not found');
  });

  it('directory sync --dry-run says what it would do; sync does it', () => {
    const dry = run('directory', 'sync', 'corp', '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('(dry run: nothing changed)');
    expect(dry.stdout).toMatch(/would enroll alice: member of cn=vpn-users/);
    const real = run('directory', 'sync', 'corp');
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/enrolled carol \(PISM\w+\)/);
    const tokens = run('token', 'list');
    expect(tokens.stdout.trim().split('\n')).toHaveLength(3);
    expect(run('directory', 'sync', 'corp').stdout).toContain('nothing to do');
  });

  it('user list --realm lists the directory; an unknown realm subcommand is a usage error', () => {
    const r = run('user', 'list', '--realm', 'corp');
    expect(r.status, r.stderr).toBe(0);
    const users = JSON.parse(r.stdout) as Array<{ username: string; resolver: string }>;
    // No employeeType in this resolver's filter: the robot account is a user here.
    expect(users.map((u) => u.username)).toEqual(['a*b', 'alice', 'bob', 'carol', 'dave', 'robo']);
    const bad = run('directory', 'frobnicate', 'corp');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('usage: smsotpd directory test REALM');
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isExecutableFile } from './executable.mjs';

// Plain JavaScript so the directory benchmark (scripts/bench-directory.mjs) starts the same server.
/**
 * A real OpenLDAP slapd for tests: mdb backend in a temp dir, loopback only, ldap:// and ldaps://
 * on ports probed free, a throwaway CA and server certificate (SAN IP:127.0.0.1) made with openssl.
 * Data: inetOrgPerson users under ou=people, groupOfNames groups under ou=groups (no memberOf
 * overlay: membership is read from `member`), a service account allowed to read everything.
 */

export const SLAPD_BIN = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find(isExecutableFile);
export const SLAPADD_BIN = ['/usr/sbin/slapadd', '/usr/local/sbin/slapadd'].find(isExecutableFile);
/** Why the directory tests are skipped, or null when slapd is here to run them. */
export const slapdMissing =
  SLAPD_BIN && SLAPADD_BIN && existsSync('/etc/ldap/schema/inetorgperson.schema')
    ? null
    : 'slapd is not installed (apt-get install slapd ldap-utils): the directory tests need a real OpenLDAP server';

export const BASE = 'dc=example,dc=test';
export const PEOPLE = `ou=people,${BASE}`;
export const GROUPS = `ou=groups,${BASE}`;
export const SERVICE_DN = `cn=smsotpd,ou=service,${BASE}`;
export const SERVICE_PW = 'service-secret';
export const ROOT_DN = `cn=admin,${BASE}`;
export const ROOT_PW = 'root-secret';

/** @type {import('./slapd.d.mts').TestUser[]} */
export const DEFAULT_USERS = [
  { uid: 'alice', password: 'alice-pw', mobile: ['+49 170 1111111', '+491702222222'], givenName: 'Alice', sn: 'Archer' },
  { uid: 'bob', password: 'bob-pw', mobile: ['+491703333333'], givenName: 'Bob', sn: 'Baker' },
  { uid: 'carol', password: 'carol-pw', mobile: ['+491704444444'], givenName: 'Carol', sn: 'Cook' },
  { uid: 'dave', password: 'dave-pw', givenName: 'Dave', sn: 'Diver' },
  { uid: 'eve', password: 'eve-pw', mobile: ['+491705555555'], outside: true },
  { uid: 'robo', password: 'robo-pw', mobile: ['+491706666666'], robot: true },
  { uid: 'a*b', password: 'star-pw', mobile: ['+491707777777'] },
];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function userDn(u) {
  return u.outside ? `uid=${escapeRdn(u.uid)},ou=elsewhere,${BASE}` : `uid=${escapeRdn(u.uid)},${PEOPLE}`;
}

/** RFC 4514 for the few characters test names use. */
function escapeRdn(v) {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

export function dnOf(uid, users = DEFAULT_USERS) {
  const u = users.find((x) => x.uid === uid);
  if (!u) throw new Error(`no test user ${uid}`);
  return userDn(u);
}

function ldif(users, groups) {
  const e = [];
  e.push(`dn: ${BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`);
  for (const ou of ['people', 'groups', 'service', 'elsewhere']) e.push(`dn: ou=${ou},${BASE}\nobjectClass: organizationalUnit\nou: ${ou}`);
  e.push(`dn: ${SERVICE_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: smsotpd\nuserPassword: ${SERVICE_PW}`);
  for (const u of users) {
    const lines = [
      `dn: ${userDn(u)}`,
      'objectClass: inetOrgPerson',
      `uid: ${u.uid}`,
      `cn: ${u.givenName ?? u.uid} ${u.sn ?? 'User'}`,
      `sn: ${u.sn ?? 'User'}`,
      `userPassword: ${u.password}`,
    ];
    if (u.givenName) lines.push(`givenName: ${u.givenName}`);
    for (const m of u.mobile ?? []) lines.push(`mobile: ${m}`);
    lines.push(`mail: ${u.uid.replace(/[^a-z]/g, '')}@example.test`);
    lines.push(`employeeType: ${u.robot ? 'robot' : 'staff'}`);
    if (u.uac !== undefined || u.guid !== undefined) lines.push('objectClass: smsotpdAdUser');
    if (u.uac !== undefined) lines.push(`userAccountControl: ${u.uac}`);
    // objectGUID as AD stores it: 16 bytes, the first three groups little-endian.
    if (u.guid !== undefined) lines.push(`objectGUID:: ${guidBytes(u.guid).toString('base64')}`);
    e.push(lines.join('\n'));
  }
  for (const [cn, members] of Object.entries(groups)) {
    e.push([`dn: cn=${cn},${GROUPS}`, 'objectClass: groupOfNames', `cn: ${cn}`, ...members.map((m) => `member: ${m}`)].join('\n'));
  }
  return `${e.join('\n\n')}\n`;
}

function guidBytes(guid) {
  const b = Buffer.from(guid.replace(/-/g, ''), 'hex');
  return Buffer.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => b[i]));
}

/** Two attributes of Active Directory, so AD's account flags and binary ids can be tested on OpenLDAP. */
const AD_SCHEMA = `attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'smsotpdAdUser' AUXILIARY MAY ( userAccountControl $ objectGUID ) )
`;

function makeCerts(dir) {
  const f = (n) => path.join(dir, n);
  const ossl = (args) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    ossl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=smsotpd test ${ca}`,
      '-keyout',
      f(`${ca}.key`),
      '-out',
      f(`${ca}.pem`),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  ossl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  ossl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.pem'),
  ]);
  return { caFile: f('ca.pem'), otherCaFile: f('other-ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') };
}

export async function startSlapd(opts = {}) {
  if (slapdMissing) throw new Error(slapdMissing);
  const users = opts.users ?? DEFAULT_USERS;
  const groups = opts.groups ?? {
    'vpn-users': [dnOf('alice', users), dnOf('bob', users), `cn=vpn-nested,${GROUPS}`],
    'vpn-nested': [dnOf('carol', users)],
    other: [dnOf('dave', users)],
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-slapd-'));
  const db = path.join(dir, 'db');
  mkdirSync(db);
  const certs = makeCerts(dir);
  const conf = path.join(dir, 'slapd.conf');
  writeFileSync(path.join(dir, 'ad.schema'), AD_SCHEMA);
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `include ${path.join(dir, 'ad.schema')}`,
      `pidfile ${path.join(dir, 'slapd.pid')}`,
      `argsfile ${path.join(dir, 'slapd.args')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `TLSCACertificateFile ${certs.caFile}`,
      `TLSCertificateFile ${certs.certFile}`,
      `TLSCertificateKeyFile ${certs.keyFile}`,
      'sizelimit 1000',
      'database mdb',
      'maxsize 67108864',
      `suffix "${BASE}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PW}`,
      `directory ${db}`,
      'index objectClass,uid,entryUUID eq',
      `access to attrs=userPassword by anonymous auth by self read by * none`,
      `access to * by dn.exact="${SERVICE_DN}" read by self read by * none`,
      '',
    ].join('\n'),
  );
  const ldifFile = path.join(dir, 'data.ldif');
  writeFileSync(ldifFile, ldif(users, groups));
  execFileSync(SLAPADD_BIN, ['-f', conf, '-l', ldifFile], { stdio: 'pipe' });

  const port = await freePort();
  const tlsPort = await freePort();
  let child = null;

  const s = {
    dir,
    port,
    tlsPort,
    url: `ldap://127.0.0.1:${port}`,
    tlsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    caFile: certs.caFile,
    otherCaFile: certs.otherCaFile,
    running: () => child !== null,
    async start() {
      if (child) return;
      const proc = spawn(SLAPD_BIN, ['-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-f', conf, '-d', '0'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d) => (stderr = (stderr + d.toString()).slice(-4000)));
      child = proc;
      proc.once('exit', () => {
        if (child === proc) child = null;
      });
      // Ready when both ports accept connections.
      for (let i = 0; i < 200; i++) {
        if (!child) throw new Error(`slapd exited at start: ${stderr}`);
        if ((await canConnect(port)) && (await canConnect(tlsPort))) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`slapd did not listen within 10 s: ${stderr}`);
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      await new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
      });
      child = null;
    },
    async destroy() {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await s.start();
  return s;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { autoPaths, ensureAutoCertificate, fingerprintOf, readTlsMaterial, TlsError } from '../../src/tls/certificate.js';
import { createListener } from '../../src/tls/server.js';
import { tempDir } from '../helpers/harness.js';

x509.cryptoProvider.set(webcrypto as never);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

function pkcs8Pem(der: ArrayBuffer) {
  return `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A test CA and a leaf it signed for 127.0.0.1: what a site's own CA would hand out. */
async function caAndLeaf(cn = 'smsotpd.test') {
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test CA',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${cn}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: cn },
      ]),
    ],
  });
  return { ca: ca.toString('pem'), leaf: leaf.toString('pem'), key: pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)) };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects, returns the served certificate (and its chain) or the handshake error. */
function handshake(
  port: number,
  opts: Record<string, unknown> = {},
): Promise<{ cert: PeerCertificate & { issuerCertificate?: PeerCertificate }; protocol: string | null } | { error: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const out = { cert: s.getPeerCertificate(true), protocol: s.getProtocol() };
      s.end();
      resolve(out);
    });
    s.on('error', (e) => resolve({ error: e.message }));
  });
}
const fp = (c: PeerCertificate) => c.fingerprint256;

describe('auto certificate', () => {
  it('is made once, key 0600 in a 0700 dir, with SANs for this host, localhost and its addresses', async () => {
    const dir = tempDir();
    const first = await ensureAutoCertificate(dir, { listenHost: '0.0.0.0' });
    expect(first).toEqual({ created: true, reason: 'first start' });
    const p = autoPaths(dir);
    expect(statSync(p.key).mode & 0o777).toBe(0o600);
    expect(statSync(p.dir).mode & 0o777).toBe(0o700);
    const m = readTlsMaterial('auto', dir);
    for (const san of ['DNS:localhost', `DNS:${hostname().toLowerCase()}`, 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'])
      expect(m.subjectAltNames).toContain(san);
    expect(m.subjectAltNames.some((s) => /^IP Address:fe80/i.test(s))).toBe(false);
    const self = new X509Certificate(m.cert);
    expect(self.verify(self.publicKey)).toBe(true);
    expect(self.ca).toBe(false);
    const again = await ensureAutoCertificate(dir);
    expect(again.created).toBe(false);
    expect(readTlsMaterial('auto', dir).fingerprint).toBe(m.fingerprint);
  });

  it('is replaced only when it is about to expire (and then says why)', async () => {
    const dir = tempDir();
    await ensureAutoCertificate(dir);
    const before = readTlsMaterial('auto', dir);
    const later = new Date(Date.parse(before.validTo) - 10 * 86_400_000);
    const r = await ensureAutoCertificate(dir, { now: later });
    expect(r.created).toBe(true);
    expect(r.reason).toContain('the certificate ends');
    expect(readTlsMaterial('auto', dir).fingerprint).not.toBe(before.fingerprint);
  });

  it('a damaged certificate file is replaced, not served', async () => {
    const dir = tempDir();
    await ensureAutoCertificate(dir);
    writeFileSync(autoPaths(dir).cert, 'garbage');
    expect((await ensureAutoCertificate(dir)).created).toBe(true);
    expect(readTlsMaterial('auto', dir).fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});

describe('certificate files', () => {
  it('serves the leaf with its chain; a client trusting only the CA verifies it', async () => {
    const dir = tempDir();
    const { ca, leaf, key } = await caAndLeaf();
    writeFileSync(path.join(dir, 'chain.pem'), `${leaf}\n${ca}\n`);
    writeFileSync(path.join(dir, 'key.pem'), key, { mode: 0o600 });
    const setting = { cert: path.join(dir, 'chain.pem'), key: path.join(dir, 'key.pem') };
    const m = readTlsMaterial(setting, dir);
    expect(m.chainLength).toBe(1);
    expect(m.fingerprint).toBe(fingerprintOf(leaf));
    const l = await createListener(() => new Response('ok'), setting, dir, '127.0.0.1');
    await new Promise<void>((r) => l.server.listen(0, '127.0.0.1', r));
    const port = (l.server.address() as { port: number }).port;
    try {
      const r = await handshake(port, { rejectUnauthorized: true, ca, servername: 'smsotpd.test' });
      if ('error' in r) throw new Error(r.error);
      expect(fp(r.cert)).toBe(m.fingerprint);
      expect(fp(r.cert.issuerCertificate!)).toBe(fingerprintOf(ca));
      const res = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, ca, servername: 'smsotpd.test' }, () =>
          s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        );
        let text = '';
        s.on('data', (d) => (text += d));
        s.on('end', () => resolve(text));
        s.on('error', reject);
      });
      expect(res).toMatch(/^HTTP\/1.1 200/);
    } finally {
      l.server.close();
    }
  });

  it("a key that is not the certificate's, a missing file or no PEM is a clear error", async () => {
    const dir = tempDir();
    const a = await caAndLeaf();
    const b = await caAndLeaf();
    writeFileSync(path.join(dir, 'cert.pem'), a.leaf);
    writeFileSync(path.join(dir, 'other.pem'), b.key);
    writeFileSync(path.join(dir, 'empty.pem'), 'hello');
    expect(() => readTlsMaterial({ cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'other.pem') }, dir)).toThrow(
      /is not the key of the certificate/,
    );
    expect(() => readTlsMaterial({ cert: path.join(dir, 'nope.pem'), key: path.join(dir, 'other.pem') }, dir)).toThrow(TlsError);
    expect(() => readTlsMaterial({ cert: path.join(dir, 'nope.pem'), key: path.join(dir, 'other.pem') }, dir)).toThrow(/no such file/);
    expect(() => readTlsMaterial({ cert: path.join(dir, 'empty.pem'), key: path.join(dir, 'other.pem') }, dir)).toThrow(/holds no PEM certificate/);
  });
});

describe('protocol versions', () => {
  it('refuses TLS 1.1 and accepts 1.2 and 1.3 with the same client', async () => {
    const dir = tempDir();
    const l = await createListener(() => new Response('ok'), 'auto', dir, '127.0.0.1');
    await new Promise<void>((r) => l.server.listen(0, '127.0.0.1', r));
    const port = (l.server.address() as { port: number }).port;
    // SECLEVEL=0 lets this OpenSSL client offer TLS 1.1 at all: the refusal below is the server's.
    const old = { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' };
    try {
      const r11 = await handshake(port, { ...old, maxVersion: 'TLSv1.1' });
      expect('error' in r11 && r11.error).toMatch(/protocol version|unsupported protocol|wrong version/i);
      const r12 = await handshake(port, { ...old, maxVersion: 'TLSv1.2' });
      expect('protocol' in r12 && r12.protocol).toBe('TLSv1.2');
      const r13 = await handshake(port);
      expect('protocol' in r13 && r13.protocol).toBe('TLSv1.3');
      // Plain HTTP on the TLS port gets no HTTP answer.
      const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        (e) => String(e),
      );
      expect(plain).not.toBe(200);
    } finally {
      l.server.close();
    }
  });
});

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'dist/cli/smsotpd.cjs');

describe('the daemon with listen.tls', () => {
  let daemon: ChildProcess | undefined;
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
  });

  it('serves HTTPS only; SIGHUP swaps the certificate for new connections; tls show prints the served fingerprint', async () => {
    if (!existsSync(main)) throw new Error('dist/ is missing: run npm run build (npm test does)');
    const dir = tempDir();
    const a = await caAndLeaf('first.test');
    const b = await caAndLeaf('second.test');
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(certFile, a.leaf);
    writeFileSync(keyFile, a.key, { mode: 0o600 });
    const port = await freePort();
    const cfg = path.join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        listen: { host: '127.0.0.1', port, tls: { cert: certFile, key: keyFile } },
        dataDir: path.join(dir, 'var'),
        log: { level: 'info' },
      }),
    );
    let out = '';
    daemon = spawn(process.execPath, [main, 'serve', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (d) => (out += d));
    daemon.stderr!.on('data', (d) => (out += d));
    for (let i = 0; !out.includes('smsotpd ready'); i++) {
      if (daemon.exitCode !== null || i > 300) throw new Error(`daemon did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = await handshake(port);
    if ('error' in first) throw new Error(first.error);
    expect(fp(first.cert)).toBe(fingerprintOf(a.leaf));
    const show = spawnSync(process.execPath, [main, 'tls', 'show', '--config', cfg], { encoding: 'utf8' });
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain(`SHA-256 fingerprint: ${fp(first.cert)}`);

    // A connection open before the reload keeps its certificate; a new one gets the new certificate.
    const open = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise((r) => open.once('secureConnect', r));
    writeFileSync(certFile, b.leaf);
    writeFileSync(keyFile, b.key);
    daemon.kill('SIGHUP');
    for (let i = 0; !out.includes('TLS certificate reloaded'); i++) {
      if (i > 200) throw new Error(`no reload: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await handshake(port);
    if ('error' in second) throw new Error(second.error);
    expect(fp(second.cert)).toBe(fingerprintOf(b.leaf));
    expect(fp(open.getPeerCertificate())).toBe(fingerprintOf(a.leaf));
    open.destroy();
    expect(spawnSync(process.execPath, [main, 'tls', 'show', '--config', cfg], { encoding: 'utf8' }).stdout).toContain(fingerprintOf(b.leaf));

    // A broken file on SIGHUP keeps the working certificate in service.
    writeFileSync(keyFile, a.key);
    daemon.kill('SIGHUP');
    for (let i = 0; !out.includes('TLS certificate reload failed'); i++) {
      if (i > 200) throw new Error(`no failed reload: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const third = await handshake(port);
    expect('cert' in third && fp(third.cert)).toBe(fingerprintOf(b.leaf));
    expect(readFileSync(keyFile, 'utf8')).toBe(a.key);
  });
});

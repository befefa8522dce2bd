import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import path from 'node:path';

/**
 * The appliance's TLS certificate: either one made here ("auto", self-signed, in
 * `<dataDir>/tls/`), or the admin's PEM files. Clients pin it by its SHA-256 fingerprint, so the
 * auto certificate is made once and kept; it is only replaced when it has expired or is about to.
 */

export const TLS_DIR = 'tls';
export const AUTO_CERT_FILE = 'cert.pem';
export const AUTO_KEY_FILE = 'key.pem';
/** Apple platforms refuse server certificates valid longer than 825 days, even self-signed ones. */
export const AUTO_VALIDITY_DAYS = 825;
/** An auto certificate this close to its end is replaced at start (and `doctor` warns before). */
export const RENEW_BEFORE_DAYS = 30;

export type TlsSetting = 'auto' | { cert: string; key: string } | undefined;

export class TlsError extends Error {
  override name = 'TlsError';
}

export interface TlsMaterial {
  /** PEM: the leaf first, then any chain certificates. */
  cert: string;
  key: string;
  /** SHA-256 of the leaf's DER, upper-case hex pairs joined by colons (what `openssl x509 -fingerprint -sha256` prints). */
  fingerprint: string;
  subject: string;
  subjectAltNames: string[];
  validFrom: string;
  validTo: string;
  /** Certificates in the file after the leaf. */
  chainLength: number;
  source: 'auto' | 'files';
  certFile: string;
  keyFile: string;
}

/** The summary the API, the console and the CLI show: never the key. */
export type TlsSummary = Omit<TlsMaterial, 'cert' | 'key'>;

export function summary(m: TlsMaterial): TlsSummary {
  const { cert: _c, key: _k, ...rest } = m;
  return rest;
}

export function autoPaths(dataDir: string) {
  const dir = path.join(dataDir, TLS_DIR);
  return { dir, cert: path.join(dir, AUTO_CERT_FILE), key: path.join(dir, AUTO_KEY_FILE) };
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and checks the material: parseable PEM, the key belongs to the leaf. */
export function readTlsMaterial(setting: Exclude<TlsSetting, undefined>, dataDir: string): TlsMaterial {
  const files = setting === 'auto' ? autoPaths(dataDir) : { cert: path.resolve(setting.cert), key: path.resolve(setting.key) };
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new TlsError(
        `cannot read the TLS ${what} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied (the service user must be able to read it)' : e.message}`,
      );
    }
  };
  const certText = read(files.cert, 'certificate');
  const keyText = read(files.key, 'key');
  const pems = certText.match(PEM_CERT_RE) ?? [];
  if (pems.length === 0) throw new TlsError(`${files.cert} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(pems[0]!);
    for (const p of pems.slice(1)) new X509Certificate(p);
  } catch (err) {
    throw new TlsError(`${files.cert}: not a valid certificate: ${(err as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(keyText);
  } catch (err) {
    throw new TlsError(`${files.key}: not a valid PEM private key (an encrypted key is not supported): ${(err as Error).message}`);
  }
  if (!leaf.checkPrivateKey(key))
    throw new TlsError(`${files.key} is not the key of the certificate in ${files.cert} (the leaf must come first in the file)`);
  return {
    cert: pems.join('\n') + '\n',
    key: keyText,
    fingerprint: leaf.fingerprint256,
    subject: leaf.subject.replace(/\n/g, ', '),
    subjectAltNames: (leaf.subjectAltName ?? '').split(', ').filter(Boolean),
    validFrom: new Date(leaf.validFrom).toISOString(),
    validTo: new Date(leaf.validTo).toISOString(),
    chainLength: pems.length - 1,
    source: setting === 'auto' ? 'auto' : 'files',
    certFile: files.cert,
    keyFile: files.key,
  };
}

/** Names and addresses the auto certificate covers: this host's name, localhost, every address but link-local ones. */
export function localNames(listenHost?: string): { dns: string[]; ip: string[] } {
  const dns = new Set<string>();
  const ip = new Set<string>(['127.0.0.1', '::1']);
  const host = osHostname().toLowerCase();
  if (host) {
    dns.add(host);
    if (!host.includes('.')) dns.add(`${host}.local`);
  }
  dns.add('localhost');
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      // fe80:: addresses need a zone (%eth0) that no certificate can name.
      if (a.family === 'IPv6' && /^fe80:/i.test(a.address)) continue;
      ip.add(a.address);
    }
  }
  if (listenHost && !['0.0.0.0', '::', '*'].includes(listenHost)) {
    if (isIP(listenHost)) ip.add(listenHost);
    else dns.add(listenHost.toLowerCase());
  }
  return { dns: [...dns], ip: [...ip] };
}

function writeDurably(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** A self-signed ECDSA P-256 server certificate for the given names (the key never leaves this process but to its 0600 file). */
export async function makeSelfSigned(names: { dns: string[]; ip: string[] }, now = new Date()): Promise<{ cert: string; key: string }> {
  // @peculiar/x509 resolves its ASN.1 classes through tsyringe, which needs the Reflect metadata
  // polyfill loaded first; both load only here, when a certificate is made.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // a positive INTEGER
  const cn = (names.dns[0] ?? 'smsotpd').replace(/[,=+<>#;"\\]/g, '');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${cn}, O=smsotpd appliance`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + AUTO_VALIDITY_DAYS * 86_400_000),
    signingAlgorithm: alg,
    keys: keys as webcrypto.CryptoKeyPair,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', (keys as webcrypto.CryptoKeyPair).privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/**
 * Makes the auto certificate unless a usable one is there. The key is written first (0600), then
 * the certificate: a crash between the two leaves a key without certificate, which is replaced.
 */
export async function ensureAutoCertificate(
  dataDir: string,
  opts: { listenHost?: string; now?: Date } = {},
): Promise<{ created: boolean; reason?: string }> {
  const p = autoPaths(dataDir);
  const now = opts.now ?? new Date();
  let reason = 'first start';
  if (existsSync(p.cert) && existsSync(p.key)) {
    try {
      const m = readTlsMaterial('auto', dataDir);
      if (new Date(m.validTo).getTime() - now.getTime() > RENEW_BEFORE_DAYS * 86_400_000) return { created: false };
      reason = `the certificate ends ${m.validTo}`;
    } catch (err) {
      // A damaged auto certificate is the daemon's own file: replacing it loses nothing but the pin.
      reason = (err as Error).message;
    }
  }
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const made = await makeSelfSigned(localNames(opts.listenHost), now);
  rmSync(p.cert, { force: true });
  writeDurably(p.key, made.key, 0o600);
  writeDurably(p.cert, made.cert, 0o644);
  return { created: true, reason };
}

/** The key file's mode bits, for `doctor`. */
export function keyMode(file: string): number | null {
  try {
    return statSync(file).mode & 0o777;
  } catch {
    return null;
  }
}

import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import {
  autoPaths,
  ensureAutoCertificate,
  keyMode,
  readTlsMaterial,
  RENEW_BEFORE_DAYS,
  summary,
  TlsError,
  type TlsSummary,
} from '../tls/certificate.js';
import type { Check } from './doctor.js';
import { CliError } from './client.js';
import type { ExtraCommand } from './extra.js';

/** The certificate as configured on disk (what the daemon serves after its next start or SIGHUP). */
export function configuredCertificate(config: ReturnType<typeof loadConfig>): TlsSummary | null {
  const setting = config.listen.tls;
  if (!setting) return null;
  if (setting === 'auto' && !existsSync(autoPaths(config.dataDir).cert)) {
    throw new CliError(
      `no certificate yet: listen.tls is "auto" and ${autoPaths(config.dataDir).cert} is made at the first start of \`smsotpd serve\``,
    );
  }
  try {
    return summary(readTlsMaterial(setting, config.dataDir));
  } catch (err) {
    if (err instanceof TlsError) throw new CliError(err.message);
    throw err;
  }
}

export function formatCertificate(s: TlsSummary): string {
  return [
    `SHA-256 fingerprint: ${s.fingerprint}`,
    `subject:             ${s.subject}`,
    `names:               ${s.subjectAltNames.join(', ') || '(none)'}`,
    `valid:               ${s.validFrom} to ${s.validTo}`,
    `source:              ${s.source === 'auto' ? 'auto (self-signed)' : 'files'}, ${s.certFile}${s.chainLength ? ` (+${s.chainLength} chain certificate${s.chainLength > 1 ? 's' : ''})` : ''}`,
  ].join('\n');
}

/** `doctor`'s TLS lines: configured, readable, key 0600 (auto), not about to expire. */
export function tlsChecks(config: ReturnType<typeof loadConfig>, now = Date.now()): Check[] {
  if (!config.listen.tls) {
    const local = ['127.0.0.1', '::1', 'localhost'].includes(config.listen.host);
    return [
      {
        name: 'tls',
        verdict: local ? 'ok' : 'warn',
        detail: `off: plain HTTP on ${config.listen.host}:${config.listen.port}`,
        fix: 'set listen.tls to "auto" (or your certificate files): PINs, OTPs and admin passwords cross the LAN in clear',
      },
    ];
  }
  let s: TlsSummary;
  try {
    s = configuredCertificate(config)!;
  } catch (err) {
    const notYet = config.listen.tls === 'auto' && /no certificate yet/.test((err as Error).message);
    return [
      {
        name: 'tls',
        verdict: notYet ? 'warn' : 'fail',
        detail: (err as Error).message,
        fix: notYet ? 'start the daemon once' : 'fix listen.tls or the files it names',
      },
    ];
  }
  const out: Check[] = [];
  const days = Math.floor((Date.parse(s.validTo) - now) / 86_400_000);
  out.push(
    days < 0
      ? {
          name: 'tls',
          verdict: 'fail',
          detail: `certificate expired ${s.validTo}`,
          fix:
            s.source === 'auto'
              ? 'restart the daemon: an expired auto certificate is replaced (clients must pin the new fingerprint)'
              : 'renew the certificate, then systemctl reload smsotpd',
        }
      : days < RENEW_BEFORE_DAYS
        ? {
            name: 'tls',
            verdict: 'warn',
            detail: `certificate ends in ${days} days (${s.validTo}), fingerprint ${s.fingerprint}`,
            fix:
              s.source === 'auto'
                ? 'it is replaced at the next start; plan to update pinned fingerprints'
                : 'renew it, then systemctl reload smsotpd',
          }
        : { name: 'tls', verdict: 'ok', detail: `SHA-256 ${s.fingerprint}, valid until ${s.validTo.slice(0, 10)}` },
  );
  const mode = keyMode(s.keyFile);
  if (mode !== null && mode & 0o077)
    out.push({ name: 'tls key', verdict: 'fail', detail: `${s.keyFile} has mode ${mode.toString(8)}`, fix: `chmod 600 ${s.keyFile}` });
  return out;
}

export const tlsCommand: ExtraCommand = {
  name: 'tls',
  usage:
    'tls show [--json] | tls init              the HTTPS certificate: SHA-256 fingerprint (to pin), names, validity; init makes the auto one now',
  async run(args, o) {
    if (args[0] !== 'show' && args[0] !== 'init') throw new CliError('usage: smsotpd tls show [--json] | smsotpd tls init');
    const config = loadConfig(o.config as string | undefined);
    // `init`: the image's first boot makes the auto certificate before the daemon starts, to show its fingerprint.
    if (args[0] === 'init') {
      if (config.listen.tls !== 'auto') throw new CliError('tls init makes the "auto" certificate; listen.tls is not "auto"');
      await ensureAutoCertificate(config.dataDir, { listenHost: config.listen.host });
    }
    const s = configuredCertificate(config);
    if (!s) throw new CliError('TLS is off: set listen.tls to "auto" or { "cert": FILE, "key": FILE } in the config');
    process.stdout.write(`${o.json ? JSON.stringify(s, null, 2) : formatCertificate(s)}\n`);
    return 0;
  },
};

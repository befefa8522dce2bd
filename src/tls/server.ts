import { createAdaptorServer } from '@hono/node-server';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import { ensureAutoCertificate, readTlsMaterial, summary, type TlsMaterial, type TlsSetting, type TlsSummary } from './certificate.js';

type Fetch = (req: Request, env: Record<string, unknown>) => Response | Promise<Response>;

/** TLS 1.2 and 1.3 only; Node's default cipher list (forward secrecy, AEAD first). */
const MIN_VERSION = 'TLSv1.2' as const;

function contextOptions(m: TlsMaterial): SecureContextOptions {
  return { cert: m.cert, key: m.key, minVersion: MIN_VERSION };
}

export interface ListenerTls {
  /** What is served now (after the last reload). */
  current(): TlsSummary;
  /** Re-reads the files; new connections get the new certificate, open ones keep theirs. A bad file keeps the old one and throws. */
  reload(): TlsSummary;
}

/**
 * The daemon's listener: plain HTTP, or HTTPS only when `listen.tls` is set. With "auto" the
 * certificate is made here at the first start.
 */
export async function createListener(
  fetch: Fetch,
  setting: TlsSetting,
  dataDir: string,
  listenHost: string,
): Promise<{ server: Server; tls: ListenerTls | null; created?: { reason?: string } }> {
  if (!setting) return { server: createAdaptorServer({ fetch }) as Server, tls: null };
  let created: { reason?: string } | undefined;
  if (setting === 'auto') {
    const r = await ensureAutoCertificate(dataDir, { listenHost });
    if (r.created) created = { reason: r.reason };
  }
  let material = readTlsMaterial(setting, dataDir);
  const server = createAdaptorServer({
    fetch,
    createServer: createHttpsServer as unknown as typeof import('node:http').createServer,
    serverOptions: contextOptions(material) as never,
  }) as unknown as HttpsServer;
  const tls: ListenerTls = {
    current: () => summary(material),
    reload() {
      const next = readTlsMaterial(setting, dataDir);
      server.setSecureContext(contextOptions(next));
      material = next;
      return summary(material);
    },
  };
  return { server: server as unknown as Server, tls, created };
}

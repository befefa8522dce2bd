import { createServer, type Server } from 'node:net';
import { loadProfile } from '../modem/profile.js';
import { SimulatedModem, type FaultConfig } from './modem.js';
import { createJsonlRecorder } from './record.js';

export interface ServeSimulatorOptions {
  /** tcp://127.0.0.1:PORT (port 0 picks one). */
  listen: string;
  profile?: string;
  id?: string;
  submitMs?: number;
  simPin?: string;
  /** Where sim-sms.jsonl is written. */
  dataDir: string;
  faults?: Partial<FaultConfig>;
}

/**
 * `smsotpd sim --listen tcp://HOST:PORT`: one simulated modem served over TCP, as ser2net would
 * serve a real one. A new connection takes the line over (like reopening a serial port).
 */
export async function serveSimulator(
  o: ServeSimulatorOptions,
): Promise<{ port: number; host: string; modem: SimulatedModem; close(): Promise<void> }> {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(o.listen);
  if (!m) throw new Error(`--listen takes tcp://HOST:PORT, not "${o.listen}"`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const modem = new SimulatedModem({
    id: o.id ?? 'sim',
    profile: loadProfile(o.profile ?? 'sim800'),
    submitMs: o.submitMs ?? 200,
    bootMs: 300,
    simPin: o.simPin,
    faults: o.faults,
    record: createJsonlRecorder(o.dataDir),
  });
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    modem.attach(socket);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  const addr = server.address();
  return {
    host,
    port: typeof addr === 'object' && addr ? addr.port : Number(m[2]),
    modem,
    close: () =>
      new Promise<void>((resolve) => {
        modem.shutdown();
        server.close(() => resolve());
      }),
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import type { SimulatedModem } from './modem.js';

/**
 * A simulated modem behind a real pseudo-terminal pair made by socat, so the driver opens
 * `hostPath` with the real serialport binding exactly as it would open /dev/ttyUSB2.
 */
export interface PtyModem {
  hostPath: string;
  /** Reconnects the simulator's end (what a USB replug looks like from the modem's side). */
  reattach(): Promise<void>;
  close(): Promise<void>;
}

export async function attachToPty(sim: SimulatedModem, dir: string): Promise<PtyModem> {
  const modemPath = path.join(dir, 'modem');
  const hostPath = path.join(dir, 'host');
  let socat: ChildProcess;
  try {
    socat = spawn('socat', [`pty,raw,echo=0,link=${modemPath}`, `pty,raw,echo=0,link=${hostPath}`], { stdio: 'ignore' });
  } catch (err) {
    throw new Error(`socat is needed for pseudo-terminals (apt-get install socat): ${(err as Error).message}`);
  }
  const spawnError = new Promise<never>((_, reject) => socat.once('error', (e) => reject(new Error(`socat: ${e.message} (apt-get install socat)`))));
  const deadline = Date.now() + 5000;
  while (!(existsSync(modemPath) && existsSync(hostPath))) {
    if (Date.now() > deadline) throw new Error('socat did not create the pseudo-terminals');
    await Promise.race([new Promise((r) => setTimeout(r, 20)), spawnError]);
  }
  let port: SerialPort | null = null;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const p = new SerialPort({ path: modemPath, baudRate: 115200, autoOpen: false });
      p.open((err) => {
        if (err) return reject(err);
        port = p;
        sim.attach(p);
        resolve();
      });
    });
  await open();
  const closePort = () => new Promise<void>((resolve) => (port?.isOpen ? port.close(() => resolve()) : resolve()));
  return {
    hostPath,
    async reattach() {
      await closePort();
      await open();
    },
    async close() {
      sim.shutdown();
      await closePort();
      socat.kill();
    },
  };
}

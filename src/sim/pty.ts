import { symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import * as nodePty from '@lydell/node-pty';
import type { SimulatedModem } from './modem.js';

/**
 * A simulated modem behind a real pseudo-terminal, so the driver opens `hostPath` with the real
 * serialport binding exactly as it would open /dev/ttyUSB2. The simulator talks to the master
 * side; the driver opens the slave (`hostPath` links to /dev/pts/N). The pair comes from
 * @lydell/node-pty's openpty (prebuilt binaries, nothing to install on the machine).
 */
export interface PtyModem {
  hostPath: string;
  /** Reconnects the simulator's end (what a USB replug looks like from the modem's side). */
  reattach(): Promise<void>;
  close(): Promise<void>;
}

/** node-pty's `open()` (openpty without a child process) is exported but missing from its typings. */
interface OpenedPty {
  readonly master: Duplex;
  readonly slave: Duplex;
  readonly ptsName: string;
  on(event: 'error', listener: (err: Error) => void): void;
}
type OpenPty = (opt: { cols?: number; rows?: number; encoding?: string | null }) => OpenedPty;

export async function attachToPty(sim: SimulatedModem, dir: string): Promise<PtyModem> {
  const open = (nodePty as unknown as { open?: OpenPty }).open;
  if (typeof open !== 'function') throw new Error('@lydell/node-pty has no open(): pseudo-terminals are unavailable on this platform');
  const term = open({ encoding: null });
  // node-pty rethrows a master error unless someone listens; a closed pair is not an error here.
  term.on('error', () => {});
  // The slave stays open (but unread) for the pair's lifetime: when the driver closes its end
  // the master then sees no EIO, as a real UART would not, and nothing competes for the driver's bytes.
  term.slave.pause();
  const hostPath = path.join(dir, 'host');
  symlinkSync(term.ptsName, hostPath);
  sim.attach(term.master);
  return {
    hostPath,
    async reattach() {
      sim.detach();
      sim.attach(term.master);
    },
    async close() {
      sim.shutdown();
      term.master.destroy();
      term.slave.destroy();
    },
  };
}

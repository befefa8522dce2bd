import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** One SMS the simulated modem accepted, parts joined (contract 6 of DESIGN.md). */
export interface SimRecord {
  t: number;
  to: string;
  text: string;
  modem: string;
}

export const SIM_RECORD_FILE = 'sim-sms.jsonl';

/** Appends each record as one line of `<dataDir>/sim-sms.jsonl`, in a single write. */
export function createJsonlRecorder(dataDir: string): (r: SimRecord) => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SIM_RECORD_FILE);
  return (r) => appendFileSync(file, `${JSON.stringify({ t: r.t, to: r.to, text: r.text, modem: r.modem })}\n`, { mode: 0o600 });
}

/**
 * Layer 1: bytes to frames. Pure (no timers, no I/O): `frame(state, chunk)` returns the new state
 * and the frames found. A frame is a line, the `> ` prompt of AT+CMGS (it has no line ending, so
 * a line splitter alone never sees it), or an unsolicited result code (URC). `+CMT:` and `+CDS:`
 * carry their PDU on the following line: the framer joins the two into one URC frame.
 */

export type Frame = { kind: 'line'; text: string } | { kind: 'prompt' } | { kind: 'urc'; text: string; payload?: string };

export interface FramerState {
  /** Bytes after the last line end. */
  readonly buffer: string;
  /** The header of a two-line URC whose payload line is still to come. */
  readonly header: string | null;
}

export interface FramerOptions {
  /** Prefixes (or whole lines) that mark a line as unsolicited. */
  urcs: readonly string[];
  /** Longest run without a line end kept; past it the run is garbage and dropped. */
  maxLine?: number;
}

export const BASE_URCS: readonly string[] = [
  '+CMTI:',
  '+CMT:',
  '+CDS:',
  '+CDSI:',
  '+CBM:',
  'RING',
  '+CLIP:',
  '+CRING:',
  '+CREG:',
  '+CGREG:',
  '+CEREG:',
  '+CPIN:',
  'RDY',
  'SMS Ready',
  'Call Ready',
  'SMS DONE',
  'PB DONE',
  '+CFUN:',
  '^RSSI:',
  '^BOOT:',
  '^MODE:',
  '^SRVST:',
  '^SIMST:',
  '^SYSSTART',
  '+CTZV:',
  '+CTZE:',
  '*PSUTTZ:',
  'DST:',
  '+CIEV:',
  '+QIND:',
  '+CUSD:',
  '+CMTE:',
  'NORMAL POWER DOWN',
  'UNDER-VOLTAGE',
  'OVER-VOLTAGE',
  '+PACSP',
  '+CGEV:',
  '+CPINR:',
  'NO CARRIER',
];

/** URCs followed by one line of payload (a PDU) that belongs to them. */
export const TWO_LINE_URCS: readonly string[] = ['+CMT:', '+CDS:', '+CBM:'];

export const initialFramerState: FramerState = { buffer: '', header: null };

/** Line controls, NUL and the 0xFF bytes some UARTs emit at power-up are not text. */
const NOISE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u00ff]/g;

export function isUrc(line: string, urcs: readonly string[]): boolean {
  return urcs.some((u) => line.startsWith(u));
}

function isPrompt(rest: string): boolean {
  const t = rest.replace(/^[\r\n\s]+/, '');
  return t === '>' || t === '> ';
}

export function frame(state: FramerState, chunk: string, o: FramerOptions): { state: FramerState; frames: Frame[] } {
  const frames: Frame[] = [];
  let buffer = state.buffer + chunk;
  let header = state.header;
  for (;;) {
    const nl = buffer.indexOf('\n');
    if (nl < 0) break;
    const text = buffer.slice(0, nl).replace(NOISE, '').trim();
    buffer = buffer.slice(nl + 1);
    if (!text) continue;
    if (header !== null) {
      frames.push({ kind: 'urc', text: header, payload: text });
      header = null;
      continue;
    }
    if (isUrc(text, o.urcs)) {
      if (TWO_LINE_URCS.some((u) => text.startsWith(u))) header = text;
      else frames.push({ kind: 'urc', text });
      continue;
    }
    // A prompt that got a line end after all (some firmware sends "> \r\n").
    if (text === '>') {
      frames.push({ kind: 'prompt' });
      continue;
    }
    frames.push({ kind: 'line', text });
  }
  if (header === null && isPrompt(buffer)) {
    frames.push({ kind: 'prompt' });
    buffer = '';
  }
  if (buffer.length > (o.maxLine ?? 8192)) buffer = '';
  return { state: { buffer, header }, frames };
}

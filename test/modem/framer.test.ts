import { describe, expect, it } from 'vitest';
import { BASE_URCS, frame, initialFramerState, isUrc, type Frame, type FramerState } from '../../src/modem/framer.js';

const o = { urcs: BASE_URCS };

/** Feeds chunks one after another, as the port delivers them. */
function feed(...chunks: string[]): { frames: Frame[]; state: FramerState } {
  let state = initialFramerState;
  const frames: Frame[] = [];
  for (const c of chunks) {
    const r = frame(state, c, o);
    state = r.state;
    frames.push(...r.frames);
  }
  return { frames, state };
}

describe('framer: bytes to lines, prompt and URCs (pure)', () => {
  it('splits lines on LF, drops CR and empty lines, keeps the rest for the next chunk', () => {
    const r = feed('\r\n+CSQ: 21', ',0\r\n\r\nOK\r\n', 'partial');
    expect(r.frames).toEqual([
      { kind: 'line', text: '+CSQ: 21,0' },
      { kind: 'line', text: 'OK' },
    ]);
    expect(r.state).toEqual({ buffer: 'partial', header: null });
  });

  it('the `> ` prompt has no line ending and is still a frame, also after an echo and in two chunks', () => {
    expect(feed('\r\n> ').frames).toEqual([{ kind: 'prompt' }]);
    expect(feed('AT+CMGS=23\r\r\n', '>').frames).toEqual([{ kind: 'line', text: 'AT+CMGS=23' }, { kind: 'prompt' }]);
    expect(feed('\r\n> ').state.buffer).toBe('');
    // Some firmware ends the prompt with a line end after all.
    expect(feed('>\r\n').frames).toEqual([{ kind: 'prompt' }]);
  });

  it('a `>` inside a line is not a prompt', () => {
    expect(feed('> x\r\n').frames).toEqual([{ kind: 'line', text: '> x' }]);
    expect(feed('a>').frames).toEqual([]);
    expect(feed(' >').frames).toEqual([{ kind: 'prompt' }]);
  });

  it('URCs are told apart by prefix, including the boot lines', () => {
    const r = feed('RDY\r\n+CFUN: 1\r\n+CPIN: READY\r\nSMS Ready\r\n+CREG: 1\r\n+CMTI: "SM",3\r\nOK\r\n');
    expect(r.frames.map((f) => f.kind)).toEqual(['urc', 'urc', 'urc', 'urc', 'urc', 'urc', 'line']);
    expect(isUrc('+CUSD: 0,"x",15', BASE_URCS)).toBe(true);
    expect(isUrc('+CSQ: 1,2', BASE_URCS)).toBe(false);
    expect(frame(initialFramerState, '^XYZ: 1\r\n', { urcs: [...BASE_URCS, '^XYZ:'] }).frames).toEqual([{ kind: 'urc', text: '^XYZ: 1' }]);
  });

  it('+CMT and +CDS carry their PDU on the next line: one URC frame with a payload, also across chunks', () => {
    const r = feed('\r\n+CDS: 25\r\n', '0006', '2A0B91\r\nOK\r\n');
    expect(r.frames).toEqual([
      { kind: 'urc', text: '+CDS: 25', payload: '00062A0B91' },
      { kind: 'line', text: 'OK' },
    ]);
    const m = feed('+CMT: ,24\r\n', '\r\n', '07911234\r\n');
    expect(m.frames).toEqual([{ kind: 'urc', text: '+CMT: ,24', payload: '07911234' }]);
    // While a payload is awaited a `> ` is payload text, not a prompt.
    expect(feed('+CMT: ,1\r\n> ').frames).toEqual([]);
  });

  it('drops noise bytes (0xFF at power-up, NUL, Ctrl-Z) and over-long runs without a line end', () => {
    expect(feed('\u00ff\u00ffOK\u001a\r\n').frames).toEqual([{ kind: 'line', text: 'OK' }]);
    expect(feed('\u0000\r\n').frames).toEqual([]);
    const long = frame(initialFramerState, 'x'.repeat(9000), o);
    expect(long.state.buffer).toBe('');
    const kept = frame(initialFramerState, 'x'.repeat(100), { urcs: BASE_URCS, maxLine: 100 });
    expect(kept.state.buffer).toHaveLength(100);
    expect(frame(initialFramerState, 'x'.repeat(101), { urcs: BASE_URCS, maxLine: 100 }).state.buffer).toBe('');
  });

  it('is pure: the input state is not changed', () => {
    const s: FramerState = { buffer: 'OK', header: null };
    frame(s, '\r\n', o);
    expect(s).toEqual({ buffer: 'OK', header: null });
  });
});

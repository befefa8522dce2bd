import { parseErrorCode } from './errors.js';

/**
 * Layer 2: the AT command machine. Pure: `step(state, input)` returns the next state and the
 * effects to carry out (write bytes, arm or clear the one timer, settle a command, pass a URC on,
 * note a dropped line). One command is in flight at a time and carries an id, so a timer or a
 * reply meant for an earlier command can be told apart.
 *
 * After a command timed out its answer may still come ("late answer"): the machine remembers the
 * answers it is *owed*, oldest first. While any is owed, the next command waits behind a *marked*
 * resync, `ATS7=<n>S7?` (V.250 basic syntax: set S7 to n, read it back), and every line up to the
 * read-back of that n and its final code is dropped: a late answer never becomes the next
 * command's result. A modem answers in order, so a dropped final code is the oldest owed answer
 * arriving (an `answer` effect with `late`: the runner learns from it how late the modem is), and
 * each one re-arms the resync's timer: a modem that is paying its debts is slow, not hung. Once
 * the marker is read back nothing older can come, and nothing is owed any more.
 */

export type FinalKind = 'OK' | 'ERROR' | 'CME' | 'CMS';

export interface AtResult {
  final: FinalKind;
  /** Numeric code of +CME/+CMS ERROR (verbose texts mapped back); NaN when unknown. */
  code?: number;
  /** The error text as the modem sent it. */
  errorText?: string;
  /** Information lines of the response, without echo, URCs and the final code. */
  lines: string[];
}

export interface AtCommand {
  id: number;
  /** The command line without CR, e.g. `AT+CSQ` or `AT+CMGS=23`. */
  line: string;
  timeoutMs: number;
  /** AT+CMGS: the PDU hex written after the prompt (the machine adds Ctrl-Z). */
  body?: string;
  /** AT+CMGS: from Ctrl-Z to the answer; past it the outcome is unknown. */
  submitTimeoutMs?: number;
}

export type AtFailure =
  /**
   * 'prompt': no `> ` (nothing sent); 'submit': no answer after the body (maybe sent);
   * 'resync': the modem did not read back the marker in time (the command was never written).
   */
  | { reason: 'timeout'; phase: 'response' | 'prompt' | 'submit' | 'resync' }
  /** The lifecycle ended the command: the modem rebooted, or the port closed. */
  | { reason: 'aborted'; cause: string; afterBody: boolean };

/** A command (or resync) that timed out or was cut short: its final code may still come. */
export interface Owed {
  id: number;
  line: string;
}

export type AtState =
  | { kind: 'idle'; marker: number; owed: readonly Owed[] }
  | { kind: 'resyncing'; marker: number; seen: boolean; next: AtCommand; timerId: number; owed: readonly Owed[] }
  | { kind: 'response'; cmd: AtCommand; lines: string[]; marker: number }
  | { kind: 'prompt'; cmd: AtCommand; marker: number }
  | { kind: 'body'; cmd: AtCommand; lines: string[]; marker: number };

export type AtInput =
  | { type: 'send'; cmd: AtCommand }
  | { type: 'line'; text: string }
  | { type: 'prompt' }
  | { type: 'urc'; text: string; payload?: string }
  | { type: 'timeout'; id: number }
  /** The modem rebooted or the port closed: the command in flight ends now. */
  | { type: 'abort'; cause: string }
  /** A fresh boot or a reopened port: nothing late can arrive any more. */
  | { type: 'reset' };

export type AtEffect =
  | { type: 'write'; data: string }
  /**
   * The machine's single timer; `id` comes back in the timeout input. `submit`: from Ctrl-Z to
   * the answer (the submit policy's time); the others wait for the modem's answer.
   */
  | { type: 'arm'; id: number; ms: number; submit?: true }
  | { type: 'disarm' }
  | { type: 'done'; id: number; result: AtResult }
  | { type: 'fail'; id: number; failure: AtFailure }
  | { type: 'urc'; text: string; payload?: string }
  /** A line nobody asked for (a late answer, noise): dropped, counted by the runner. */
  | { type: 'dropped'; text: string }
  /** The final code of a command or resync arrived (`late`: after it had timed out): a sample of the modem's answer time. */
  | { type: 'answer'; id: number; line: string; late: boolean };

/** Timer ids of resyncs are negative so they never collide with command ids. */
const RESYNC_TIMER = (marker: number) => -marker;
const CTRL_Z = '\u001a';
const ESC = '\u001b';

export const initialAtState: AtState = { kind: 'idle', marker: 20, owed: [] };

/** S7 accepts 1..255 on the modems we know; markers cycle through 20..219. */
function nextMarker(m: number): number {
  return m >= 219 ? 20 : m + 1;
}

export function resyncLine(marker: number): string {
  return `ATS7=${marker}S7?`;
}

/** The response prefix a line must start with to belong to `command` (e.g. `+CSQ` for AT+CSQ). */
export function responsePrefix(command: string): string | null {
  const m = /^AT([+^*$][A-Z0-9]+)/i.exec(command);
  return m ? m[1]!.toUpperCase() : null;
}

export function finalCode(line: string, command: string): Omit<AtResult, 'lines'> | null {
  if (line === 'OK') return { final: 'OK' };
  if (line === 'ERROR') return { final: 'ERROR' };
  // A modem left in numeric mode (ATV0) answers 0/4 until ATV1 / ATZ / ATE0 takes effect.
  if (/^AT(V|Z|E|&F)/i.test(command)) {
    if (line === '0') return { final: 'OK' };
    if (line === '4') return { final: 'ERROR' };
  }
  const cme = /^\+CME ERROR:\s*(.*)$/.exec(line);
  if (cme) return { final: 'CME', code: parseErrorCode(cme[1]!, 'CME'), errorText: cme[1]!.trim() };
  const cms = /^\+CMS ERROR:\s*(.*)$/.exec(line);
  if (cms) return { final: 'CMS', code: parseErrorCode(cms[1]!, 'CMS'), errorText: cms[1]!.trim() };
  return null;
}

function isFinal(line: string): boolean {
  return line === 'OK' || line === 'ERROR' || /^\+CM[ES] ERROR:/.test(line);
}

/** Owed answers kept, oldest first: a modem that owes more is hung, and a resync finds the end of the line all the same. */
export const OWED_KEPT = 32;

function owe(owed: readonly Owed[], o: Owed): readonly Owed[] {
  return owed.length >= OWED_KEPT ? owed : [...owed, o];
}

/** A line nobody waits for is dropped; a final code among them is the oldest owed answer, arriving late. */
function drop(owed: readonly Owed[], text: string): { owed: readonly Owed[]; effects: AtEffect[] } {
  const effects: AtEffect[] = [{ type: 'dropped', text }];
  const [first, ...rest] = owed;
  if (!first || !isFinal(text)) return { owed, effects };
  effects.push({ type: 'answer', id: first.id, line: first.line, late: true });
  return { owed: rest, effects };
}

function start(cmd: AtCommand, marker: number): { state: AtState; effects: AtEffect[] } {
  const state: AtState = cmd.body !== undefined ? { kind: 'prompt', cmd, marker } : { kind: 'response', cmd, lines: [], marker };
  return {
    state,
    effects: [
      { type: 'write', data: `${cmd.line}\r` },
      { type: 'arm', id: cmd.id, ms: cmd.timeoutMs },
    ],
  };
}

/** A URC whose prefix is the response prefix of the command in flight is its answer (`+CREG: 0,1` to AT+CREG?). */
function belongs(cmd: AtCommand, text: string): boolean {
  const p = responsePrefix(cmd.line);
  return p !== null && text.toUpperCase().startsWith(`${p}:`);
}

export function step(state: AtState, input: AtInput): { state: AtState; effects: AtEffect[] } {
  switch (input.type) {
    case 'reset':
      if (state.kind === 'idle' && state.owed.length > 0) return { state: { ...state, owed: [] }, effects: [] };
      return { state, effects: [] };
    case 'abort': {
      if (state.kind === 'idle') return { state, effects: [] };
      const cmd = state.kind === 'resyncing' ? state.next : state.cmd;
      const afterBody = state.kind === 'body';
      // What was written may still be answered; after a reboot nothing comes, and the resync's marker ends the wait.
      const owed = state.kind === 'resyncing' ? owe(state.owed, resyncOwed(state)) : [{ id: cmd.id, line: cmd.line }];
      return {
        state: { kind: 'idle', marker: state.marker, owed },
        effects: [{ type: 'disarm' }, { type: 'fail', id: cmd.id, failure: { reason: 'aborted', cause: input.cause, afterBody } }],
      };
    }
    case 'send': {
      if (state.kind !== 'idle') throw new Error(`AT machine busy (${state.kind}): one command at a time`);
      if (state.owed.length === 0) return start(input.cmd, state.marker);
      const marker = nextMarker(state.marker);
      const timerId = RESYNC_TIMER(marker);
      return {
        state: { kind: 'resyncing', marker, seen: false, next: input.cmd, timerId, owed: state.owed },
        // The resync waits as long as the command behind it would.
        effects: [
          { type: 'write', data: `${resyncLine(marker)}\r` },
          { type: 'arm', id: timerId, ms: input.cmd.timeoutMs },
        ],
      };
    }
    case 'timeout': {
      if (state.kind === 'idle') return { state, effects: [] };
      if (state.kind === 'resyncing') {
        if (input.id !== state.timerId) return { state, effects: [] };
        // Nothing came for a whole timeout, not even an owed answer: the command behind it fails unsent.
        return {
          state: { kind: 'idle', marker: state.marker, owed: owe(state.owed, resyncOwed(state)) },
          effects: [{ type: 'fail', id: state.next.id, failure: { reason: 'timeout', phase: 'resync' } }],
        };
      }
      if (input.id !== state.cmd.id) return { state, effects: [] };
      const phase = state.kind === 'prompt' ? 'prompt' : state.kind === 'body' ? 'submit' : 'response';
      const effects: AtEffect[] = [];
      // Leave a prompt that may still come, so the next command is not taken as message text.
      if (phase === 'prompt') effects.push({ type: 'write', data: ESC });
      effects.push({ type: 'fail', id: state.cmd.id, failure: { reason: 'timeout', phase } });
      return { state: { kind: 'idle', marker: state.marker, owed: [{ id: state.cmd.id, line: state.cmd.line }] }, effects };
    }
    case 'urc': {
      if ((state.kind === 'response' || state.kind === 'body') && belongs(state.cmd, input.text)) {
        return { state: { ...state, lines: [...state.lines, input.text, ...(input.payload ? [input.payload] : [])] }, effects: [] };
      }
      return { state, effects: [{ type: 'urc', text: input.text, ...(input.payload !== undefined ? { payload: input.payload } : {}) }] };
    }
    case 'prompt': {
      if (state.kind !== 'prompt') return { state, effects: [{ type: 'dropped', text: '> ' }] };
      const cmd = state.cmd;
      return {
        state: { kind: 'body', cmd, lines: [], marker: state.marker },
        effects: [
          { type: 'write', data: `${cmd.body}${CTRL_Z}` },
          { type: 'arm', id: cmd.id, ms: cmd.submitTimeoutMs ?? cmd.timeoutMs, submit: true },
        ],
      };
    }
    case 'line':
      return onLine(state, input.text);
  }
}

function resyncOwed(state: Extract<AtState, { kind: 'resyncing' }>): Owed {
  return { id: state.timerId, line: resyncLine(state.marker) };
}

function settled(cmd: AtCommand, marker: number, result: AtResult): { state: AtState; effects: AtEffect[] } {
  return {
    state: { kind: 'idle', marker, owed: [] },
    effects: [{ type: 'disarm' }, { type: 'answer', id: cmd.id, line: cmd.line, late: false }, { type: 'done', id: cmd.id, result }],
  };
}

function onLine(state: AtState, text: string): { state: AtState; effects: AtEffect[] } {
  switch (state.kind) {
    case 'idle': {
      const d = drop(state.owed, text);
      return { state: d.owed === state.owed ? state : { ...state, owed: d.owed }, effects: d.effects };
    }
    case 'resyncing': {
      if (text === resyncLine(state.marker)) return { state, effects: [] };
      if (!state.seen) {
        // S7 reads back as `23` or `023`.
        if (/^\d{1,3}$/.test(text) && Number(text) === state.marker) return { state: { ...state, seen: true }, effects: [] };
        const d = drop(state.owed, text);
        if (d.owed === state.owed) return { state, effects: d.effects };
        // An owed answer came: the modem works through its backlog. The marker gets a whole timeout more.
        return { state: { ...state, owed: d.owed }, effects: [...d.effects, { type: 'arm', id: state.timerId, ms: state.next.timeoutMs }] };
      }
      if (!isFinal(text)) return { state, effects: [{ type: 'dropped', text }] };
      // The marker is read back: nothing older can come any more.
      const started = start(state.next, state.marker);
      return {
        state: started.state,
        effects: [{ type: 'disarm' }, { type: 'answer', id: state.timerId, line: resyncLine(state.marker), late: false }, ...started.effects],
      };
    }
    case 'prompt': {
      if (text === state.cmd.line) return { state, effects: [] };
      // An error instead of the prompt (not registered, SMS not ready): nothing was sent.
      const final = finalCode(text, state.cmd.line);
      if (final) return settled(state.cmd, state.marker, { ...final, lines: [] });
      return { state, effects: [{ type: 'dropped', text }] };
    }
    case 'response':
    case 'body': {
      const cmd = state.cmd;
      // Echo of the command or of the PDU (modems with echo on repeat both).
      if (text === cmd.line || (cmd.body !== undefined && (text === cmd.body || text.endsWith(cmd.body)))) return { state, effects: [] };
      const final = finalCode(text, cmd.line);
      if (final) return settled(cmd, state.marker, { ...final, lines: state.lines });
      return { state: { ...state, lines: [...state.lines, text] }, effects: [] };
    }
  }
}

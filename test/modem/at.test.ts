import { describe, expect, it } from 'vitest';
import {
  finalCode,
  initialAtState,
  responsePrefix,
  OWED_KEPT,
  resyncLine,
  step,
  type AtCommand,
  type AtEffect,
  type AtState,
} from '../../src/modem/at.js';

const cmd = (id: number, line: string, extra: Partial<AtCommand> = {}): AtCommand => ({ id, line, timeoutMs: 1000, ...extra });

/** An idle machine at `marker` owing these answers, [id, command line] oldest first. */
const idle = (marker: number, ...owed: Array<[number, string]>): AtState => ({
  kind: 'idle',
  marker,
  owed: owed.map(([id, line]) => ({ id, line })),
});

/** Runs inputs through the pure machine; returns the final state and every effect. */
function run(state: AtState, ...inputs: Parameters<typeof step>[1][]): { state: AtState; effects: AtEffect[] } {
  const effects: AtEffect[] = [];
  for (const i of inputs) {
    const r = step(state, i);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

describe('AT command machine (pure transitions)', () => {
  it('idle → response: writes the command with CR and arms its timer; info lines then OK settle it', () => {
    const r = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT+CSQ') });
    expect(r.state.kind).toBe('response');
    expect(r.effects).toEqual([
      { type: 'write', data: 'AT+CSQ\r' },
      { type: 'arm', id: 1, ms: 1000 },
    ]);
    const d = run(r.state, { type: 'line', text: 'AT+CSQ' }, { type: 'line', text: '+CSQ: 21,0' }, { type: 'line', text: 'OK' });
    expect(d.state).toEqual(idle(20));
    // The answer is also reported as a sample of the modem's answer time.
    expect(d.effects).toEqual([
      { type: 'disarm' },
      { type: 'answer', id: 1, line: 'AT+CSQ', late: false },
      { type: 'done', id: 1, result: { final: 'OK', lines: ['+CSQ: 21,0'] } },
    ]);
  });

  it('final result codes: ERROR, +CME and +CMS with numbers or verbose texts', () => {
    expect(finalCode('ERROR', 'AT')).toEqual({ final: 'ERROR' });
    expect(finalCode('+CME ERROR: 11', 'AT+CPIN?')).toEqual({ final: 'CME', code: 11, errorText: '11' });
    expect(finalCode('+CMS ERROR: Congestion', 'AT+CMGS=1')).toEqual({ final: 'CMS', code: 42, errorText: 'Congestion' });
    expect(finalCode('+CMS ERROR: no such text', 'AT')!.code).toBeNaN();
    expect(finalCode('0', 'ATE0')).toEqual({ final: 'OK' });
    expect(finalCode('4', 'ATV1')).toEqual({ final: 'ERROR' });
    expect(finalCode('0', 'AT+CSQ')).toBeNull();
    expect(finalCode('OKAY', 'AT')).toBeNull();
    expect(responsePrefix('AT+CREG?')).toBe('+CREG');
    expect(responsePrefix('at^curc=0')).toBe('^CURC');
    expect(responsePrefix('ATE0')).toBeNull();
  });

  it("a URC with the command's own prefix is its answer; any other URC is passed on, also mid-response", () => {
    const s = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT+CREG?') }).state;
    const r = run(s, { type: 'urc', text: '+CMTI: "SM",1' }, { type: 'urc', text: '+CREG: 2,1' }, { type: 'line', text: 'OK' });
    expect(r.effects).toContainEqual({ type: 'urc', text: '+CMTI: "SM",1' });
    expect(r.effects).toContainEqual({ type: 'done', id: 1, result: { final: 'OK', lines: ['+CREG: 2,1'] } });
    const idle = run(initialAtState, { type: 'urc', text: '+CDS: 25', payload: '00' });
    expect(idle.effects).toEqual([{ type: 'urc', text: '+CDS: 25', payload: '00' }]);
  });

  it('submit: prompt → body with Ctrl-Z and the submit timer → +CMGS and OK', () => {
    const c = cmd(7, 'AT+CMGS=12', { body: 'ABCD', submitTimeoutMs: 5000 });
    const r = run(initialAtState, { type: 'send', cmd: c }, { type: 'line', text: 'AT+CMGS=12' }, { type: 'prompt' });
    expect(r.state.kind).toBe('body');
    expect(r.effects.slice(2)).toEqual([
      { type: 'write', data: 'ABCD\u001a' },
      { type: 'arm', id: 7, ms: 5000, submit: true },
    ]);
    const d = run(r.state, { type: 'line', text: 'ABCD' }, { type: 'urc', text: '+CMGS: 5' }, { type: 'line', text: 'OK' });
    expect(d.effects.at(-1)).toEqual({ type: 'done', id: 7, result: { final: 'OK', lines: ['+CMGS: 5'] } });
  });

  it('an error instead of the prompt settles the submit (nothing was sent); a stray prompt is dropped', () => {
    const s = run(initialAtState, { type: 'send', cmd: cmd(2, 'AT+CMGS=12', { body: 'AB' }) }).state;
    const r = run(s, { type: 'line', text: 'noise' }, { type: 'line', text: '+CMS ERROR: 302' });
    expect(r.effects).toContainEqual({ type: 'dropped', text: 'noise' });
    expect(r.effects.at(-1)).toMatchObject({ type: 'done', id: 2, result: { final: 'CMS', code: 302 } });
    expect(run(initialAtState, { type: 'prompt' }).effects).toEqual([{ type: 'dropped', text: '> ' }]);
  });

  it('timeouts: response, prompt (ESC written: leave the prompt) and submit (ambiguous); each leaves its answer owed', () => {
    const a = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT+CSQ') }, { type: 'timeout', id: 1 });
    expect(a.state).toEqual(idle(20, [1, 'AT+CSQ']));
    expect(a.effects.at(-1)).toEqual({ type: 'fail', id: 1, failure: { reason: 'timeout', phase: 'response' } });
    const p = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT+CMGS=1', { body: 'AA' }) }, { type: 'timeout', id: 1 });
    expect(p.effects.slice(-2)).toEqual([
      { type: 'write', data: '\u001b' },
      { type: 'fail', id: 1, failure: { reason: 'timeout', phase: 'prompt' } },
    ]);
    expect(p.state).toEqual(idle(20, [1, 'AT+CMGS=1']));
    const b = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT+CMGS=1', { body: 'AA' }) }, { type: 'prompt' }, { type: 'timeout', id: 1 });
    expect(b.effects.at(-1)).toEqual({ type: 'fail', id: 1, failure: { reason: 'timeout', phase: 'submit' } });
    expect(b.state).toEqual(idle(20, [1, 'AT+CMGS=1']));
  });

  it('a timer of an earlier command is ignored (identity), as is a timeout while idle', () => {
    const s = run(initialAtState, { type: 'send', cmd: cmd(2, 'AT') }).state;
    expect(run(s, { type: 'timeout', id: 1 }).state).toBe(s);
    expect(run(initialAtState, { type: 'timeout', id: 1 }).state).toBe(initialAtState);
  });

  it('an owed answer: the next command waits behind a marked resync; the late answer is dropped, not taken as its result', () => {
    const dirty: AtState = idle(20, [4, 'AT+CSQ']);
    const r = run(dirty, { type: 'send', cmd: cmd(5, 'AT+CMGF=0') });
    // The resync waits as long as the command behind it.
    expect(r.effects).toEqual([
      { type: 'write', data: `${resyncLine(21)}\r` },
      { type: 'arm', id: -21, ms: 1000 },
    ]);
    expect(resyncLine(21)).toBe('ATS7=21S7?');
    // The late answer of the timed-out AT+CSQ, then the resync's echo of 21, then its OK.
    const d = run(
      r.state,
      { type: 'line', text: '+CSQ: 21,0' },
      { type: 'line', text: 'OK' },
      { type: 'line', text: 'ATS7=21S7?' },
      { type: 'line', text: '021' },
      { type: 'line', text: 'OK' },
    );
    expect(d.effects.filter((e) => e.type === 'dropped')).toEqual([
      { type: 'dropped', text: '+CSQ: 21,0' },
      { type: 'dropped', text: 'OK' },
    ]);
    // Its OK is the owed answer of AT+CSQ, late: the timer of the resync is armed again.
    expect(d.effects.slice(2, 4)).toEqual([
      { type: 'answer', id: 4, line: 'AT+CSQ', late: true },
      { type: 'arm', id: -21, ms: 1000 },
    ]);
    expect(d.state.kind).toBe('response');
    expect(d.effects.slice(-4)).toEqual([
      { type: 'disarm' },
      { type: 'answer', id: -21, line: 'ATS7=21S7?', late: false },
      { type: 'write', data: 'AT+CMGF=0\r' },
      { type: 'arm', id: 5, ms: 1000 },
    ]);
    const done = run(d.state, { type: 'line', text: 'OK' });
    expect(done.effects.at(-1)).toEqual({ type: 'done', id: 5, result: { final: 'OK', lines: [] } });
    expect(done.state).toEqual(idle(21));
  });

  it('owed answers are paid oldest first, also while idle; lines beyond them are only dropped', () => {
    const owing = idle(22, [1, 'AT+CSQ'], [-22, 'ATS7=22S7?']);
    const r = run(
      owing,
      { type: 'line', text: '+CSQ: 9,0' },
      { type: 'line', text: 'ERROR' },
      { type: 'line', text: '022' },
      { type: 'line', text: '+CME ERROR: 3' },
      { type: 'line', text: 'OK' },
    );
    expect(r.effects).toEqual([
      { type: 'dropped', text: '+CSQ: 9,0' },
      { type: 'dropped', text: 'ERROR' },
      { type: 'answer', id: 1, line: 'AT+CSQ', late: true },
      { type: 'dropped', text: '022' },
      { type: 'dropped', text: '+CME ERROR: 3' },
      { type: 'answer', id: -22, line: 'ATS7=22S7?', late: true },
      { type: 'dropped', text: 'OK' },
    ]);
    expect(r.state).toEqual(idle(22));
    // Nothing owed: the line is clean, the next command goes out at once.
    expect(run(r.state, { type: 'send', cmd: cmd(2, 'AT') }).state.kind).toBe('response');
    // A line that is no final code pays nothing and leaves the state as it was.
    expect(run(owing, { type: 'line', text: '+CSQ: 9,0' }).state).toBe(owing);
  });

  it('a resync that meets owed answers waits a whole timeout more after each; the marker then clears what is still owed', () => {
    const s = run(idle(40, [1, 'AT+CSQ'], [2, 'AT+COPS?'], [3, 'AT+CREG?']), { type: 'send', cmd: cmd(9, 'AT', { timeoutMs: 700 }) });
    expect(s.effects.at(-1)).toEqual({ type: 'arm', id: -41, ms: 700 });
    const r = run(s.state, { type: 'line', text: 'OK' }, { type: 'timeout', id: -41 }, { type: 'line', text: 'OK' });
    // Armed again after the owed answer (the runner's one timer starts over).
    expect(r.effects.slice(0, 3)).toEqual([
      { type: 'dropped', text: 'OK' },
      { type: 'answer', id: 1, line: 'AT+CSQ', late: true },
      { type: 'arm', id: -41, ms: 700 },
    ]);
    // Then a whole timeout passed with nothing: the command fails unsent, and the resync is owed too.
    expect(r.effects).toContainEqual({ type: 'fail', id: 9, failure: { reason: 'timeout', phase: 'resync' } });
    expect(r.effects.at(-1)).toEqual({ type: 'answer', id: 2, line: 'AT+COPS?', late: true });
    expect(r.state).toEqual(idle(41, [3, 'AT+CREG?'], [-41, 'ATS7=41S7?']));
    // Without the expiry: AT+COPS? and AT+CREG? never answer, the marker comes, nothing is owed any more.
    const m = run(s.state, { type: 'line', text: 'OK' }, { type: 'line', text: '41' }, { type: 'line', text: 'OK' }, { type: 'line', text: 'OK' });
    expect(m.effects.filter((e) => e.type === 'answer')).toEqual([
      { type: 'answer', id: 1, line: 'AT+CSQ', late: true },
      { type: 'answer', id: -41, line: 'ATS7=41S7?', late: false },
      { type: 'answer', id: 9, line: 'AT', late: false },
    ]);
    expect(m.state).toEqual(idle(41));
  });

  it(`at most ${OWED_KEPT} answers are owed (the oldest kept): a modem owing more is hung`, () => {
    let state: AtState = initialAtState;
    for (let i = 1; i <= OWED_KEPT + 3; i++)
      state = run(
        state,
        { type: 'send', cmd: cmd(i, 'AT') },
        { type: 'timeout', id: state.kind === 'idle' && state.owed.length ? -(state.marker + 1) : i },
      ).state;
    expect(state.kind === 'idle' && state.owed.length).toBe(OWED_KEPT);
    expect(state.kind === 'idle' && state.owed[0]).toEqual({ id: 1, line: 'AT' });
  });

  it('between marker and final, non-final lines are dropped; a wrong number is not the marker', () => {
    const s: AtState = { kind: 'resyncing', marker: 30, seen: false, next: cmd(1, 'AT'), timerId: -30, owed: [] };
    const r = run(s, { type: 'line', text: '031x' }, { type: 'line', text: '29' }, { type: 'line', text: '30' }, { type: 'line', text: 'junk' });
    expect(r.state).toMatchObject({ kind: 'resyncing', seen: true });
    expect(r.effects).toEqual([
      { type: 'dropped', text: '031x' },
      { type: 'dropped', text: '29' },
      { type: 'dropped', text: 'junk' },
    ]);
  });

  it('a resync that times out fails the command waiting behind it, unsent; the resync is owed too; stale resync timers are ignored', () => {
    const s: AtState = { kind: 'resyncing', marker: 30, seen: false, next: cmd(4, 'AT'), timerId: -30, owed: [{ id: 3, line: 'AT+CSQ' }] };
    expect(run(s, { type: 'timeout', id: -29 }).state).toBe(s);
    const r = run(s, { type: 'timeout', id: -30 });
    expect(r.state).toEqual(idle(30, [3, 'AT+CSQ'], [-30, 'ATS7=30S7?']));
    expect(r.effects).toEqual([{ type: 'fail', id: 4, failure: { reason: 'timeout', phase: 'resync' } }]);
  });

  it('markers cycle through 20..219', () => {
    const r = run(idle(219, [1, 'AT']), { type: 'send', cmd: cmd(2, 'AT') });
    expect(r.state).toMatchObject({ marker: 20 });
  });

  it('abort (reboot, closed port) ends the command in flight at once, saying whether the body was written', () => {
    const s = run(initialAtState, { type: 'send', cmd: cmd(3, 'AT+CMGS=1', { body: 'AA' }) }).state;
    expect(run(s, { type: 'abort', cause: 'rebooted' }).effects.at(-1)).toEqual({
      type: 'fail',
      id: 3,
      failure: { reason: 'aborted', cause: 'rebooted', afterBody: false },
    });
    const b = run(s, { type: 'prompt' }, { type: 'abort', cause: 'rebooted' });
    expect(b.effects.at(-1)).toEqual({ type: 'fail', id: 3, failure: { reason: 'aborted', cause: 'rebooted', afterBody: true } });
    expect(b.state).toEqual(idle(20, [3, 'AT+CMGS=1']));
    const rs = run(
      { kind: 'resyncing', marker: 22, seen: false, next: cmd(9, 'AT'), timerId: -22, owed: [{ id: 8, line: 'AT' }] },
      { type: 'abort', cause: 'x' },
    );
    expect(rs.effects.at(-1)).toMatchObject({ type: 'fail', id: 9 });
    // The command behind the resync was never written: only what was is owed.
    expect(rs.state).toEqual(idle(22, [8, 'AT'], [-22, 'ATS7=22S7?']));
    expect(run(initialAtState, { type: 'abort', cause: 'x' }).effects).toEqual([]);
  });

  it('reset (fresh boot, reopened port): nothing is owed any more; busy states are left alone', () => {
    expect(run(idle(25, [1, 'AT']), { type: 'reset' }).state).toEqual(idle(25));
    const s = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT') }).state;
    expect(run(s, { type: 'reset' }).state).toBe(s);
  });

  it('one command at a time: send while busy is a programming error', () => {
    const s = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT') }).state;
    expect(() => step(s, { type: 'send', cmd: cmd(2, 'AT') })).toThrow(/one command at a time/);
  });

  it('lines while idle are dropped', () => {
    expect(run(initialAtState, { type: 'line', text: 'OK' }).effects).toEqual([{ type: 'dropped', text: 'OK' }]);
  });
});

describe('AT machine edges', () => {
  it('prefixes and finals are anchored; verbose error texts are trimmed', () => {
    expect(responsePrefix('XAT+CSQ')).toBeNull();
    expect(finalCode('0', 'XATE0')).toBeNull();
    expect(finalCode('4', 'ATE0')).toEqual({ final: 'ERROR' });
    expect(finalCode('x+CME ERROR: 3', 'AT')).toBeNull();
    expect(finalCode('+CME ERROR:3 ', 'AT')).toEqual({ final: 'CME', code: 3, errorText: '3' });
    expect(finalCode('x+CMS ERROR: 3', 'AT')).toBeNull();
    expect(finalCode('+CMS ERROR:  302 ', 'AT')).toEqual({ final: 'CMS', code: 302, errorText: '302' });
  });

  it('resync: a final before the marker is dropped; "+CMS ERROR" and "ERROR" after the marker end it too; 0023 is no marker', () => {
    const s: AtState = { kind: 'resyncing', marker: 23, seen: false, next: cmd(1, 'AT'), timerId: -23, owed: [] };
    const a = run(
      s,
      { type: 'line', text: 'ERROR' },
      { type: 'line', text: 'x23' },
      { type: 'line', text: '0023' },
      { type: 'line', text: '23' },
      { type: 'line', text: '+CME ERROR: 4' },
    );
    expect(a.state.kind).toBe('response');
    expect(a.effects.filter((e) => e.type === 'dropped').map((e) => (e as { text: string }).text)).toEqual(['ERROR', 'x23', '0023']);
    const seen: AtState = { ...s, seen: true };
    expect(run(seen, { type: 'line', text: 'ERROR' }).state.kind).toBe('response');
    expect(run(seen, { type: 'line', text: 'OKAY' }).state.kind).toBe('resyncing');
  });

  it('a URC that only shares the first letters is not the answer; the URC payload rides along', () => {
    const s = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT+CMGR=1') }).state;
    const r = run(s, { type: 'urc', text: '+CMGRX: 1' }, { type: 'urc', text: '+CMT: ,3', payload: 'AB' });
    expect(r.effects).toEqual([
      { type: 'urc', text: '+CMGRX: 1' },
      { type: 'urc', text: '+CMT: ,3', payload: 'AB' },
    ]);
    const own = run(s, { type: 'urc', text: '+cmgr: 0,,3', payload: 'PDU' }, { type: 'line', text: 'OK' });
    expect(own.effects.at(-1)).toEqual({ type: 'done', id: 1, result: { final: 'OK', lines: ['+cmgr: 0,,3', 'PDU'] } });
    const noPrefix = run(initialAtState, { type: 'send', cmd: cmd(2, 'ATI') }).state;
    expect(run(noPrefix, { type: 'urc', text: 'RING' }).effects).toEqual([{ type: 'urc', text: 'RING' }]);
  });

  it('a response timeout writes no ESC; the body echo is ignored only when it is the body', () => {
    const r = run(initialAtState, { type: 'send', cmd: cmd(1, 'AT') }, { type: 'timeout', id: 1 });
    expect(r.effects.filter((e) => e.type === 'write')).toHaveLength(1);
    const b = run(
      initialAtState,
      { type: 'send', cmd: cmd(2, 'AT+CMGS=1', { body: 'ABCD' }) },
      { type: 'prompt' },
      { type: 'line', text: '> ABCD' },
      { type: 'line', text: 'ABCDX' },
      { type: 'line', text: 'OK' },
    );
    expect(b.effects.at(-1)).toEqual({ type: 'done', id: 2, result: { final: 'OK', lines: ['ABCDX'] } });
    expect(run(initialAtState, { type: 'reset' }).effects).toEqual([]);
    const busy = run(initialAtState, { type: 'send', cmd: cmd(3, 'AT') }).state;
    expect(run(busy, { type: 'reset' }).effects).toEqual([]);
    expect(run(busy, { type: 'timeout', id: 9 }).effects).toEqual([]);
    const resyncing: AtState = { kind: 'resyncing', marker: 30, seen: false, next: cmd(4, 'AT'), timerId: -30, owed: [{ id: 3, line: 'AT' }] };
    expect(run(resyncing, { type: 'timeout', id: 1 }).effects).toEqual([]);
    expect(run(resyncing, { type: 'line', text: 'ATS7=30S7?' }).effects).toEqual([]);
    expect(run(initialAtState, { type: 'timeout', id: 1 }).effects).toEqual([]);
    const prompt = run(initialAtState, { type: 'send', cmd: cmd(5, 'AT+CMGS=1', { body: 'AA' }) }, { type: 'line', text: '+CMS ERROR: 331' });
    expect(prompt.state).toEqual(idle(20));
    expect(prompt.effects).toContainEqual({ type: 'answer', id: 5, line: 'AT+CMGS=1', late: false });
    expect(
      run(initialAtState, { type: 'send', cmd: cmd(6, 'AT+CMGS=1', { body: 'AA' }) }, { type: 'line', text: 'AT+CMGS=1' }).effects.slice(2),
    ).toEqual([]);
    const abort = run(initialAtState, { type: 'send', cmd: cmd(7, 'AT') }, { type: 'abort', cause: 'c' });
    expect(abort.effects.slice(2)).toEqual([
      { type: 'disarm' },
      { type: 'fail', id: 7, failure: { reason: 'aborted', cause: 'c', afterBody: false } },
    ]);
  });
});

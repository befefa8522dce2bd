/**
 * Layer 3: the modem's lifecycle as a pure state machine. `transition(state, event)` returns the
 * next state and the effects the driver (modem.ts) carries out; the driver feeds back what
 * happened as events. Nothing here waits, writes or reads a clock: times arrive in events.
 *
 *   off → (unavailable ⇄) booting → sim → registering → ready ⇄ sending
 *   any state: reboot seen → booting (the command in flight ends at once)
 *   unresponsive → recovering (rung 1..4) → ready | booting | failed → recovering
 *
 * Readiness = SIM ready + registered (any configured technology, home or roaming) + SMS ready.
 * One initialisation runs at a time: a request while one runs is remembered and started when the
 * running one has ended (the running one is cut short by aborting its commands).
 */

export type ModemStateName = 'off' | 'unavailable' | 'booting' | 'sim' | 'sim-locked' | 'registering' | 'ready' | 'sending' | 'recovering' | 'failed';

export const MODEM_STATES: readonly ModemStateName[] = [
  'off',
  'unavailable',
  'booting',
  'sim',
  'sim-locked',
  'registering',
  'ready',
  'sending',
  'recovering',
  'failed',
];

export type RegTech = 'CREG' | 'CGREG' | 'CEREG';
export type RegStatus = 'not-registered' | 'home' | 'searching' | 'denied' | 'unknown' | 'roaming';

const REG_CODES: Record<string, RegStatus> = {
  '0': 'not-registered',
  '1': 'home',
  '2': 'searching',
  '3': 'denied',
  '4': 'unknown',
  '5': 'roaming',
  '6': 'home',
  '7': 'roaming',
};

export function regStatus(code: string): RegStatus {
  return REG_CODES[code] ?? 'unknown';
}

/**
 * A registration URC, `+CREG: <stat>[,"<lac>","<ci>"...]` (27.007 7.2; +CGREG, +CEREG alike), or
 * 'answer' for `+CREG: <n>,<stat>...`, the form only an answer to `AT+CREG?` has: one that came
 * after its command had timed out, whose first number is no status. Null for anything else.
 */
export function registrationUrc(text: string): { tech: RegTech; status: RegStatus } | 'answer' | null {
  const m = /^\+(CREG|CGREG|CEREG):\s*(\d)\s*(?:$|,\s*(\d)?)/.exec(text);
  if (!m) return null;
  return m[3] ? 'answer' : { tech: m[1] as RegTech, status: regStatus(m[2]!) };
}

export function isRegistered(s: RegStatus | null | undefined): boolean {
  return s === 'home' || s === 'roaming';
}

/** Where an initialisation starts: `boot` configures everything; `check` first asks whether the modem kept its settings. */
export type InitFrom = 'boot' | 'check';

export interface Readiness {
  sim: boolean;
  registration: Partial<Record<RegTech, RegStatus>>;
  sms: boolean;
}

export interface LifecycleState {
  name: ModemStateName;
  readiness: Readiness;
  /** An initialisation is running (its generation), or null. */
  init: number | null;
  /** An initialisation asked for while one ran. */
  initWanted: InitFrom | null;
  /** Recovery rung in progress (1-based), 0 when not recovering. */
  rung: number;
  /** Generation of the recovery ladder; results of an older ladder are ignored. */
  ladder: number;
  /** Generation counter for initialisations. */
  gen: number;
  /** A submit is in flight. */
  sending: boolean;
  /** Last time a boot URC was taken as a reboot (a boot prints several). */
  lastBootAt: number;
  reason: string | null;
  /** The profile has a "SMS ready" URC (SIM800 "SMS Ready", EC25 "+QIND: SMS DONE"). */
  smsReadyUrc: boolean;
  rungs: number;
}

export type LifecycleEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'port-opened' }
  | { type: 'port-missing'; reason: string }
  | { type: 'port-closed'; reason: string }
  /** A line that only a booting modem prints (RDY, ^SYSSTART: `hard`), or a softer sign (+CFUN: 1, a second "SMS Ready"). */
  | { type: 'boot-urc'; line: string; at: number; hard?: boolean }
  | { type: 'sim'; ready: boolean; reason?: string }
  | { type: 'sim-locked'; reason: string }
  | { type: 'registration'; tech: RegTech; status: RegStatus }
  | { type: 'sms-ready'; ready: boolean }
  | { type: 'init-done'; gen: number }
  | { type: 'init-failed'; gen: number; reason: string }
  | { type: 'submit-start' }
  | { type: 'submit-end' }
  /** The modem stopped answering (command timeouts, no answer after a submit and a failed probe). */
  | { type: 'unresponsive'; reason: string }
  | { type: 'rung-done'; ladder: number; ok: boolean; reason?: string }
  | { type: 'retry' };

export type LifecycleEffect =
  | { do: 'open' }
  | { do: 'close' }
  | { do: 'init'; gen: number; from: InitFrom }
  | { do: 'abort-commands'; cause: string }
  | { do: 'rung'; ladder: number; rung: number }
  | { do: 'probe-sms' }
  | { do: 'wait-retry' }
  | { do: 'reopen-later' };

/** Boot URCs closer together than this are one boot. */
export const BOOT_SEQUENCE_MS = 3000;

const noReadiness = (): Readiness => ({ sim: false, registration: {}, sms: false });

export function initialLifecycle(o: { smsReadyUrc: boolean; rungs: number }): LifecycleState {
  return {
    name: 'off',
    readiness: noReadiness(),
    init: null,
    initWanted: null,
    rung: 0,
    ladder: 0,
    gen: 0,
    sending: false,
    lastBootAt: Number.NEGATIVE_INFINITY,
    reason: null,
    smsReadyUrc: o.smsReadyUrc,
    rungs: o.rungs,
  };
}

export function registered(r: Readiness): boolean {
  return Object.values(r.registration).some(isRegistered);
}

export function isReady(r: Readiness): boolean {
  return r.sim && registered(r) && r.sms;
}

type Result = { state: LifecycleState; effects: LifecycleEffect[] };

/** Starts an initialisation, or remembers the wish while one runs. */
function requestInit(s: LifecycleState, from: InitFrom, effects: LifecycleEffect[]): LifecycleState {
  if (s.init !== null) return { ...s, initWanted: s.initWanted === 'boot' ? 'boot' : from };
  const gen = s.gen + 1;
  effects.push({ do: 'init', gen, from });
  return { ...s, init: gen, gen, initWanted: null };
}

/** The state name readiness implies once no initialisation or recovery decides otherwise. */
function settle(s: LifecycleState): LifecycleState {
  if (s.name === 'off' || s.name === 'unavailable' || s.name === 'sim-locked' || s.name === 'recovering' || s.name === 'failed') return s;
  if (s.init !== null) {
    // During an initialisation the phase follows what is known so far.
    const name = !s.readiness.sim ? (s.name === 'sim' ? 'sim' : 'booting') : 'registering';
    return { ...s, name };
  }
  if (!s.readiness.sim) return { ...s, name: 'sim' };
  if (!isReady(s.readiness)) return { ...s, name: 'registering' };
  return { ...s, name: s.sending ? 'sending' : 'ready' };
}

function rebooted(s: LifecycleState, at: number, line: string, effects: LifecycleEffect[]): LifecycleState {
  effects.push({ do: 'abort-commands', cause: `modem rebooted (${line})` });
  let next: LifecycleState = {
    ...s,
    name: 'booting',
    readiness: noReadiness(),
    rung: 0,
    ladder: s.ladder + 1,
    lastBootAt: at,
    reason: `rebooted (${line})`,
    sending: false,
  };
  next = requestInit(next, 'boot', effects);
  return next;
}

export function transition(s: LifecycleState, e: LifecycleEvent): Result {
  const effects: LifecycleEffect[] = [];
  const done = (state: LifecycleState): Result => ({ state: settle(state), effects });
  switch (e.type) {
    case 'start':
      if (s.name !== 'off') return { state: s, effects };
      effects.push({ do: 'open' });
      return { state: { ...s, name: 'booting', reason: null }, effects };
    case 'stop':
      effects.push({ do: 'abort-commands', cause: 'stopped' }, { do: 'close' });
      return {
        state: { ...s, name: 'off', init: null, initWanted: null, rung: 0, ladder: s.ladder + 1, sending: false, readiness: noReadiness() },
        effects,
      };
    case 'port-opened':
      if (s.name === 'off') return { state: s, effects };
      return done(requestInit({ ...s, name: s.name === 'unavailable' ? 'booting' : s.name }, 'check', effects));
    case 'port-missing':
      if (s.name === 'off') return { state: s, effects };
      effects.push({ do: 'reopen-later' });
      return { state: { ...s, name: 'unavailable', reason: e.reason, readiness: noReadiness() }, effects };
    case 'port-closed':
      if (s.name === 'off') return { state: s, effects };
      if (s.name === 'recovering') return { state: s, effects }; // the ladder closes and reopens the port itself
      effects.push({ do: 'abort-commands', cause: e.reason }, { do: 'reopen-later' });
      return { state: { ...s, name: 'unavailable', reason: e.reason, readiness: noReadiness(), sending: false }, effects };
    case 'boot-urc':
      if (s.name === 'off' || s.name === 'unavailable') return { state: s, effects };
      // RDY / ^SYSSTART come once per boot: always a new one. The softer signs (+CFUN: 1, a
      // second "SMS Ready") within a boot's sequence belong to the boot already seen.
      if (!e.hard && e.at - s.lastBootAt < BOOT_SEQUENCE_MS) return { state: { ...s, lastBootAt: e.at }, effects };
      return done(rebooted(s, e.at, e.line, effects));
    case 'sim': {
      if (s.name === 'off') return { state: s, effects };
      const readiness = { ...s.readiness, sim: e.ready, ...(e.ready ? {} : { sms: false, registration: {} }) };
      return done({ ...s, readiness, reason: e.ready ? s.reason : (e.reason ?? 'SIM not ready') });
    }
    case 'sim-locked':
      return { state: { ...s, name: 'sim-locked', reason: e.reason, readiness: { ...s.readiness, sim: false } }, effects };
    case 'registration': {
      if (s.name === 'off') return { state: s, effects };
      const readiness = { ...s.readiness, registration: { ...s.readiness.registration, [e.tech]: e.status } };
      const next = { ...s, readiness };
      if (!registered(readiness) && registered(s.readiness)) next.reason = `registration ${e.status}`;
      return done(next);
    }
    case 'sms-ready': {
      if (s.name === 'off') return { state: s, effects };
      if (!e.ready && s.readiness.sms) effects.push({ do: 'probe-sms' });
      return done({ ...s, readiness: { ...s.readiness, sms: e.ready } });
    }
    case 'init-done':
    case 'init-failed': {
      if (s.init !== e.gen) return { state: s, effects };
      let next: LifecycleState = { ...s, init: null };
      if (next.initWanted) {
        const from = next.initWanted;
        next = requestInit({ ...next, initWanted: null }, from, effects);
        return done(next);
      }
      if (e.type === 'init-failed') {
        if (s.name === 'sim-locked') return { state: next, effects };
        return startLadder(next, `initialisation failed: ${e.reason}`, effects);
      }
      if (s.name === 'booting' || s.name === 'sim' || s.name === 'registering' || s.name === 'recovering')
        next = { ...next, name: 'registering', reason: null, rung: 0 };
      if (!next.readiness.sms && next.readiness.sim) effects.push({ do: 'probe-sms' });
      return done(next);
    }
    case 'submit-start':
      return done({ ...s, sending: true });
    case 'submit-end':
      return done({ ...s, sending: false });
    case 'unresponsive':
      if (s.name === 'off' || s.name === 'unavailable' || s.name === 'sim-locked' || s.name === 'recovering' || s.name === 'failed')
        return { state: s, effects };
      // An initialisation in progress meets the same deaf modem; the ladder takes over from it.
      effects.push({ do: 'abort-commands', cause: e.reason });
      return startLadder({ ...s, init: null, initWanted: null }, e.reason, effects);
    case 'rung-done': {
      if (e.ladder !== s.ladder || s.name !== 'recovering') return { state: s, effects };
      if (e.ok) {
        // The modem answers again: one initialisation checks what it kept (no full init per rung).
        const next = requestInit({ ...s, name: 'booting', rung: 0 }, 'check', effects);
        return done(next);
      }
      if (s.rung < s.rungs) {
        effects.push({ do: 'rung', ladder: s.ladder, rung: s.rung + 1 });
        return { state: { ...s, rung: s.rung + 1, reason: e.reason ?? s.reason }, effects };
      }
      effects.push({ do: 'wait-retry' });
      return { state: { ...s, name: 'failed', rung: 0, reason: e.reason ?? s.reason }, effects };
    }
    case 'retry':
      if (s.name !== 'failed') return { state: s, effects };
      return startLadder(s, s.reason ?? 'trying again', effects);
  }
}

function startLadder(s: LifecycleState, reason: string, effects: LifecycleEffect[]): Result {
  const ladder = s.ladder + 1;
  effects.push({ do: 'rung', ladder, rung: 1 });
  return {
    state: { ...s, name: 'recovering', rung: 1, ladder, reason, sending: false, readiness: { ...s.readiness, sms: s.readiness.sms } },
    effects,
  };
}

import { responsePrefix, type AtFailure } from './at.js';

/**
 * How long to wait for a modem's answer, and when waiting too little was not a hang. Pure: no
 * clock, no I/O; times come in as numbers.
 *
 * A busy modem answers late (a SIM800 under a weak network takes seconds over `+COPS?` and
 * `+CSQ`), and whatever it answers after a slow answer comes late too. Fixed timeouts then fail
 * command after command although every answer arrives, and a driver that takes each timeout for
 * a hang resets a modem that only needed time. So every answer is a sample of how long this
 * modem takes now, the late ones included (the AT machine tells which command a late final code
 * belonged to): a command waits the longer of its own timeout (the profile's) and twice the
 * slowest of the last answers of its class or of any class (a backlog grows while it is
 * measured), at most the ceiling. Once the modem is quick again, the slow samples leave the
 * windows and the timeouts shrink back to the profile's.
 */

/** Answers remembered, per class and over all classes. */
export const ANSWER_WINDOW = 8;
/** Tries of one command that times out while the modem may only be slow (see `tryAgain`). */
export const SLOW_TRIES = 3;

/** `+CSQ` for AT+CSQ, `S7` for ATS7=..., `E` for ATE0, `AT` for AT: what answers alike. */
export function commandClass(line: string): string {
  const extended = responsePrefix(line);
  if (extended) return extended;
  const basic = /^AT(S\d+|&?[A-Z])/i.exec(line);
  return basic ? basic[1]!.toUpperCase() : 'AT';
}

function remember(window: number[], ms: number): void {
  window.push(ms);
  if (window.length > ANSWER_WINDOW) window.shift();
}

export class AnswerTimer {
  private readonly all: number[] = [];
  private readonly byClass = new Map<string, number[]>();

  /** `ceilingMs`: the longest a learned timeout gets (a command's own longer timeout stays). */
  constructor(readonly ceilingMs: number) {}

  /** An answer (final code) came `ms` after its command was written; late ones too. */
  observe(line: string, ms: number): void {
    const cls = commandClass(line);
    // From Ctrl-Z to +CMGS is the network's time, not the modem's: the submit timer learns it.
    if (cls === '+CMGS') return;
    remember(this.all, ms);
    const own = this.byClass.get(cls);
    if (own) remember(own, ms);
    else this.byClass.set(cls, [ms]);
  }

  /** The slowest answer the timeout of `line` has to allow for, from what was seen lately. */
  slowestMs(line: string): number {
    return Math.max(0, ...this.all, ...(this.byClass.get(commandClass(line)) ?? []));
  }

  timeoutMs(line: string, baseMs: number): number {
    return Math.max(baseMs, Math.min(this.ceilingMs, 2 * this.slowestMs(line)));
  }
}

/**
 * Whether a command that failed with `failure` is sent again, on its `attempt`-th try, rather
 * than its failure taken for a hang (an initialisation failing, the recovery ladder). A command
 * that went out unanswered may only be late: once more, behind the resync that waits for its
 * answer. A resync that timed out while owed answers kept arriving (`lateSeen`) met a slow
 * modem, not a deaf one: once more too. Nothing came at all: a hang. A PIN is never sent twice
 * by itself (three wrong ones lock the SIM), nor is a message (its timeouts are the submit policy's).
 */
export function tryAgain(line: string, failure: AtFailure, attempt: number, lateSeen: boolean): boolean {
  if (failure.reason !== 'timeout' || attempt >= SLOW_TRIES || /^AT\+CPIN=/i.test(line)) return false;
  return failure.phase === 'response' || (failure.phase === 'resync' && lateSeen);
}

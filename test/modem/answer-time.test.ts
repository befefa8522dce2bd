import { describe, expect, it } from 'vitest';
import { ANSWER_WINDOW, AnswerTimer, commandClass, SLOW_TRIES, tryAgain } from '../../src/modem/answer-time.js';

describe('answer timeouts learned from the answers, late ones included', () => {
  it('command classes: the response prefix of extended commands, the letter (or S register) of basic ones', () => {
    expect(commandClass('AT+CSQ')).toBe('+CSQ');
    expect(commandClass('AT+COPS?')).toBe('+COPS');
    expect(commandClass('at^curc=0')).toBe('^CURC');
    expect(commandClass('ATS7=21S7?')).toBe('S7');
    expect(commandClass('ats12?')).toBe('S12');
    expect(commandClass('ATE0')).toBe('E');
    expect(commandClass('AT&F')).toBe('&F');
    expect(commandClass('AT')).toBe('AT');
    expect(commandClass('XATE0')).toBe('AT');
  });

  it('nothing seen: each command keeps the timeout its caller gave', () => {
    const t = new AnswerTimer(15_000);
    expect(t.timeoutMs('AT+CSQ', 2000)).toBe(2000);
    expect(t.timeoutMs('AT', 100)).toBe(100);
    expect(t.slowestMs('AT')).toBe(0);
  });

  it('twice the slowest recent answer of any class, never below the caller’s timeout nor (learned) above the ceiling', () => {
    const t = new AnswerTimer(15_000);
    t.observe('AT+CSQ', 2600);
    // A late +CSQ: every command now allows for it, not only AT+CSQ (what follows a slow answer is late too).
    expect(t.timeoutMs('AT+CSQ', 2000)).toBe(5200);
    expect(t.timeoutMs('AT+CREG?', 2000)).toBe(5200);
    expect(t.timeoutMs('AT+COPS?', 60_000)).toBe(60_000);
    t.observe('AT+COPS?', 9000);
    expect(t.timeoutMs('AT', 1000)).toBe(15_000);
    expect(t.slowestMs('AT')).toBe(9000);
    // A command's own longer timeout is kept even when the learned one is capped.
    expect(new AnswerTimer(800).timeoutMs('AT+CFUN=1,1', 15_000)).toBe(15_000);
  });

  it(`the slow answers leave after ${ANSWER_WINDOW} quick ones; a class keeps its own last ${ANSWER_WINDOW}`, () => {
    const t = new AnswerTimer(15_000);
    t.observe('AT+CSQ', 3000);
    for (let i = 0; i < ANSWER_WINDOW - 1; i++) t.observe('AT+CREG?', 10);
    // Still within both windows.
    expect(t.timeoutMs('AT+CREG?', 2000)).toBe(6000);
    t.observe('AT+CREG?', 10);
    // Out of the window of all answers; AT+CSQ's own window still has it.
    expect(t.timeoutMs('AT+CREG?', 2000)).toBe(2000);
    expect(t.timeoutMs('AT+CSQ', 2000)).toBe(6000);
    for (let i = 0; i < ANSWER_WINDOW - 1; i++) t.observe('AT+CSQ', 20);
    expect(t.timeoutMs('AT+CSQ', 2000)).toBe(6000);
    t.observe('AT+CSQ', 20);
    expect(t.timeoutMs('AT+CSQ', 2000)).toBe(2000);
    expect(t.slowestMs('AT+CSQ')).toBe(20);
  });

  it('submit times are not answer times (the submit timer learns them)', () => {
    const t = new AnswerTimer(15_000);
    t.observe('AT+CMGS=21', 9000);
    expect(t.slowestMs('AT+CMGS=21')).toBe(0);
    expect(t.timeoutMs('AT', 1000)).toBe(1000);
  });
});

describe('a timeout on a slow modem is tried again; a hang is not', () => {
  const response = { reason: 'timeout', phase: 'response' } as const;
  const resync = { reason: 'timeout', phase: 'resync' } as const;

  it('a command that went out unanswered: once more, up to the tries', () => {
    expect(tryAgain('AT+CMEE?', response, 1, false)).toBe(true);
    expect(tryAgain('AT+CMEE?', response, SLOW_TRIES - 1, false)).toBe(true);
    expect(tryAgain('AT+CMEE?', response, SLOW_TRIES, true)).toBe(false);
  });

  it('a resync that timed out: again only if owed answers arrived meanwhile (slow), not when nothing came (hung)', () => {
    expect(tryAgain('AT', resync, 1, true)).toBe(true);
    expect(tryAgain('AT', resync, 1, false)).toBe(false);
  });

  it('never a PIN, a message, or a command that was cut short', () => {
    expect(tryAgain('AT+CPIN="1234"', response, 1, true)).toBe(false);
    expect(tryAgain('at+cpin=1234', response, 1, true)).toBe(false);
    // AT+CPIN? only asks.
    expect(tryAgain('AT+CPIN?', response, 1, false)).toBe(true);
    expect(tryAgain('AT+CMGS=21', { reason: 'timeout', phase: 'submit' }, 1, true)).toBe(false);
    expect(tryAgain('AT+CMGS=21', { reason: 'timeout', phase: 'prompt' }, 1, true)).toBe(false);
    expect(tryAgain('AT', { reason: 'aborted', cause: 'rebooted', afterBody: false }, 1, true)).toBe(false);
  });
});

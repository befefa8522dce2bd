import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AtError, AtLink, globalTimers, type Timers } from '../../src/modem/at-link.js';
import type { Transport } from '../../src/modem/transport.js';

/** A transport whose far end is the test: it sees what the driver writes and answers with bytes. */
class ScriptedTransport implements Transport {
  readonly description = 'scripted';
  readonly events = new EventEmitter();
  readonly written: string[] = [];
  open = async () => {};
  close = async () => {};
  isOpen = () => true;
  async write(data: string | Buffer): Promise<void> {
    this.written.push(String(data));
  }
  reply(bytes: string): void {
    this.events.emit('data', Buffer.from(bytes, 'latin1'));
  }
}

/** An attached link on a scripted transport. */
function wired(): { t: ScriptedTransport; link: AtLink } {
  const t = new ScriptedTransport();
  const link = new AtLink(t);
  link.attach();
  return { t, link };
}

describe('AtLink runner on scripted bytes, fake time', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('row "AT+CSQ times out, its answer comes late": the late +CSQ / OK never becomes the next command\'s result', async () => {
    const { t, link } = wired();
    const csq = link.command('AT+CSQ', 500).catch((e: AtError) => e);
    await vi.advanceTimersByTimeAsync(500);
    const err = await csq;
    expect(err).toBeInstanceOf(AtError);
    expect((err as AtError).timedOut).toBe(true);
    const cmgf = link.command('AT+CMGF=0', 500);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written.at(-1)).toBe('ATS7=21S7?\r');
    t.reply('\r\n+CSQ: 21,0\r\n\r\nOK\r\n');
    t.reply('\r\n021\r\n\r\nOK\r\n');
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written.at(-1)).toBe('AT+CMGF=0\r');
    t.reply('\r\nOK\r\n');
    expect(await cmgf).toEqual({ final: 'OK', lines: [] });
    expect(link.stats.dropped).toBe(2);
  });

  it('commands queue: one in flight, in order; URCs reach the handler meanwhile', async () => {
    const { t, link } = wired();
    const urcs: string[] = [];
    link.onUrc((u) => urcs.push(u));
    const a = link.command('AT', 500);
    const b = link.command('ATE0', 500);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written).toEqual(['AT\r']);
    expect(link.busy).toBe(true);
    t.reply('\r\nRING\r\nOK\r\n');
    await a;
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written).toEqual(['AT\r', 'ATE0\r']);
    t.reply('OK\r\n');
    await b;
    expect(urcs).toEqual(['RING']);
    expect(link.busy).toBe(false);
  });

  it('a late +CMGS after a submit timed out is counted: that message did go out', async () => {
    const { t, link } = wired();
    const late: number[] = [];
    link.onLateSubmitAck((ms) => late.push(ms));
    const s = link.submit(3, '0011', { promptMs: 500, submitMs: 800 }).catch((e: AtError) => e);
    t.reply('\r\n> ');
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written.at(-1)).toBe('0011\u001a');
    await vi.advanceTimersByTimeAsync(800);
    const e = (await s) as AtError;
    expect(e.ambiguous).toBe(true);
    expect(e.message).toMatch(/answer after the message body/);
    const next = link.command('AT', 500);
    await vi.advanceTimersByTimeAsync(1);
    t.reply('\r\n+CMGS: 4\r\n\r\nOK\r\n\r\n021\r\n\r\nOK\r\n');
    await vi.advanceTimersByTimeAsync(1);
    t.reply('OK\r\n');
    await next;
    expect(link.stats.lateSubmitAcks).toBe(1);
    // The real submit time (801 ms of fake time) goes to the submit timer.
    expect(late).toEqual([802]);
  });

  it('a late answer teaches how slow the modem is: the resync waits on while owed answers come, later commands wait twice as long', async () => {
    const { t, link } = wired();
    const csq = link.command('AT+CSQ', 500).catch((e: AtError) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect(((await csq) as AtError).failure).toEqual({ reason: 'timeout', phase: 'response' });
    let settled = false;
    const cmgf = link.command('AT+CMGF=0', 500).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written.at(-1)).toBe('ATS7=21S7?\r');
    // AT+CSQ's answer, 900 ms after it was written: the resync's timer starts over.
    await vi.advanceTimersByTimeAsync(399);
    t.reply('\r\n+CSQ: 21,0\r\n\r\nOK\r\n');
    expect(link.stats.lateAnswers).toBe(1);
    await vi.advanceTimersByTimeAsync(400);
    // Past the resync's first 500 ms: it still waits, nothing has failed.
    expect(settled).toBe(false);
    t.reply('\r\n021\r\n\r\nOK\r\n');
    await vi.advanceTimersByTimeAsync(1);
    expect(t.written.at(-1)).toBe('AT+CMGF=0\r');
    // The slowest answer lately took 900 ms: an ordinary command now gets 1800 ms.
    expect(link.timeoutFor('AT', 500)).toBe(1800);
    expect(link.timeoutFor('AT+COPS?', 60_000)).toBe(60_000);
    await vi.advanceTimersByTimeAsync(1700);
    expect(settled).toBe(false);
    t.reply('\r\nOK\r\n');
    expect(await cmgf).toEqual({ final: 'OK', lines: [] });
    expect(link.stats).toEqual({ dropped: 2, lateAnswers: 1, lateSubmitAcks: 0 });
  });

  it('a resync that meets nothing for a whole timeout: the command behind it fails unsent (phase resync); the learned timeout is capped', async () => {
    const t = new ScriptedTransport();
    const link = new AtLink(t, { answerCeilingMs: 1200 });
    link.attach();
    const a = link.command('AT+CREG?', 300).catch((e: AtError) => e);
    await vi.advanceTimersByTimeAsync(300);
    await a;
    const b = link.command('AT', 300).catch((e: AtError) => e);
    await vi.advanceTimersByTimeAsync(300);
    const e = (await b) as AtError;
    expect(e.failure).toEqual({ reason: 'timeout', phase: 'resync' });
    expect(e.message).toBe('the modem still owes late answers: not sent: AT');
    expect(e.timedOut && !e.ambiguous).toBe(true);
    expect(t.written).toEqual(['AT+CREG?\r', 'ATS7=21S7?\r']);
    // Both answers come, very late: AT+CREG?'s 5 s after it was written.
    await vi.advanceTimersByTimeAsync(4400);
    t.reply('\r\n+CREG: 0,1\r\n\r\nOK\r\n\r\n021\r\n\r\nOK\r\n');
    expect(link.stats.lateAnswers).toBe(2);
    expect(link.timeoutFor('AT', 300)).toBe(1200);
  });

  it('abort ends the command in flight and the queued ones at once; a closed port does the same', async () => {
    const { t, link } = wired();
    const a = link.command('AT+COPS?', 60_000).catch((e: AtError) => e);
    const b = link.command('AT', 60_000).catch((e: AtError) => e);
    link.abort('modem rebooted (RDY)');
    expect(((await a) as AtError).message).toMatch(/ended: modem rebooted/);
    expect(((await b) as AtError).failure).toEqual({ reason: 'aborted', cause: 'modem rebooted (RDY)', afterBody: false });
    const c = link.command('AT', 60_000).catch((e: AtError) => e);
    await vi.advanceTimersByTimeAsync(1);
    t.events.emit('close');
    expect(((await c) as AtError).message).toMatch(/port closed/);
  });

  it('a write that fails aborts the command; the submit rejects non-hex bodies', async () => {
    const t = new ScriptedTransport();
    t.write = async () => {
      throw new Error('EIO');
    };
    const link = new AtLink(t);
    link.attach();
    await expect(link.command('AT', 500)).rejects.toThrow(/write failed: EIO/);
    await expect(link.submit(1, 'XYZ\r', { promptMs: 1, submitMs: 1 })).rejects.toThrow(/hex only/);
  });

  it('hides the SIM PIN in error messages', async () => {
    const { link } = wired();
    const e = link.command('AT+CPIN="1234"', 100).catch((x: Error) => x);
    await vi.advanceTimersByTimeAsync(100);
    expect(((await e) as Error).message).not.toContain('1234');
  });
});

describe('AtLink edges', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('attach again (a reopened port) forgets half a line and listens to the new port only once', async () => {
    const { t, link } = wired();
    const urcs: string[] = [];
    link.onUrc((u) => urcs.push(u));
    t.reply('\r\n+CMTI: "SM",');
    link.attach();
    t.reply('\r\n+CMTI: "SM",4\r\n');
    expect(urcs).toEqual(['+CMTI: "SM",4']);
    expect(t.events.listenerCount('data')).toBe(1);
    expect(t.events.listenerCount('close')).toBe(1);
  });

  it('dispose: the command in flight ends, and bytes that come later reach nobody', async () => {
    const { t, link } = wired();
    const urcs: string[] = [];
    link.onUrc((u) => urcs.push(u));
    const a = link.command('AT', 5000).catch((e: AtError) => e);
    await vi.advanceTimersByTimeAsync(1);
    link.dispose();
    expect(((await a) as AtError).message).toBe('AT ended: the driver stopped');
    t.reply('\r\nRING\r\n');
    expect(urcs).toEqual([]);
    expect(t.events.listenerCount('data')).toBe(0);
  });

  it('a URC handler that throws does not stop the line', async () => {
    const { t, link } = wired();
    link.onUrc(() => {
      throw new Error('bug');
    });
    const a = link.command('AT', 500);
    await vi.advanceTimersByTimeAsync(1);
    t.reply('\r\nRING\r\nOK\r\n');
    expect(await a).toEqual({ final: 'OK', lines: [] });
  });

  it('raw bytes and commands go out in the order asked, also when a write is slow', async () => {
    const t = new ScriptedTransport();
    const order: string[] = [];
    t.write = async (d) => {
      if (String(d) === '\u001b') await new Promise((r) => setTimeout(r, 50));
      order.push(String(d));
    };
    const link = new AtLink(t);
    link.attach();
    void link.raw('\u001b');
    const a = link.command('AT', 500);
    await vi.advanceTimersByTimeAsync(60);
    expect(order).toEqual(['\u001b', 'AT\r']);
    t.reply('OK\r\n');
    await a;
  });

  it('extra URC prefixes from the profile are URCs; the timers given are the ones used', async () => {
    const t = new ScriptedTransport();
    const armed: number[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        armed.push(ms);
        return globalTimers.setTimeout(fn, ms);
      },
      clearTimeout: (h) => globalTimers.clearTimeout(h),
    };
    const link = new AtLink(t, { extraUrcs: ['^HCSQ:'], timers });
    link.attach();
    const urcs: string[] = [];
    link.onUrc((u) => urcs.push(u));
    const a = link.command('AT+CSQ', 700);
    await vi.advanceTimersByTimeAsync(1);
    t.reply('\r\n^HCSQ:"LTE",50\r\n+CSQ: 20,99\r\nOK\r\n');
    expect(await a).toEqual({ final: 'OK', lines: ['+CSQ: 20,99'] });
    expect(urcs).toEqual(['^HCSQ:"LTE",50']);
    expect(armed).toEqual([700]);
  });

  it('a failed write is reported to onWriteError', async () => {
    const t = new ScriptedTransport();
    t.write = async () => {
      throw new Error('EIO');
    };
    const seen: string[] = [];
    const link = new AtLink(t, { onWriteError: (e) => seen.push(e.message) });
    link.attach();
    await expect(link.command('AT', 500)).rejects.toThrow(/write failed: EIO/);
    expect(seen).toEqual(['EIO']);
  });
});

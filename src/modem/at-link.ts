import { AnswerTimer } from './answer-time.js';
import { initialAtState, step, type AtEffect, type AtFailure, type AtInput, type AtResult, type AtState } from './at.js';
import { BASE_URCS, frame, initialFramerState, type FramerState } from './framer.js';
import type { Transport } from './transport.js';

/**
 * The thin runner around the pure framer and AT machine: feeds them the transport's bytes and
 * the timer's expiries, carries out their effects, and queues callers so that one command is in
 * flight at a time. Timers come from `Timers` (the global ones by default; tests use fake ones).
 * Each timer the machine arms for an answer lasts at least as long as this modem's answers have
 * lately needed (answer-time.ts), decided when it is armed: the machine reports every answer, the
 * late ones too, and the link times them. A command behind a resync is timed by what the resync
 * taught. The submit's timer (Ctrl-Z to +CMGS) is the submit policy's own.
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const globalTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const MISSING = {
  response: 'no answer to',
  prompt: 'no "> " prompt to',
  submit: 'no answer after the message body to',
  resync: 'the modem still owes late answers: not sent:',
} as const;

export class AtError extends Error {
  override name = 'AtError';
  constructor(
    readonly command: string,
    readonly failure: AtFailure,
  ) {
    const shown = command.startsWith('AT+CPIN=') ? 'AT+CPIN=…' : command;
    super(failure.reason === 'timeout' ? `${MISSING[failure.phase]} ${shown}` : `${shown} ended: ${failure.cause}`);
  }
  /** The message body was written and no answer came: it may have been sent. */
  get ambiguous(): boolean {
    const f = this.failure;
    return f.reason === 'timeout' ? f.phase === 'submit' : f.afterBody;
  }
  get timedOut(): boolean {
    return this.failure.reason === 'timeout';
  }
}

interface Request {
  line: string;
  timeoutMs: number;
  body?: string;
  submitTimeoutMs?: number;
  resolve(r: AtResult): void;
  reject(e: Error): void;
}

export interface AtLinkStats {
  /** Lines that arrived with no command waiting for them: late answers, noise. */
  dropped: number;
  /** Answers (final codes) that came after their command had timed out. */
  lateAnswers: number;
  /** `+CMGS:` answers that came after their submit had timed out: those messages did go out. */
  lateSubmitAcks: number;
}

export class AtLink {
  private framer: FramerState = initialFramerState;
  private machine: AtState = initialAtState;
  private readonly queue: Request[] = [];
  private current: { id: number; req: Request } | null = null;
  private nextId = 1;
  private timer: unknown = null;
  private armedId: number | null = null;
  private detach: (() => void) | null = null;
  private readonly urcs: readonly string[];
  private urcHandler: (text: string, payload?: string) => void = () => {};
  /** When the last message body was written: a late +CMGS tells how long that submit really took. */
  private bodyWrittenAt: number | null = null;
  private lateAckHandler: (elapsedMs: number) => void = () => {};
  readonly stats: AtLinkStats = { dropped: 0, lateAnswers: 0, lateSubmitAcks: 0 };
  private readonly answers: AnswerTimer;
  /** When each recent command or resync was written (by timer id): its answer, even a late one, is timed from it. */
  private readonly sentAt = new Map<number, number>();
  /** Writes are chained: bytes go out in the order the machine asked for them. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private transport: Transport,
    o: { extraUrcs?: readonly string[]; timers?: Timers; onWriteError?: (err: Error) => void; answerCeilingMs?: number } = {},
  ) {
    this.urcs = [...BASE_URCS, ...(o.extraUrcs ?? [])];
    this.answers = new AnswerTimer(o.answerCeilingMs ?? 15_000);
    this.timers = o.timers ?? globalTimers;
    this.onWriteError = o.onWriteError ?? (() => {});
  }

  private readonly timers: Timers;
  private readonly onWriteError: (err: Error) => void;

  onUrc(fn: (text: string, payload?: string) => void): void {
    this.urcHandler = fn;
  }

  /** Called with the real submit time when a +CMGS arrives after its submit had timed out. */
  onLateSubmitAck(fn: (elapsedMs: number) => void): void {
    this.lateAckHandler = fn;
  }

  /** Binds to the transport (after each open); whatever was half-received is forgotten. */
  attach(): void {
    this.detach?.();
    const onData = (b: Buffer) => this.feed(b.toString('latin1'));
    const onClose = () => this.abort('the port closed');
    this.transport.events.on('data', onData);
    this.transport.events.on('close', onClose);
    this.detach = () => {
      this.transport.events.off('data', onData);
      this.transport.events.off('close', onClose);
    };
    this.framer = initialFramerState;
    this.input({ type: 'reset' });
  }

  dispose(): void {
    this.detach?.();
    this.detach = null;
    this.abort('the driver stopped');
  }

  /** Ends the command in flight and every queued one (a reboot, a closed port, a stop). */
  abort(cause: string): void {
    const queued = this.queue.splice(0);
    this.input({ type: 'abort', cause });
    for (const q of queued) q.reject(new AtError(q.line, { reason: 'aborted', cause, afterBody: false }));
  }

  /** A fresh boot: nothing late can come from before it. */
  reset(): void {
    this.input({ type: 'reset' });
  }

  /** Bytes outside any command: ESC to leave a stuck prompt. */
  raw(data: string): Promise<void> {
    return this.write(data);
  }

  /** One command; resolves with its final result code (ERROR resolves too), rejects with AtError. */
  command(line: string, timeoutMs: number): Promise<AtResult> {
    return this.enqueue({ line, timeoutMs });
  }

  /** AT+CMGS=<n>, the prompt, the PDU and Ctrl-Z, then +CMGS or an error. */
  submit(tpduLength: number, hex: string, t: { promptMs: number; submitMs: number }): Promise<AtResult> {
    if (!/^[0-9A-F]+$/.test(hex) || !Number.isInteger(tpduLength)) return Promise.reject(new Error('submit takes hex only'));
    return this.enqueue({ line: `AT+CMGS=${tpduLength}`, timeoutMs: t.promptMs, body: hex, submitTimeoutMs: t.submitMs });
  }

  /** The timeout `line` gets now when its caller asks for `baseMs`. */
  timeoutFor(line: string, baseMs: number): number {
    return this.answers.timeoutMs(line, baseMs);
  }

  get busy(): boolean {
    return this.current !== null || this.queue.length > 0;
  }

  private enqueue(r: Omit<Request, 'resolve' | 'reject'>): Promise<AtResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...r, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.current || this.machine.kind !== 'idle') return;
    const req = this.queue.shift();
    if (!req) return;
    const id = this.nextId++;
    this.current = { id, req };
    this.input({ type: 'send', cmd: { id, line: req.line, timeoutMs: req.timeoutMs, body: req.body, submitTimeoutMs: req.submitTimeoutMs } });
  }

  private feed(chunk: string): void {
    const r = frame(this.framer, chunk, { urcs: this.urcs });
    this.framer = r.state;
    for (const f of r.frames) {
      if (f.kind === 'line') this.input({ type: 'line', text: f.text });
      else if (f.kind === 'prompt') this.input({ type: 'prompt' });
      else this.input({ type: 'urc', text: f.text, payload: f.payload });
    }
  }

  private input(i: AtInput): void {
    const r = step(this.machine, i);
    this.machine = r.state;
    for (const e of r.effects) this.effect(e);
    this.next();
  }

  private effect(e: AtEffect): void {
    switch (e.type) {
      case 'write':
        if (e.data.endsWith('\u001a')) this.bodyWrittenAt = Date.now();
        void this.write(e.data).catch((err: Error) => {
          this.onWriteError(err);
          this.abort(`write failed: ${err.message}`);
        });
        return;
      case 'arm': {
        if (this.timer !== null) this.timers.clearTimeout(this.timer);
        const id = e.id;
        // A timer armed again (a resync waiting on, a body after its prompt) keeps its send time.
        if (id !== this.armedId) this.noteSent(id);
        this.armedId = id;
        // A resync waits as long as the command behind it: `current` is that command either way.
        const ms = e.submit ? e.ms : this.timeoutFor(this.current?.req.line ?? 'AT', e.ms);
        this.timer = this.timers.setTimeout(() => {
          this.timer = null;
          this.input({ type: 'timeout', id });
        }, ms);
        return;
      }
      case 'disarm':
        if (this.timer !== null) this.timers.clearTimeout(this.timer);
        this.timer = null;
        return;
      case 'done':
      case 'fail': {
        const c = this.current;
        if (!c || c.id !== e.id) return;
        this.current = null;
        if (e.type === 'done') c.req.resolve(e.result);
        else c.req.reject(new AtError(c.req.line, e.failure));
        return;
      }
      case 'urc':
        try {
          this.urcHandler(e.text, e.payload);
        } catch {
          /* a URC handler's bug must not stop the line */
        }
        return;
      case 'answer': {
        const at = this.sentAt.get(e.id);
        this.sentAt.delete(e.id);
        if (e.late) this.stats.lateAnswers++;
        if (at !== undefined) this.answers.observe(e.line, Date.now() - at);
        return;
      }
      case 'dropped':
        this.stats.dropped++;
        if (e.text.startsWith('+CMGS:')) {
          this.stats.lateSubmitAcks++;
          if (this.bodyWrittenAt !== null) this.lateAckHandler(Date.now() - this.bodyWrittenAt);
        }
        return;
    }
  }

  private noteSent(id: number): void {
    this.sentAt.set(id, Date.now());
    // Answers that never come (a reboot, a resync that found the line's end) leave their entry: keep the newest.
    if (this.sentAt.size > 64) this.sentAt.delete(this.sentAt.keys().next().value!);
  }

  private write(data: string): Promise<void> {
    const w = this.writing.then(() => this.transport.write(data));
    this.writing = w.catch(() => {});
    return w;
  }
}

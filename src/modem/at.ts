import type { Logger } from '../util/logger.js';
import { parseErrorCode } from './errors.js';
import type { Transport } from './transport.js';

/**
 * The AT command engine: one command in flight, lines split from the byte stream, final result
 * codes recognised, unsolicited result codes (URCs) routed to a handler whenever they arrive,
 * also between a command's echo and its final code, and the `> ` prompt of AT+CMGS recognised
 * although it has no line ending.
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

export class AtTimeout extends Error {
  override name = 'AtTimeout';
  constructor(
    readonly command: string,
    /** 'prompt': no `> ` after AT+CMGS (nothing sent); 'submit': no answer after Ctrl-Z (maybe sent). */
    readonly phase: 'response' | 'prompt' | 'submit',
  ) {
    super(`no ${phase === 'response' ? 'answer' : phase === 'prompt' ? '"> " prompt' : 'answer after the message body'} to ${command.startsWith('AT+CPIN=') ? 'AT+CPIN=…' : command}`);
  }
}

export class AtClosed extends Error {
  override name = 'AtClosed';
  /** The port went away after the message body was written: the SMS may have gone out. */
  afterBody = false;
}

const BASE_URCS = [
  '+CMTI:', '+CMT:', '+CDS:', '+CDSI:', '+CBM:', 'RING', '+CLIP:', '+CRING:', '+CREG:', '+CGREG:', '+CEREG:', '+CPIN:',
  'RDY', 'SMS Ready', 'Call Ready', 'SMS DONE', 'PB DONE', '+CFUN:', '^RSSI:', '^BOOT:', '^MODE:', '^SRVST:', '^SIMST:',
  '+CTZV:', '+CTZE:', '*PSUTTZ:', 'DST:', '+CIEV:', '+QIND:', '+CUSD:', '+CMTE:', 'NORMAL POWER DOWN', 'UNDER-VOLTAGE',
  'OVER-VOLTAGE', '+PACSP', '+CGEV:', '+CPINR:', 'NO CARRIER',
];
/** URCs followed by one line of payload (a PDU) that belongs to them. */
const TWO_LINE_URCS = ['+CMT:', '+CDS:', '+CBM:'];
const MAX_BUFFER = 8192;

interface Pending {
  command: string;
  prefix: string | null;
  lines: string[];
  resolve(r: AtResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  /** Set while AT+CMGS waits for its prompt. */
  onPrompt?: () => void;
  /** Echo of the PDU to ignore (modems with echo on repeat it). */
  body?: string;
  /** The PDU and Ctrl-Z have been written. */
  bodySent?: boolean;
}

export interface AtChannelOptions {
  logger: Logger;
  extraUrcs?: string[];
}

export class AtChannel {
  private buffer = '';
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private swallowNext = false;
  private readonly urcs: string[];
  private urcHandler: (line: string) => void = () => {};
  private detach: (() => void) | null = null;

  constructor(
    private transport: Transport,
    private readonly o: AtChannelOptions,
  ) {
    this.urcs = [...BASE_URCS, ...(o.extraUrcs ?? [])];
    this.attach();
  }

  onUrc(fn: (line: string) => void): void {
    this.urcHandler = fn;
  }

  /** Rebinds to the transport after it was reopened; any command in flight fails. */
  attach(): void {
    this.detach?.();
    const onData = (b: Buffer) => this.feed(b.toString('latin1'));
    const onClose = () => this.failPending(new AtClosed(`${this.transport.description} closed`));
    this.transport.events.on('data', onData);
    this.transport.events.on('close', onClose);
    this.detach = () => {
      this.transport.events.off('data', onData);
      this.transport.events.off('close', onClose);
    };
    this.buffer = '';
    this.swallowNext = false;
  }

  dispose(): void {
    this.detach?.();
    this.failPending(new AtClosed('channel disposed'));
  }

  private failPending(err: Error): void {
    const p = this.pending;
    if (!p) return;
    if (err instanceof AtClosed && p.bodySent) err.afterBody = true;
    this.abandon(p, err);
  }

  /** Writes raw bytes outside any command (ESC to leave a stuck prompt, Ctrl-Z). */
  async raw(data: string): Promise<void> {
    await this.transport.write(data);
  }

  /** Sends one command and resolves with its final result code (errors resolve too). */
  command(command: string, timeoutMs: number): Promise<AtResult> {
    return this.exclusive(() => this.run(command, timeoutMs));
  }

  /**
   * AT+CMGS in PDU mode: command, wait for `> `, write the PDU and Ctrl-Z, wait for +CMGS or an
   * error. A missing prompt is cancelled with ESC (nothing was sent); a missing answer after
   * Ctrl-Z is an AtTimeout with phase 'submit' (the message may have gone out).
   */
  submitPdu(tpduLength: number, hex: string, t: { prompt: number; submit: number; promptDelayMs?: number }): Promise<AtResult> {
    if (!/^[0-9A-F]+$/.test(hex) || !Number.isInteger(tpduLength)) throw new Error('submitPdu takes hex only');
    return this.exclusive(async () => {
      const command = `AT+CMGS=${tpduLength}`;
      return new Promise<AtResult>((resolve, reject) => {
        let phase: 'prompt' | 'submit' = 'prompt';
        const timeout = (ms: number) =>
          setTimeout(() => {
            const p = this.pending;
            this.pending = null;
            // Leave the prompt so the next command is not taken as message text.
            if (phase === 'prompt') void this.transport.write('\u001b').catch(() => {});
            if (p) reject(new AtTimeout(command, phase));
          }, ms);
        const p: Pending = {
          command,
          prefix: '+CMGS',
          lines: [],
          resolve,
          reject,
          timer: timeout(t.prompt),
          body: hex,
          onPrompt: () => {
            p.onPrompt = undefined;
            clearTimeout(p.timer);
            const send = async () => {
              if (t.promptDelayMs) await new Promise((r) => setTimeout(r, t.promptDelayMs));
              if (this.pending !== p) return;
              phase = 'submit';
              p.timer = timeout(t.submit);
              p.bodySent = true;
              await this.transport.write(`${hex}\u001a`);
            };
            send().catch((err) => this.abandon(p, err));
          },
        };
        this.pending = p;
        this.transport.write(`${command}\r`).catch((err) => this.abandon(p, err));
      });
    });
  }

  /** Fails a pending command that could not be written (or finished), if it is still the current one. */
  private abandon(p: Pending, err: Error): void {
    if (this.pending !== p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(err);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private run(command: string, timeoutMs: number): Promise<AtResult> {
    return new Promise((resolve, reject) => {
      const prefix = /^AT([+^*][A-Z0-9]+)/i.exec(command)?.[1]?.toUpperCase() ?? null;
      const p: Pending = {
        command,
        prefix,
        lines: [],
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.pending === p) this.pending = null;
          reject(new AtTimeout(command, 'response'));
        }, timeoutMs),
      };
      this.pending = p;
      this.transport.write(`${command}\r`).catch((err) => this.abandon(p, err));
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).replace(/[\r\u001a]/g, '').trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.line(line);
    }
    // The prompt: `> ` with no line ending, possibly after the echo of the command.
    const p = this.pending;
    if (p?.onPrompt) {
      const rest = this.buffer.replace(/\r/g, '');
      if (/(^|\n)\s*> ?$/.test(rest) || rest.trimStart().startsWith('>')) {
        this.buffer = '';
        p.onPrompt();
        return;
      }
    }
    if (this.buffer.length > MAX_BUFFER) {
      this.o.logger.warn({ bytes: this.buffer.length }, 'modem sent a long run without a line end; discarded');
      this.buffer = '';
    }
  }

  private isUrc(line: string): boolean {
    return this.urcs.some((u) => line.startsWith(u));
  }

  private line(line: string): void {
    if (this.swallowNext) {
      this.swallowNext = false;
      return;
    }
    const p = this.pending;
    if (p) {
      // Echo of the command or of the PDU body: not a response.
      if (line === p.command || (p.body && (line === p.body || line.endsWith(p.body) || line.replace(/^>\s*/, '') === p.body))) return;
      const belongs = p.prefix !== null && line.toUpperCase().startsWith(`${p.prefix}:`);
      if (!belongs && this.isUrc(line)) return this.urc(line);
      const final = finalCode(line, p.command);
      if (final) {
        this.pending = null;
        clearTimeout(p.timer);
        p.resolve({ ...final, lines: p.lines });
        return;
      }
      if (/^>/.test(line) && p.onPrompt) {
        p.onPrompt();
        return;
      }
      p.lines.push(line);
      return;
    }
    this.urc(line);
  }

  private urc(line: string): void {
    if (TWO_LINE_URCS.some((u) => line.startsWith(u))) this.swallowNext = true;
    try {
      this.urcHandler(line);
    } catch (err) {
      this.o.logger.error({ err }, 'URC handler failed');
    }
  }
}

function finalCode(line: string, command: string): Omit<AtResult, 'lines'> | null {
  if (line === 'OK') return { final: 'OK' };
  if (line === 'ERROR') return { final: 'ERROR' };
  // A modem left in numeric mode (ATV0) answers 0/4 until ATV1 / ATZ / ATE0 takes effect;
  // elsewhere a bare digit is data.
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

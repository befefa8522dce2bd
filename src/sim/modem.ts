import type { Duplex } from 'node:stream';
import type { ModemProfile } from '../modem/profile.js';
import { decodeSubmit, PduError } from '../modem/pdu.js';
import type { SimRecord } from './record.js';

/**
 * A GSM modem at the AT level, imitating a profile: echo, verbose or numeric errors, SIM PIN,
 * registration, PDU-mode AT+CMGS with the `> ` prompt, boot URCs, and the faults the driver must
 * survive, drawn from a seeded generator so a run can be repeated exactly.
 */

export interface FaultConfig {
  seed: number;
  /** Per submit: +CMS ERROR from the temporary set. */
  temporaryErrorRate: number;
  /** Per submit: +CMS ERROR 21 (short message transfer rejected). */
  permanentErrorRate: number;
  /** Per command: stop answering until the port is reopened (or a power cycle). */
  hangRate: number;
  /** Per command: reboot right now (also in the middle of a submit). */
  rebootRate: number;
  /** Per submit: accept and record the message, but never answer (the outcome-unknown case). */
  ambiguousRate: number;
  /** Per command: lose registration for `lostRegistrationMs`. */
  loseRegistrationRate: number;
  lostRegistrationMs: number;
  /** Per response: an unsolicited line between echo and final result code. */
  urcNoiseRate: number;
  /** Split output into random small chunks. */
  fragmentWrites: boolean;
  /** Delay per output chunk (a slow line). */
  chunkDelayMs: number;
  /** What clears a hang: reopening the port, or only a power cycle. */
  hangClears: 'reopen' | 'power';
}

export const NO_FAULTS: FaultConfig = {
  seed: 1,
  temporaryErrorRate: 0,
  permanentErrorRate: 0,
  hangRate: 0,
  rebootRate: 0,
  ambiguousRate: 0,
  loseRegistrationRate: 0,
  lostRegistrationMs: 2000,
  urcNoiseRate: 0,
  fragmentWrites: false,
  chunkDelayMs: 0,
  hangClears: 'reopen',
};

const TEMPORARY_CMS = [42, 47, 331, 332, 512, 513, 514];
const NOISE = ['RING', '+CMTI: "SM",3', '+CREG: 1', '^RSSI: 17', '+CIEV: 2,3', '+CLIP: "+491701111111",145,"",0,"",0'];
const VERBOSE_CME: Record<number, string> = { 11: 'SIM PIN required', 16: 'incorrect password' };
const VERBOSE_CMS: Record<number, string> = { 21: 'Short message transfer rejected', 42: 'Congestion', 47: 'Resources unavailable, unspecified', 302: 'operation not allowed', 304: 'Invalid PDU mode parameter', 331: 'No network service', 332: 'Network timeout', 500: 'Unknown error' };

/** mulberry32: small, fast, good enough for fault schedules. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulatedModemOptions {
  id: string;
  profile: ModemProfile;
  /** Network time to accept one submit. */
  submitMs?: number;
  /** Silent time after a reset before the boot URCs. */
  bootMs?: number;
  simPin?: string;
  faults?: Partial<FaultConfig>;
  record?: (r: SimRecord) => void;
  now?: () => number;
  /** Called with each command line as it arrives (benchmarks time the driver with it). */
  onCommand?: (line: string) => void;
}

export interface SimStats {
  commands: number;
  submits: number;
  accepted: number;
  recorded: number;
  temporaryErrors: number;
  permanentErrors: number;
  ambiguous: number;
  hangs: number;
  reboots: number;
}

type Mode = 'command' | 'pdu' | 'hung' | 'off';

/** Accepted SMS kept in memory for tests and benchmarks; older ones are only in the record file. */
const ACCEPTED_KEPT = 5000;

const CTRL_Z = '\u001a';
const PDU_CONTROLS = new Set([CTRL_Z, '\u001b']);
const LINE_CONTROLS = new Set(['\r', CTRL_Z, '\u001b']);
const NOT_HEX = /[^0-9A-Fa-f]/g;
const MAX_LINE = 1024;

/** Index of the first character of `data` from `from` on that is in `set`, or data.length. */
function indexOfAny(data: string, from: number, set: ReadonlySet<string>): number {
  for (let i = from; i < data.length; i++) if (set.has(data[i]!)) return i;
  return data.length;
}

export class SimulatedModem {
  readonly accepted: SimRecord[] = [];
  readonly stats: SimStats = { commands: 0, submits: 0, accepted: 0, recorded: 0, temporaryErrors: 0, permanentErrors: 0, ambiguous: 0, hangs: 0, reboots: 0 };
  private stream: Duplex | null = null;
  private mode: Mode = 'command';
  private input = '';
  private echo = true;
  private cmee = 0;
  private cmgf = 0;
  private pinOk: boolean;
  private lostUntil = 0;
  private pduLength = 0;
  private mr = 0;
  private faults: FaultConfig;
  private rand: () => number;
  private timers = new Set<NodeJS.Timeout>();
  private partial = new Map<string, { total: number; parts: Map<number, string> }>();
  private out: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly o: SimulatedModemOptions) {
    this.faults = { ...NO_FAULTS, ...o.faults };
    this.rand = prng(this.faults.seed);
    this.pinOk = !o.simPin;
    this.now = o.now ?? Date.now;
  }

  setFaults(f: Partial<FaultConfig>): void {
    this.faults = { ...this.faults, ...f };
    if (f.seed !== undefined) this.rand = prng(f.seed);
  }

  /** Connects the modem side of a line. Reattaching is what "reopen the port" does to a hang. */
  attach(stream: Duplex): void {
    this.detach();
    this.stream = stream;
    if (this.mode === 'hung' && this.faults.hangClears === 'reopen') this.mode = 'command';
    if (this.mode === 'pdu') this.mode = 'command';
    this.input = '';
    stream.on('data', (b: Buffer) => this.receive(b.toString('latin1')));
    stream.once('close', () => {
      if (this.stream === stream) this.stream = null;
    });
  }

  detach(): void {
    const s = this.stream;
    this.stream = null;
    s?.removeAllListeners('data');
  }

  /** Spontaneous or commanded reboot: silent for bootMs, then the profile's boot URCs. */
  reboot(): void {
    this.stats.reboots++;
    this.mode = 'off';
    this.input = '';
    this.echo = true;
    this.cmee = 0;
    this.cmgf = 0;
    this.pinOk = !this.o.simPin;
    this.partial.clear();
    this.later(this.o.bootMs ?? 300, () => {
      this.mode = 'command';
      for (const u of this.o.profile.bootUrcs) this.send(`\r\n${u}\r\n`);
      if (this.o.profile.smsReadyUrc && !this.o.profile.bootUrcs.includes(this.o.profile.smsReadyUrc)) this.send(`\r\n${this.o.profile.smsReadyUrc}\r\n`);
    });
  }

  hang(): void {
    this.stats.hangs++;
    this.mode = 'hung';
  }

  /** The power key: clears any hang and reboots. */
  powerCycle(): void {
    this.mode = 'off';
    this.reboot();
  }

  loseRegistration(ms: number): void {
    this.lostUntil = this.now() + ms;
    this.send('\r\n+CREG: 2\r\n');
    this.later(ms, () => this.send('\r\n+CREG: 1\r\n'));
  }

  registered(): boolean {
    return this.now() >= this.lostUntil;
  }

  shutdown(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.detach();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Output, optionally fragmented and slowed, always in order. */
  private send(text: string): void {
    const stream = this.stream;
    if (!stream || this.mode === 'off') return;
    const chunks: string[] = [];
    if (this.faults.fragmentWrites) {
      let i = 0;
      while (i < text.length) {
        const n = 1 + Math.floor(this.rand() * 6);
        chunks.push(text.slice(i, i + n));
        i += n;
      }
    } else chunks.push(text);
    const delay = this.faults.chunkDelayMs;
    this.out = this.out.then(async () => {
      for (const c of chunks) {
        if (delay || this.faults.fragmentWrites) await new Promise((r) => setTimeout(r, delay || 1));
        if (this.stream === stream && !stream.destroyed) stream.write(Buffer.from(c, 'latin1'));
      }
    });
  }

  private final(result: string): void {
    if (this.faults.urcNoiseRate > 0 && this.rand() < this.faults.urcNoiseRate) {
      this.send(`\r\n${NOISE[Math.floor(this.rand() * NOISE.length)]}\r\n`);
    }
    this.send(`\r\n${result}\r\n`);
  }

  private error(kind: 'CMS' | 'CME', code: number): void {
    if (this.cmee === 0) return this.final('ERROR');
    const verbose = (kind === 'CME' ? VERBOSE_CME : VERBOSE_CMS)[code];
    const text = this.cmee === 2 && verbose ? verbose : String(code);
    this.final(`+${kind} ERROR: ${text}`);
  }

  /** Input from the driver, taken a run of ordinary characters at a time (a PDU is hundreds of them). */
  private receive(data: string): void {
    let i = 0;
    while (i < data.length && this.mode !== 'off' && this.mode !== 'hung') {
      i = this.mode === 'pdu' ? this.receivePdu(data, i) : this.receiveCommand(data, i);
    }
  }

  /** PDU hex after the `> ` prompt, up to Ctrl-Z (send) or ESC (cancel); anything else is ignored. */
  private receivePdu(data: string, from: number): number {
    const end = indexOfAny(data, from, PDU_CONTROLS);
    const hex = data.slice(from, end).replace(NOT_HEX, '');
    if (hex) {
      this.input += hex;
      if (this.echo) this.send(hex);
    }
    if (end === data.length) return end;
    const pdu = this.input;
    this.input = '';
    this.mode = 'command';
    if (data[end] === CTRL_Z) this.submit(pdu);
    else this.final('OK');
    return end + 1;
  }

  /** A command line up to CR; ESC or Ctrl-Z discards it; LF is ignored; a line past 1024 characters starts over. */
  private receiveCommand(data: string, from: number): number {
    const end = indexOfAny(data, from, LINE_CONTROLS);
    if (this.echo) this.send(data.slice(from, Math.min(end + 1, data.length)));
    const text = data.slice(from, end).replaceAll('\n', '');
    if (text) {
      this.input += text;
      if (this.input.length > MAX_LINE) this.input = this.input.slice(this.input.length - (this.input.length % (MAX_LINE + 1)));
    }
    if (end === data.length) return end;
    const line = data[end] === '\r' ? this.input.trim() : '';
    this.input = '';
    if (line) this.command(line);
    return end + 1;
  }

  private command(line: string): void {
    this.stats.commands++;
    this.o.onCommand?.(line);
    const f = this.faults;
    if (f.hangRate > 0 && this.rand() < f.hangRate) return this.hang();
    if (f.rebootRate > 0 && this.rand() < f.rebootRate) return this.reboot();
    if (f.loseRegistrationRate > 0 && this.rand() < f.loseRegistrationRate) this.loseRegistration(f.lostRegistrationMs);
    const up = line.toUpperCase();
    const p = this.o.profile;
    const ok = (...lines: string[]) => {
      for (const l of lines) this.send(`\r\n${l}\r\n`);
      this.final('OK');
    };
    const needSim = () => {
      if (this.pinOk) return false;
      this.error('CME', 11);
      return true;
    };
    let m: RegExpExecArray | null;
    if (up === 'AT' || up === 'ATZ' || up === 'AT&F' || up === 'ATV1') return ok();
    if (up === 'ATE0' || up === 'ATE1') {
      this.echo = up === 'ATE1';
      return ok();
    }
    if (up === 'ATI') return ok(`${p.name} (simulated)`);
    if ((m = /^AT\+CMEE=([012])$/.exec(up))) {
      this.cmee = Number(m[1]);
      return ok();
    }
    if (up === 'AT+CGMI') return ok(p.id.startsWith('ec') ? 'Quectel' : p.id.startsWith('e3') ? 'huawei' : 'SIMCOM_Ltd');
    if (up === 'AT+CGMM') return ok(`${p.id.toUpperCase()}-SIM`);
    if (up === 'AT+CGMR') return ok('Revision:SIM 1.0');
    if (up === 'AT+CGSN') return ok('861234567890123');
    if (up === 'AT+CIMI') return needSim() ? undefined : ok('262019876543210');
    if (up === 'AT+CPIN?') return ok(this.pinOk ? '+CPIN: READY' : '+CPIN: SIM PIN');
    if ((m = /^AT\+CPIN="?(\d{4,8})"?$/.exec(up))) {
      if (this.pinOk) return ok();
      if (m[1] !== this.o.simPin) return this.error('CME', 16);
      this.pinOk = true;
      ok();
      if (p.smsReadyUrc) this.later(20, () => this.send(`\r\n${p.smsReadyUrc}\r\n`));
      return;
    }
    if ((m = /^AT\+(CREG|CGREG|CEREG)\?$/.exec(up))) {
      if (needSim()) return;
      return ok(`+${m[1]}: 0,${this.registered() ? 1 : 2}`);
    }
    if (/^AT\+(CREG|CGREG|CEREG)=\d$/.test(up)) return ok();
    if (up === 'AT+COPS?') return needSim() ? undefined : ok(this.registered() ? '+COPS: 0,0,"SimNet",7' : '+COPS: 0');
    if (up === 'AT+CSQ') return ok(this.registered() ? '+CSQ: 21,0' : '+CSQ: 99,99');
    if ((m = /^AT\+CMGF=([01])$/.exec(up))) {
      this.cmgf = Number(m[1]);
      return ok();
    }
    if (up === 'AT+CMGF?') return ok(`+CMGF: ${this.cmgf}`);
    if (up === 'AT+CSCA?') return ok('+CSCA: "+491710760000",145');
    if (up.startsWith('AT+CSMS') || up.startsWith('AT+CNMI') || up.startsWith('AT+CPMS') || up.startsWith('AT+CSCS') || up.startsWith('AT+CLTS') || up.startsWith('AT+CTZU') || up.startsWith('AT+CIURC') || up.startsWith('AT+IFC') || up.startsWith('AT+QURCCFG') || up.startsWith('AT^CURC') || up.startsWith('AT+CNMP')) return ok();
    if (up === 'AT+CFUN?') return ok('+CFUN: 1');
    if (up === 'AT+CFUN=1,1' || up === 'AT+CFUN=1,1,0' || up === 'AT+CRESET') {
      ok();
      this.later(20, () => this.reboot());
      return;
    }
    if (up === 'AT+CCLK?') {
      const d = new Date(this.now());
      const pad = (n: number) => String(n).padStart(2, '0');
      return ok(`+CCLK: "${pad(d.getUTCFullYear() % 100)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())},${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+00"`);
    }
    if ((m = /^AT\+CMGS=(\d{1,3})$/.exec(up))) {
      if (needSim()) return;
      if (this.cmgf !== 0) return this.error('CMS', 302);
      if (!this.registered()) return this.error('CMS', 331);
      this.pduLength = Number(m[1]);
      this.mode = 'pdu';
      this.input = '';
      this.send('\r\n> ');
      return;
    }
    this.final('ERROR');
  }

  private submit(hex: string): void {
    this.stats.submits++;
    const f = this.faults;
    let decoded;
    try {
      const smscLen = parseInt(hex.slice(0, 2), 16);
      if (!Number.isFinite(smscLen) || hex.length / 2 - 1 - smscLen !== this.pduLength) throw new PduError('length mismatch');
      decoded = decodeSubmit(hex);
    } catch {
      return this.error('CMS', 304);
    }
    if (!this.registered()) return this.error('CMS', 331);
    if (f.rebootRate > 0 && this.rand() < f.rebootRate) return this.reboot();
    if (f.temporaryErrorRate > 0 && this.rand() < f.temporaryErrorRate) {
      this.stats.temporaryErrors++;
      return this.later(this.o.submitMs ?? 0, () => this.error('CMS', TEMPORARY_CMS[Math.floor(this.rand() * TEMPORARY_CMS.length)]!));
    }
    if (f.permanentErrorRate > 0 && this.rand() < f.permanentErrorRate) {
      this.stats.permanentErrors++;
      return this.later(this.o.submitMs ?? 0, () => this.error('CMS', 21));
    }
    const ambiguous = f.ambiguousRate > 0 && this.rand() < f.ambiguousRate;
    this.later(this.o.submitMs ?? 0, () => {
      if (this.mode === 'off') return; // rebooted meanwhile: the message was lost with the modem's RAM
      this.accept(decoded);
      if (ambiguous) {
        this.stats.ambiguous++;
        return; // gone out, but the answer never comes
      }
      const mr = this.mr;
      this.mr = (this.mr + 1) % 256;
      this.send(`\r\n+CMGS: ${mr}\r\n`);
      this.final('OK');
    });
  }

  private accept(d: ReturnType<typeof decodeSubmit>): void {
    this.stats.accepted++;
    const t = this.now();
    if (!d.concat || d.concat.total <= 1) return this.recordOne({ t, to: d.to, text: d.text, modem: this.o.id });
    const key = `${d.to}/${d.concat.ref}/${d.concat.total}`;
    const entry = this.partial.get(key) ?? { total: d.concat.total, parts: new Map<number, string>() };
    entry.parts.set(d.concat.seq, d.text);
    this.partial.set(key, entry);
    if (entry.parts.size === entry.total) {
      this.partial.delete(key);
      const text = [...entry.parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).join('');
      this.recordOne({ t, to: d.to, text, modem: this.o.id });
    }
  }

  private recordOne(r: SimRecord): void {
    this.stats.recorded++;
    this.accepted.push(r);
    // The embedded default runs for months: memory keeps the newest; the JSONL file keeps all.
    if (this.accepted.length > ACCEPTED_KEPT) this.accepted.splice(0, this.accepted.length - ACCEPTED_KEPT);
    this.o.record?.(r);
  }
}

import type { Duplex } from 'node:stream';
import type { ModemProfile } from '../modem/profile.js';
import { decodeSubmit, encodeDeliver, encodeStatusReport, PduError } from '../modem/pdu.js';
import type { SimRecord } from './record.js';

/**
 * A GSM modem at the AT level, imitating a profile: echo, verbose or numeric errors, SIM PIN,
 * registration, PDU-mode AT+CMGS with the `> ` prompt, boot URCs, and the faults the driver must
 * survive, drawn from a seeded generator so a run can be repeated exactly. Its SIM store
 * (`AT+CMGR/CMGL/CMGD`, `+CMTI`) is bounded like a real one: while it is full the modem refuses
 * new SMS ("memory capacity exceeded", 3GPP TS 23.040), the network keeps them and delivers them
 * again once a deletion made room (the modem's RP-SMMA); sending never touches the store.
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
  /** Per submit: the SMS goes out but +CMGS/OK is lost, and the modem is deaf for deafMs. */
  lostAckRate: number;
  deafMs: number;
  /** Per command (not AT+CMGS): the answer comes lateAnswerMs late (after the driver's timeout). */
  lateAnswerRate: number;
  lateAnswerMs: number;
  /** From RDY to "SMS Ready" after a boot; +CREG: 1 comes before it. SMS commands fail with 302 until then. */
  smsReadyDelayMs: number;
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
  lostAckRate: 0,
  deafMs: 10_000,
  lateAnswerRate: 0,
  lateAnswerMs: 3000,
  smsReadyDelayMs: 300,
};

const TEMPORARY_CMS = [42, 47, 331, 332, 512, 513, 514];
const NOISE = ['RING', '+CMTI: "SM",3', '+CREG: 1', '^RSSI: 17', '+CIEV: 2,3', '+CLIP: "+491701111111",145,"",0,"",0'];
const VERBOSE_CME: Record<number, string> = { 11: 'SIM PIN required', 16: 'incorrect password' };
const VERBOSE_CMS: Record<number, string> = {
  21: 'Short message transfer rejected',
  42: 'Congestion',
  47: 'Resources unavailable, unspecified',
  302: 'operation not allowed',
  304: 'Invalid PDU mode parameter',
  331: 'No network service',
  332: 'Network timeout',
  500: 'Unknown error',
};

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
  /** Status reports for accepted submits that asked for one (SRR), after this delay; null = none. */
  reportDelayMs?: number | null;
  /** Status the reports carry (0 delivered, 0x46 validity expired ...). */
  reportStatus?: number;
  /** USSD answers by code; unknown codes get "+CUSD: 4". */
  ussd?: Record<string, string>;
  /** Slots of the SIM store ("SM") and of the report store ("SR"). */
  storeSize?: number;
  /** From a deletion that made room to the network's next delivery of what it kept. */
  redeliverMs?: number;
}

/** A stored message: its PDU and status (0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT). */
export interface StoredPdu {
  pdu: string;
  stat: number;
}

export interface DeliverOptions {
  /** TP-SCTS, epoch ms. */
  t?: number;
  /** Concatenation reference (random from the seed when absent). */
  ref?: number;
  /** Deliver only these parts (1-based) now: the rest come later, or never. */
  parts?: number[];
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
  lostAcks: number;
  lateAnswers: number;
  reports: number;
  /** +CMS ERROR: 302 answered because SMS was not ready yet (after a boot). */
  notReadyErrors: number;
  /** Incoming SMS refused because the SIM store was full (the network keeps them). */
  refusedFull: number;
}

type Mode = 'command' | 'pdu' | 'hung' | 'off' | 'deaf';

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
  readonly stats: SimStats = {
    commands: 0,
    submits: 0,
    accepted: 0,
    recorded: 0,
    temporaryErrors: 0,
    permanentErrors: 0,
    ambiguous: 0,
    hangs: 0,
    reboots: 0,
    lostAcks: 0,
    lateAnswers: 0,
    reports: 0,
    notReadyErrors: 0,
    refusedFull: 0,
  };
  /** Whether the device exists (false: a HAT unplugged, a USB modem renumbered). */
  present = true;
  /** SMS commands work (after "SMS Ready"). */
  smsReady = true;
  private cnmi = { mt: 0, ds: 0 };
  private s7 = 60;
  private mem1 = 'SM';
  /** Stored messages per memory ("SM" incoming, "SR" status reports), by index. Kept across reboots: it is on the SIM. */
  readonly store = new Map<string, Map<number, StoredPdu>>([
    ['SM', new Map()],
    ['SR', new Map()],
  ]);
  private readonly storeSize: number;
  /** SMS the network keeps because the store was full, oldest first. */
  readonly atNetwork: string[] = [];
  private redeliverPending = false;
  /** Every submit the network took: MR → recipient, for status reports. */
  readonly submits: Array<{ mr: number; to: string; t: number; text: string; statusReport: boolean; rejectDuplicates: boolean }> = [];
  private stream: Duplex | null = null;
  private mode: Mode = 'command';
  private input = '';
  private echo = true;
  private cmee = 0;
  private cmgf = 0;
  /** The service centre address, as AT+CSCA set it (kept on the SIM across reboots). */
  smsc = '+491710760000';
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
    this.smsReady = !o.simPin;
    this.now = o.now ?? Date.now;
    this.storeSize = o.storeSize ?? 30;
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

  /** The device vanishes (USB unplugged, HAT brown-out of the USB hub): the line closes. */
  unplug(): void {
    this.present = false;
    const s = this.stream;
    this.detach();
    s?.destroy();
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
    this.smsReady = false;
    this.cnmi = { mt: 0, ds: 0 };
    this.mem1 = 'SM';
    this.bootTimers.forEach((t) => clearTimeout(t));
    this.bootTimers = [];
    this.bootLater(this.o.bootMs ?? 300, () => {
      this.mode = 'command';
      const smsUrc = this.o.profile.smsReadyUrc;
      for (const u of this.o.profile.bootUrcs) if (u !== smsUrc) this.send(`\r\n${u === '+CPIN: READY' && !this.pinOk ? '+CPIN: SIM PIN' : u}\r\n`);
      // The network registers before SMS is ready: a driver that sends now meets +CMS ERROR: 302.
      if (this.creg > 0 && this.registered()) this.send(`\r\n+CREG: 1\r\n`);
      this.bootLater(this.faults.smsReadyDelayMs, () => {
        if (!this.pinOk) return; // SMS comes up once the PIN is in
        this.smsReady = true;
        if (smsUrc) this.send(`\r\n${smsUrc}\r\n`);
      });
    });
  }

  private bootTimers: NodeJS.Timeout[] = [];
  private creg = 0;

  /** Boot steps: a second reboot cancels the first one's later steps. */
  private bootLater(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.bootTimers = this.bootTimers.filter((x) => x !== t);
      fn();
    }, ms);
    this.timers.add(t);
    this.bootTimers.push(t);
  }

  /** An SMS arrives from the network: stored with +CMTI (mt 1) or routed with +CMT (mt 2). Returns its PDUs. */
  deliver(from: string, text: string, o: number | DeliverOptions = {}): string[] {
    const opt = typeof o === 'number' ? { t: o } : o;
    const pdus = encodeDeliver({ from, text, t: opt.t ?? this.now(), concatRef: opt.ref ?? Math.floor(this.rand() * 256) });
    for (const [i, pdu] of pdus.entries()) if (!opt.parts || opt.parts.includes(i + 1)) this.fromNetwork(pdu);
    return pdus;
  }

  /** One SMS-DELIVER PDU from the network. */
  fromNetwork(pdu: string): void {
    if (this.cnmi.mt === 2) {
      this.send(`\r\n+CMT: ,${pdu.length / 2 - 1}\r\n${pdu}\r\n`);
      return;
    }
    const index = this.storeMessage('SM', pdu);
    if (index === null) {
      // "Memory capacity exceeded": the network keeps it and tries again once there is room.
      this.stats.refusedFull++;
      this.atNetwork.push(pdu);
      return;
    }
    if (this.cnmi.mt === 1) this.send(`\r\n+CMTI: "SM",${index}\r\n`);
  }

  /** Stores a PDU; null when the store is full. */
  private storeMessage(mem: string, pdu: string, stat = 0): number | null {
    const m = this.store.get(mem)!;
    if (m.size >= this.storeSize) return null;
    let i = this.o.profile.id === 'sim800' ? 1 : 0;
    while (m.has(i)) i++;
    m.set(i, { pdu, stat });
    return i;
  }

  /** A deletion made room: the modem tells the network (RP-SMMA), which delivers what it kept. */
  private roomMade(): void {
    if (!this.atNetwork.length || this.redeliverPending) return;
    this.redeliverPending = true;
    this.later(this.o.redeliverMs ?? 1000, () => {
      this.redeliverPending = false;
      while (this.atNetwork.length && this.store.get('SM')!.size < this.storeSize) this.fromNetwork(this.atNetwork.shift()!);
    });
  }

  /** Fills the SIM store (the "full SIM" fault) with read messages, or with `stat` ones (2, 3: stored outgoing). */
  fillStore(stat = 1): void {
    while (this.storeMessage('SM', encodeDeliver({ from: '+4915100000000', text: 'old', t: this.now() })[0]!, stat) !== null);
  }

  /** A status report for an accepted submit, as +CDS (ds 1) or stored with +CDSI (ds 2). */
  report(mr: number, status = this.o.reportStatus ?? 0): void {
    // The newest submit with this reference (TP-MR wraps at 256), found without copying the list.
    let sub: (typeof this.submits)[number] | undefined;
    for (let i = this.submits.length - 1; i >= 0 && !sub; i--) if (this.submits[i]!.mr === mr) sub = this.submits[i];
    if (!sub) return;
    this.stats.reports++;
    const pdu = encodeStatusReport({ reference: mr, recipient: sub.to, submittedAt: sub.t, dischargedAt: this.now(), status });
    if (this.cnmi.ds === 1) return this.send(`\r\n+CDS: ${pdu.length / 2 - 1}\r\n${pdu}\r\n`);
    if (this.cnmi.ds === 2) {
      const index = this.storeMessage('SR', pdu);
      if (index !== null) this.send(`\r\n+CDSI: "SR",${index}\r\n`);
    }
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
    if (this.creg > 0) this.send('\r\n+CREG: 2\r\n');
    this.later(ms, () => {
      if (this.creg > 0) this.send('\r\n+CREG: 1\r\n');
    });
  }

  /** Stops answering anything for `ms` (what some firmware does after a lost acknowledgement). */
  deafen(ms: number): void {
    this.mode = 'deaf';
    this.input = '';
    this.later(ms, () => {
      if (this.mode === 'deaf') this.mode = 'command';
    });
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
    if (!stream || this.mode === 'off' || this.mode === 'deaf') return;
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
    while (i < data.length && this.mode !== 'off' && this.mode !== 'hung' && this.mode !== 'deaf') {
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
    if (f.lateAnswerRate > 0 && !up.startsWith('AT+CMGS') && this.rand() < f.lateAnswerRate) {
      // Busy for a while: this answer and everything after it come late, in order.
      this.stats.lateAnswers++;
      const ms = f.lateAnswerMs;
      this.out = this.out.then(() => new Promise((r) => setTimeout(r, ms)));
    }
    const smsNotReady = () => {
      if (this.smsReady) return false;
      if (up.startsWith('AT+CMGS')) this.stats.notReadyErrors++;
      this.error('CMS', 302);
      return true;
    };
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
    if (up === 'AT+CMEE?') return ok(`+CMEE: ${this.cmee}`);
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
      this.later(20, () => {
        this.smsReady = true;
        if (p.smsReadyUrc) this.send(`\r\n${p.smsReadyUrc}\r\n`);
      });
      return;
    }
    if ((m = /^AT\+(CREG|CGREG|CEREG)\?$/.exec(up))) {
      if (needSim()) return;
      return ok(`+${m[1]}: 0,${this.registered() ? 1 : 2}`);
    }
    if ((m = /^AT\+(CREG|CGREG|CEREG)=(\d)$/.exec(up))) {
      if (m[1] === 'CREG') this.creg = Number(m[2]);
      return ok();
    }
    if ((m = /^ATS7=(\d{1,3})(S7\?)?$/.exec(up))) {
      this.s7 = Number(m[1]);
      return m[2] ? ok(String(this.s7).padStart(3, '0')) : ok();
    }
    if (up === 'ATS7?') return ok(String(this.s7).padStart(3, '0'));
    if ((m = /^AT\+CNMI=(\d),(\d),(\d),(\d),(\d)$/.exec(up))) {
      if (smsNotReady()) return;
      const ds = Number(m[4]);
      if (ds === 2 && p.id === 'sim800') return this.error('CMS', 303);
      this.cnmi = { mt: Number(m[2]), ds };
      return ok();
    }
    if (up === 'AT+CPMS?') {
      if (smsNotReady()) return;
      const sm = this.store.get('SM')!.size;
      return ok(
        `+CPMS: "${this.mem1}",${this.store.get(this.mem1)!.size},${this.storeSize},"SM",${sm},${this.storeSize},"SM",${sm},${this.storeSize}`,
      );
    }
    if ((m = /^AT\+CPMS="(SM|SR|ME|MT)"/.exec(up))) {
      if (smsNotReady()) return;
      this.mem1 = m[1] === 'SR' ? 'SR' : 'SM';
      return ok(`+CPMS: ${this.store.get(this.mem1)!.size},${this.storeSize},${this.store.get('SM')!.size},${this.storeSize}`);
    }
    if ((m = /^AT\+CMGR=(\d{1,3})$/.exec(up))) {
      if (smsNotReady()) return;
      if (this.cmgf !== 0) return this.error('CMS', 302);
      const stored = this.store.get(this.mem1)!.get(Number(m[1]));
      if (stored === undefined) return this.error('CMS', 321);
      const stat = stored.stat;
      if (stored.stat === 0) stored.stat = 1;
      return ok(`+CMGR: ${stat},,${stored.pdu.length / 2 - 1}`, stored.pdu);
    }
    if ((m = /^AT\+CMGL(?:=(\d))?$/.exec(up))) {
      if (smsNotReady()) return;
      // PDU mode lists by number; "ALL" and the other words are text mode's.
      if (this.cmgf !== 0) return this.error('CMS', 302);
      const want = Number(m[1] ?? 0);
      const lines: string[] = [];
      for (const [index, s] of [...this.store.get(this.mem1)!.entries()].sort((a, b) => a[0] - b[0])) {
        if (want !== 4 && s.stat !== want) continue;
        lines.push(`+CMGL: ${index},${s.stat},,${s.pdu.length / 2 - 1}`, s.pdu);
        if (s.stat === 0) s.stat = 1;
      }
      return ok(...lines);
    }
    if ((m = /^AT\+CMGD=(\d{1,3})(?:,(\d))?$/.exec(up))) {
      if (smsNotReady()) return;
      const store = this.store.get(this.mem1)!;
      if (m[2] && m[2] !== '0') store.clear();
      else store.delete(Number(m[1]));
      ok();
      if (this.mem1 === 'SM') this.roomMade();
      return;
    }
    if ((m = /^AT\+CUSD=1,"([0-9*#+]{1,32})"(?:,(\d+))?$/.exec(up))) {
      if (needSim()) return;
      ok();
      const answer = this.o.ussd?.[m[1]!];
      this.later(50, () => this.send(answer === undefined ? '\r\n+CUSD: 4\r\n' : `\r\n+CUSD: 0,"${answer.replaceAll('"', "'")}",15\r\n`));
      return;
    }
    if (up === 'AT+COPS?') return needSim() ? undefined : ok(this.registered() ? '+COPS: 0,0,"SimNet",7' : '+COPS: 0');
    if (up === 'AT+CSQ') return ok(this.registered() ? '+CSQ: 21,0' : '+CSQ: 99,99');
    if ((m = /^AT\+CMGF=([01])$/.exec(up))) {
      this.cmgf = Number(m[1]);
      return ok();
    }
    if (up === 'AT+CMGF?') return ok(`+CMGF: ${this.cmgf}`);
    if (up === 'AT+CSCA?') return ok(`+CSCA: "${this.smsc}",145`);
    if ((m = /^AT\+CSCA="(\+\d{3,20})",145$/.exec(up))) {
      this.smsc = m[1]!;
      return ok();
    }
    if (
      up.startsWith('AT+CSMS') ||
      up.startsWith('AT+CSCS') ||
      up.startsWith('AT+CLTS') ||
      up.startsWith('AT+CTZU') ||
      up.startsWith('AT+CIURC') ||
      up.startsWith('AT+IFC') ||
      up.startsWith('AT+QURCCFG') ||
      up.startsWith('AT^CURC') ||
      up.startsWith('AT+CNMP')
    )
      return ok();
    if (up === 'AT+CFUN?') return ok('+CFUN: 1');
    if (up === 'AT+CFUN=1,1' || up === 'AT+CFUN=1,1,0' || up === 'AT+CRESET') {
      ok();
      this.later(20, () => this.reboot());
      return;
    }
    if (up === 'AT+CCLK?') {
      const d = new Date(this.now());
      const pad = (n: number) => String(n).padStart(2, '0');
      return ok(
        `+CCLK: "${pad(d.getUTCFullYear() % 100)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())},${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+00"`,
      );
    }
    if ((m = /^AT\+CMGS=(\d{1,3})$/.exec(up))) {
      if (needSim()) return;
      if (smsNotReady()) return;
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
    const lostAck = !ambiguous && f.lostAckRate > 0 && this.rand() < f.lostAckRate;
    const bootAt = this.stats.reboots;
    this.later(this.o.submitMs ?? 0, () => {
      // Rebooted meanwhile: the message was lost with the modem's RAM.
      if (this.mode === 'off' || this.stats.reboots !== bootAt) return;
      const mr = this.mr;
      this.mr = (this.mr + 1) % 256;
      this.accept(decoded, mr);
      if (ambiguous) {
        this.stats.ambiguous++;
        return; // gone out, but the answer never comes
      }
      if (lostAck) {
        this.stats.lostAcks++;
        this.deafen(f.deafMs);
        return;
      }
      this.send(`\r\n+CMGS: ${mr}\r\n`);
      this.final('OK');
    });
  }

  private accept(d: ReturnType<typeof decodeSubmit>, mr: number): void {
    this.stats.accepted++;
    const t = this.now();
    this.submits.push({ mr, to: d.to, t, text: d.text, statusReport: d.statusReport, rejectDuplicates: d.rejectDuplicates });
    if (this.submits.length > 512) this.submits.shift();
    const delay = this.o.reportDelayMs;
    if (d.statusReport && delay !== null && delay !== undefined) this.later(delay, () => this.report(mr));
    if (!d.concat || d.concat.total <= 1) return this.recordOne({ t, to: d.to, text: d.text, modem: this.o.id });
    const key = `${d.to}/${d.concat.ref}/${d.concat.total}`;
    const entry = this.partial.get(key) ?? { total: d.concat.total, parts: new Map<number, string>() };
    entry.parts.set(d.concat.seq, d.text);
    this.partial.set(key, entry);
    if (entry.parts.size === entry.total) {
      this.partial.delete(key);
      const text = [...entry.parts.entries()]
        .sort((a, b) => a[0] - b[0])
        .map((e) => e[1])
        .join('');
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

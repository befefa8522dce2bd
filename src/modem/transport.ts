import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SerialPort } from 'serialport';

/**
 * Byte pipes to a modem: a serial device (the real serialport binding), `tcp://host:port`
 * (ser2net, or `smsotpd sim --listen`), or an in-process duplex (the embedded simulator).
 * All can be closed and opened again: recovery reopens a port that vanished (USB replug).
 */
export interface Transport {
  readonly description: string;
  open(): Promise<void>;
  close(): Promise<void>;
  write(data: string | Buffer): Promise<void>;
  isOpen(): boolean;
  /** `data` (Buffer) and `close` (Error | undefined) events. */
  readonly events: EventEmitter;
}

export class TransportError extends Error {
  override name = 'TransportError';
}

abstract class BaseTransport implements Transport {
  readonly events = new EventEmitter();
  abstract readonly description: string;
  abstract open(): Promise<void>;
  abstract close(): Promise<void>;
  abstract write(data: string | Buffer): Promise<void>;
  abstract isOpen(): boolean;
  protected emitData = (b: Buffer) => this.events.emit('data', b);
}

export class SerialTransport extends BaseTransport {
  private port: SerialPort | null = null;
  constructor(
    readonly path: string,
    private readonly baudRate: number,
  ) {
    super();
  }
  get description() {
    return this.path;
  }
  isOpen() {
    return !!this.port?.isOpen;
  }
  async open(): Promise<void> {
    // Loaded on first use: an appliance on the simulator or tcp:// never pays for the native binding.
    const { SerialPort: Port } = await import('serialport');
    return new Promise((resolve, reject) => {
      const port = new Port({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      port.open((err) => {
        if (err) return reject(new TransportError(`cannot open ${this.path}: ${err.message}`));
        this.port = port;
        port.on('data', this.emitData);
        port.once('close', (e?: Error) => {
          if (this.port === port) this.port = null;
          this.events.emit('close', e);
        });
        port.on('error', () => {
          /* reported through close */
        });
        resolve();
      });
    });
  }
  close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
  write(data: string | Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new TransportError(`${this.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(data, (err) => (err ? reject(new TransportError(err.message)) : port.drain(() => resolve())));
    });
  }
}

export class TcpTransport extends BaseTransport {
  private socket: Socket | null = null;
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
  }
  get description() {
    return `tcp://${this.host}:${this.port}`;
  }
  isOpen() {
    return !!this.socket && !this.socket.destroyed;
  }
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port });
      s.setNoDelay(true);
      s.once('connect', () => {
        this.socket = s;
        s.on('data', this.emitData);
        s.once('close', () => {
          if (this.socket === s) this.socket = null;
          this.events.emit('close');
        });
        resolve();
      });
      s.once('error', (err) => {
        if (this.socket !== s) reject(new TransportError(`cannot connect to ${this.description}: ${err.message}`));
      });
    });
  }
  async close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }
  write(data: string | Buffer): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.reject(new TransportError(`${this.description} is not connected`));
    return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(new TransportError(err.message)) : resolve())));
  }
}

/** An in-process duplex from a factory; each open() asks the factory for a fresh connection. */
export class StreamTransport extends BaseTransport {
  private stream: Duplex | null = null;
  constructor(
    readonly description: string,
    private readonly connectFn: () => Duplex,
  ) {
    super();
  }
  isOpen() {
    return !!this.stream && !this.stream.destroyed;
  }
  async open(): Promise<void> {
    const s = this.connectFn();
    this.stream = s;
    s.on('data', this.emitData);
    s.once('close', () => {
      if (this.stream === s) this.stream = null;
      this.events.emit('close');
    });
  }
  async close(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    s?.destroy();
  }
  write(data: string | Buffer): Promise<void> {
    const s = this.stream;
    if (!s || s.destroyed) return Promise.reject(new TransportError(`${this.description} is closed`));
    return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(new TransportError(err.message)) : resolve())));
  }
}

export function createTransport(device: string, baudRate: number): Transport {
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(device);
  const port = Number(tcp?.[2]);
  if (tcp && port >= 1 && port <= 65535) return new TcpTransport(tcp[1]!.replace(/^\[|\]$/g, ''), port);
  if (device.startsWith('tcp:')) throw new TransportError(`bad device "${device}": use tcp://host:port (port 1-65535)`);
  return new SerialTransport(device, baudRate);
}

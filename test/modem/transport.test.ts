import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, SerialTransport, StreamTransport, TcpTransport, TransportError } from '../../src/modem/transport.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function waitFor(fn: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!fn()) throw new Error(`timed out waiting for ${what}`);
}

/** A loopback server standing in for ser2net: what it receives, and its side of each connection. */
async function ser2net(): Promise<{ port: number; sockets: Socket[]; received: () => string }> {
  const sockets: Socket[] = [];
  let got = '';
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => (got += d.toString('latin1')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, sockets, received: () => got };
}

describe('choosing the transport from the device', () => {
  it('tcp://host:port (also an IPv6 literal) is TCP; anything else is a serial path', () => {
    expect(createTransport('tcp://127.0.0.1:7777', 115200)).toBeInstanceOf(TcpTransport);
    expect(createTransport('tcp://127.0.0.1:7777', 115200).description).toBe('tcp://127.0.0.1:7777');
    expect(createTransport('tcp://[::1]:7777', 115200).description).toBe('tcp://::1:7777');
    expect(createTransport('tcp://modem-host:2001', 9600).description).toBe('tcp://modem-host:2001');
    const serial = createTransport('/dev/serial/by-id/usb-Quectel-if02', 115200);
    expect(serial).toBeInstanceOf(SerialTransport);
    expect(serial.description).toBe('/dev/serial/by-id/usb-Quectel-if02');
    expect(serial.isOpen()).toBe(false);
  });

  it('a tcp: device that is not tcp://host:port is refused with the form to use', () => {
    for (const bad of ['tcp:127.0.0.1:7777', 'tcp://127.0.0.1', 'tcp://127.0.0.1:77777', 'tcp://127.0.0.1:0', 'tcp://host:port', 'tcp://a/b:1']) {
      expect(() => createTransport(bad, 115200), bad).toThrow(TransportError);
    }
    expect(() => createTransport('tcp:x', 1)).toThrow(/use tcp:\/\/host:port/);
  });
});

describe('TCP (ser2net, smsotpd sim --listen) on loopback', () => {
  it('bytes both ways; the far end closing is a close event; writing then fails clearly', async () => {
    const far = await ser2net();
    const t = new TcpTransport('127.0.0.1', far.port);
    expect(t.isOpen()).toBe(false);
    await expect(t.write('AT\r')).rejects.toThrow(/is not connected/);
    await t.open();
    expect(t.isOpen()).toBe(true);
    const data: string[] = [];
    let closed = 0;
    t.events.on('data', (b: Buffer) => data.push(b.toString('latin1')));
    t.events.on('close', () => closed++);
    await t.write('AT\r');
    await t.write(Buffer.from([0x1a]));
    await waitFor(() => far.received() === 'AT\r\u001a', 'bytes at the far end');
    far.sockets[0]!.write('\r\nOK\r\n');
    await waitFor(() => data.join('') === '\r\nOK\r\n', 'the answer');
    far.sockets[0]!.destroy();
    await waitFor(() => closed === 1, 'close');
    expect(t.isOpen()).toBe(false);
    await expect(t.write('AT\r')).rejects.toBeInstanceOf(TransportError);
  });

  it('open again after close (recovery reopens the port): a new connection; the old one is gone', async () => {
    const far = await ser2net();
    const t = new TcpTransport('127.0.0.1', far.port);
    await t.open();
    await t.close();
    expect(t.isOpen()).toBe(false);
    await t.close();
    await t.open();
    await waitFor(() => far.sockets.length === 2, 'second connection');
    await waitFor(() => far.sockets[0]!.destroyed || far.sockets[0]!.readableEnded, 'first connection closed');
    await t.write('x');
    await waitFor(() => far.received() === 'x', 'byte on the new connection');
    await t.close();
  });

  it('nothing listening: the open fails with where it tried', async () => {
    const far = await ser2net();
    const port = far.port;
    await cleanup.pop()!();
    await expect(new TcpTransport('127.0.0.1', port).open()).rejects.toThrow(new RegExp(`cannot connect to tcp://127\\.0\\.0\\.1:${port}`));
  });
});

describe('in-process duplex (the embedded simulator)', () => {
  it('each open asks the factory for a fresh line; close destroys it; writes after close fail', async () => {
    const lines: PassThrough[] = [];
    const t = new StreamTransport('simulator:m1', () => {
      const s = new PassThrough();
      lines.push(s);
      return s;
    });
    expect(t.isOpen()).toBe(false);
    await expect(t.write('AT')).rejects.toThrow(/simulator:m1 is closed/);
    await t.open();
    const data: string[] = [];
    let closed = 0;
    t.events.on('data', (b: Buffer) => data.push(b.toString()));
    t.events.on('close', () => closed++);
    await t.write('ping');
    await waitFor(() => data.join('') === 'ping', 'echo through the pass-through');
    await t.close();
    expect(t.isOpen()).toBe(false);
    expect(lines[0]!.destroyed).toBe(true);
    await waitFor(() => closed === 1, 'close');
    await t.open();
    expect(lines).toHaveLength(2);
    expect(t.isOpen()).toBe(true);
    // The old line closing later does not close the new one.
    lines[0]!.emit('close');
    expect(t.isOpen()).toBe(true);
    await t.close();
  });

  it('a factory that throws (the device is missing) fails the open', async () => {
    const t = new StreamTransport('simulator:m2', () => {
      throw new TransportError('simulator:m2: no such device');
    });
    await expect(t.open()).rejects.toThrow(/no such device/);
    expect(t.isOpen()).toBe(false);
  });
});

describe('serial port (the real binding; pseudo-terminals in driver.test.ts)', () => {
  it('a device that is not there: a TransportError naming it; writing to it fails clearly', async () => {
    const t = new SerialTransport('/dev/smsotpd-no-such-tty', 115200);
    await expect(t.open()).rejects.toThrow(/cannot open \/dev\/smsotpd-no-such-tty/);
    expect(t.isOpen()).toBe(false);
    await expect(t.write('AT\r')).rejects.toThrow(/\/dev\/smsotpd-no-such-tty is not open/);
    await t.close();
  });
});

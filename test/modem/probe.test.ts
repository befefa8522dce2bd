import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSerialPorts, probeModem } from '../../src/modem/probe.js';
import { serveSimulator } from '../../src/sim/serve.js';
import { tempDir } from '../helpers/harness.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('serial ports worth trying', () => {
  it('stable /dev/serial/by-id names first (with what they point to), then USB, ACM and UART devices; nothing else', () => {
    const dev = tempDir('smsotpd-dev-');
    cleanup.push(() => rmSync(dev, { recursive: true, force: true }));
    for (const f of [
      'ttyUSB2',
      'ttyUSB10',
      'ttyACM0',
      'ttyAMA0',
      'ttyS0',
      'ttyS1',
      'serial0',
      'smsotpd-modem',
      'smsotpd-modem2',
      'tty0',
      'ttyUSB',
      'null',
    ])
      writeFileSync(path.join(dev, f), '');
    mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    symlinkSync('../../ttyUSB2', path.join(dev, 'serial', 'by-id', 'usb-Quectel_EC25-if02-port0'));
    symlinkSync('../../ttyUSB9', path.join(dev, 'serial', 'by-id', 'usb-gone-if00-port0'));
    const ports = listSerialPorts(dev);
    expect(ports).toEqual([
      { path: path.join(dev, 'serial', 'by-id', 'usb-Quectel_EC25-if02-port0'), target: path.join(dev, 'ttyUSB2'), kind: 'by-id' },
      // A link whose device just vanished is listed without a target.
      { path: path.join(dev, 'serial', 'by-id', 'usb-gone-if00-port0'), target: undefined, kind: 'by-id' },
      { path: path.join(dev, 'serial0'), kind: 'uart' },
      { path: path.join(dev, 'smsotpd-modem'), kind: 'uart' },
      { path: path.join(dev, 'smsotpd-modem2'), kind: 'uart' },
      { path: path.join(dev, 'ttyACM0'), kind: 'acm' },
      { path: path.join(dev, 'ttyAMA0'), kind: 'uart' },
      { path: path.join(dev, 'ttyS0'), kind: 'uart' },
      { path: path.join(dev, 'ttyUSB10'), kind: 'usb' },
      { path: path.join(dev, 'ttyUSB2'), kind: 'usb' },
    ]);
  });

  it('no by-id folder (no USB serial device), or no device folder at all', () => {
    const dev = tempDir('smsotpd-dev-');
    cleanup.push(() => rmSync(dev, { recursive: true, force: true }));
    writeFileSync(path.join(dev, 'ttyAMA0'), '');
    expect(listSerialPorts(dev)).toEqual([{ path: path.join(dev, 'ttyAMA0'), kind: 'uart' }]);
    expect(listSerialPorts(path.join(dev, 'missing'))).toEqual([]);
  });
});

describe('probing a modem (the simulator served on loopback, as ser2net would serve one)', () => {
  async function served(o: { profile?: string; simPin?: string } = {}) {
    const s = await serveSimulator({ listen: 'tcp://127.0.0.1:0', dataDir: tempDir(), submitMs: 10, ...o });
    cleanup.push(() => s.close());
    return s;
  }

  it('identity, SIM, signal, registration, operator, and the profile that fits', async () => {
    const s = await served();
    expect(await probeModem(`tcp://127.0.0.1:${s.port}`, { timeoutMs: 2000 })).toEqual({
      device: `tcp://127.0.0.1:${s.port}`,
      manufacturer: 'SIMCOM_Ltd',
      model: 'SIM800-SIM',
      revision: 'Revision:SIM 1.0',
      imei: '861234567890123',
      sim: 'READY',
      signalDbm: -71,
      registration: 'home',
      operator: 'SimNet',
      suggestedProfile: 'sim800',
    });
  });

  it('another model suggests its own profile; a SIM that waits for its PIN says so', async () => {
    const ec25 = await served({ profile: 'ec25' });
    expect(await probeModem(`tcp://127.0.0.1:${ec25.port}`, { timeoutMs: 2000 })).toMatchObject({
      manufacturer: 'Quectel',
      suggestedProfile: 'ec25',
    });
    const locked = await served({ profile: 'sim7600', simPin: '1234' });
    expect(await probeModem(`tcp://127.0.0.1:${locked.port}`, { timeoutMs: 2000 })).toMatchObject({
      sim: 'SIM PIN',
      operator: null,
      suggestedProfile: 'sim7600',
    });
  });

  it('a port where nothing answers AT: a clear error, and the port is closed again', async () => {
    const sockets: Socket[] = [];
    let closed = 0;
    const written: string[] = [];
    const server: Server = createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => written.push(String(d)));
      s.on('close', () => closed++);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    await expect(probeModem(`tcp://127.0.0.1:${port}`, { timeoutMs: 100 })).rejects.toThrow(
      /no answer to AT \(wrong port, baud rate, or the modem is off\)/,
    );
    for (let i = 0; i < 100 && closed < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sockets).toHaveLength(1);
    expect(closed).toBe(1);
    // Three tries, each leaving a prompt with ESC first.
    expect(written.join('').match(/\u001b/g)).toHaveLength(3);
  });

  it('a port that cannot be opened', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    await expect(probeModem(`tcp://127.0.0.1:${port}`)).rejects.toThrow(/cannot connect to tcp:\/\/127\.0\.0\.1/);
  });
});

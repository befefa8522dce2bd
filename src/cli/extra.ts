import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { listSerialPorts, probeModem } from '../modem/probe.js';
import { serveSimulator } from '../sim/serve.js';
import { CliError } from './client.js';
import { describeError } from './errors.js';

/**
 * Commands that are not admin API calls (modem tools, the simulator server). Each owns its
 * argument handling; main.ts only routes to them and lists their usage lines.
 */
export interface ExtraCommand {
  name: string;
  usage: string;
  run(args: string[], options: Record<string, string | boolean | undefined>): Promise<number>;
}

const out = (s: string) => process.stdout.write(`${s}\n`);

export const extraCommands: ExtraCommand[] = [
  {
    name: 'modem',
    usage: 'modem list | modem probe DEVICE [--baud N]  serial ports; identity, SIM, signal, suggested profile',
    async run(args, o) {
      if (args[0] === 'list') {
        const ports = listSerialPorts();
        if (!ports.length) out('no serial ports found (plug the modem in; a HAT on the GPIO UART is /dev/serial0)');
        for (const p of ports) out(`${p.path}${p.target ? ` -> ${p.target}` : ''}\t${p.kind}`);
        return 0;
      }
      if (args[0] === 'probe' && args[1]) {
        const r = await probeModem(args[1], { baudRate: o.baud ? Number(o.baud) : undefined }).catch((err: unknown) => {
          const msg = describeError(err);
          throw new CliError(msg.includes(args[1]!) ? msg : `modem probe ${args[1]}: ${msg}`);
        });
        if (o.json) out(JSON.stringify(r, null, 2));
        else for (const [k, v] of Object.entries(r)) out(`${k.padEnd(17)} ${v ?? '-'}`);
        return 0;
      }
      throw new CliError('usage: smsotpd modem list | smsotpd modem probe DEVICE');
    },
  },
  {
    name: 'sim',
    usage:
      "sim --listen tcp://127.0.0.1:PORT [--profile sim800] [--submit-ms 200] [--data-dir DIR]  serve a simulated modem\n             (its SMS go to DIR/sim-sms.jsonl; default <dataDir>/sim-listen, apart from serve's own simulator)",
    async run(_args, o) {
      if (typeof o.listen !== 'string') throw new CliError('sim needs --listen tcp://HOST:PORT');
      // Not the daemon's own data dir: a `serve` with the simulator provider records its SMS in
      // <dataDir>/sim-sms.jsonl too, and two writers would mix one file.
      const dataDir = typeof o['data-dir'] === 'string' ? o['data-dir'] : path.join(loadConfig(o.config as string | undefined).dataDir, 'sim-listen');
      const s = await serveSimulator({
        listen: o.listen,
        profile: typeof o.profile === 'string' ? o.profile : undefined,
        submitMs: typeof o['submit-ms'] === 'string' ? Number(o['submit-ms']) : undefined,
        dataDir,
        faults: typeof o.seed === 'string' ? { seed: Number(o.seed) } : undefined,
      });
      out(`simulated modem on tcp://${s.host}:${s.port}; accepted SMS go to ${path.join(dataDir, 'sim-sms.jsonl')}`);
      const stop = () => void s.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      return -1;
    },
  },
];

#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-old-space-size=256 --max-semi-space-size=2
// The CLI. Its entry is smsotpd.cjs, which also sizes the thread pool (see there); this file keeps
// an interpreter line so that links made to it before (an npx cache, a site's own script) still run.
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { prettyStream } from '../util/pretty-log.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { parseUserCsv } from '../token/users.js';
import { PiError } from '../token/errors.js';
import { callApi, CliError, valueOf } from './client.js';
import { serve } from './serve.js';
import { extraCommands as baseCommands } from './extra.js';
import { deliveryCommands } from './delivery-commands.js';
import { directoryCommand } from './directory.js';

const extraCommands = [...baseCommands, directoryCommand];
import { backup, restore } from './backup.js';
import { doctor, formatChecks } from './doctor.js';
import { debugWanted, EXIT_USAGE, isUsageError, reportError } from './errors.js';
import { commandHelp } from './help.js';
import { importUsersFromCsv } from './user-import.js';
import { tlsCommand } from './tls.js';

const USAGE = `usage: smsotpd <command> [options]   (every command takes --config FILE; SMSOTPD_CONFIG works too)
       smsotpd <command> --help | smsotpd --version   (--debug: the stack of an unexpected error)

  serve                                   run the daemon
  admin add NAME                          create an admin (or change its password); password on stdin
  admin list | admin delete NAME
  user add NAME [--mobile N] [--realm R] [--givenname G] [--surname S]
  user import FILE.csv                    columns: user,realm,mobile,givenname,surname (header row)
  user list [--realm R] [--page N] | user delete NAME [--realm R]   (a directory realm lists the directory)
  token init --user NAME [--realm R] (--phone N | --dynamic-phone) (--pin-stdin | --no-pin)
             [--serial S] [--otplen 6|8] [--description D]   a PIN-less token only with --no-pin (not needed in otppin userstore/none realms)
  token list [--user NAME] [--realm R]
  token delete|enable|disable|reset SERIAL
  token setpin SERIAL                     new PIN on stdin
  apikey add NAME | apikey list | apikey delete NAME
  sms send --to NUMBER --text TEXT        queue a test SMS through the outbox
  sms show ID
  status                                  providers, modems, queue; exits 3 when the daemon is not running
  doctor                                  config, data dir, disk, clock, daemon, modems: each line with a fix
  backup FILE                             consistent snapshot (state + key), safe while running
  restore FILE                            with the daemon stopped; current files are kept aside
  pretty                                  JSON log lines on stdin to readable ones: journalctl -u smsotpd -o cat | smsotpd pretty
${[...extraCommands, tlsCommand].map((c) => `  ${c.usage}`).join('\n')}
${deliveryCommands.map((c) => `  ${c.usage}`).join('\n')}
`;

async function readStdinLine(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`${what}: `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new CliError(`no ${what.toLowerCase()} on standard input`);
  return line;
}

/** The parts of GET /token/'s privacyIDEA token dict that `token list` prints. */
interface TokenLine {
  serial: string;
  username: string;
  user_realm: string;
  active: boolean;
  failcount: number;
  maxfail: number;
  info: { phone?: string; dynamic_phone?: string };
}

const print = (v: unknown) => process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);

function need(positionals: string[], i: number, what: string): string {
  const v = positionals[i];
  if (!v) throw new CliError(`missing ${what} (smsotpd ${positionals[0]} --help)`);
  return v;
}

export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals: pos } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
      debug: { type: 'boolean' },
      'no-pin': { type: 'boolean' },
      mobile: { type: 'string' },
      realm: { type: 'string' },
      givenname: { type: 'string' },
      surname: { type: 'string' },
      user: { type: 'string' },
      phone: { type: 'string' },
      'dynamic-phone': { type: 'boolean' },
      'pin-stdin': { type: 'boolean' },
      serial: { type: 'string' },
      otplen: { type: 'string' },
      description: { type: 'string' },
      to: { type: 'string' },
      text: { type: 'string' },
      listen: { type: 'string' },
      profile: { type: 'string' },
      baud: { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      'submit-ms': { type: 'string' },
      json: { type: 'boolean' },
      page: { type: 'string' },
      pagesize: { type: 'string' },
      timeout: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const [cmd, sub] = pos;
  if (o.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    print(`smsotpd ${pkg.version} (Node.js ${process.version})`);
    return 0;
  }
  if (o.help || !cmd) {
    const help = cmd ? commandHelp(USAGE, cmd) : null;
    if (cmd && !help) throw new CliError(`unknown command "${cmd}" (smsotpd --help lists them)`);
    process.stdout.write(help ?? USAGE);
    return cmd || o.help ? 0 : EXIT_USAGE;
  }
  if (cmd === 'serve') {
    await serve(o.config);
    return -1; // keeps running
  }
  if (cmd === 'pretty') {
    await pipeline(process.stdin, prettyStream(process.stdout));
    return 0;
  }
  if (cmd === 'doctor') {
    const r = await doctor(o.config);
    print(o.json ? r : formatChecks(r.checks));
    return r.ok ? 0 : 1;
  }
  const delivery = deliveryCommands.find((c) => c.name === `${cmd} ${sub ?? ''}`.trim());
  if (delivery) return delivery.run(pos.slice(2), o);
  const extra = [...extraCommands, tlsCommand].find((c) => c.name === cmd);
  if (extra) return extra.run(pos.slice(1), o);

  const config = loadConfig(o.config);
  const api = <T = unknown>(method: string, path: string, body?: unknown) => callApi(config, method, path, body).then((a) => valueOf<T>(a));
  const q = (params: Record<string, string | undefined>) => {
    const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return s ? `?${s}` : '';
  };

  if (cmd === 'backup' || cmd === 'restore') {
    const file = need(pos, 1, 'backup file');
    const msg = cmd === 'backup' ? await backup(config, file) : await restore(config, file);
    if (msg) (file === '-' ? process.stderr : process.stdout).write(`${msg}\n`);
    return 0;
  }

  switch (`${cmd} ${sub ?? ''}`.trim()) {
    case 'admin add': {
      const name = need(pos, 2, 'admin name');
      const password = await readStdinLine('Password');
      const created = await api('POST', '/admin/', { username: name, password });
      print(created ? `admin ${name} created` : `password of admin ${name} changed`);
      return 0;
    }
    case 'admin list':
      print((await api<string[]>('GET', '/admin/')).join('\n'));
      return 0;
    case 'admin delete':
      print((await api('DELETE', `/admin/${encodeURIComponent(need(pos, 2, 'admin name'))}`)) ? 'deleted' : 'no such admin');
      return 0;
    case 'user add': {
      const name = need(pos, 2, 'user name');
      // An empty value would be ignored and the old one kept while we said "saved": refuse it.
      for (const k of ['mobile', 'realm', 'givenname', 'surname'] as const) {
        if (o[k] !== undefined && o[k].trim() === '') {
          throw new CliError(
            `--${k} is empty: give a value${k === 'mobile' ? " (a user's number is changed, not removed, here: delete and add the user to drop it)" : ''}`,
          );
        }
      }
      await api('POST', '/user/', { user: name, realm: o.realm, mobile: o.mobile, givenname: o.givenname, surname: o.surname });
      print(`user ${name} saved`);
      return 0;
    }
    case 'user import': {
      const file = need(pos, 2, 'CSV file');
      print(
        `${await importUsersFromCsv(file, parseUserCsv, (users) => api<number>('POST', '/user/import', { users }), config.sms.defaultRegion)} users imported`,
      );
      return 0;
    }
    case 'user list':
      print(await api('GET', `/user/${q({ realm: o.realm, page: o.page, pagesize: o.pagesize ?? (o.page ? '100' : undefined) })}`));
      return 0;
    case 'user delete':
      print((await api('DELETE', `/user/${encodeURIComponent(need(pos, 2, 'user name'))}${q({ realm: o.realm })}`)) ? 'deleted' : 'no such user');
      return 0;
    case 'token init': {
      if (!o.user) throw new CliError('token init needs --user');
      if (o['pin-stdin'] && o['no-pin']) throw new CliError('token init: --pin-stdin and --no-pin contradict each other');
      if (!o['pin-stdin'] && !o['no-pin']) {
        throw new CliError('token init needs a PIN: --pin-stdin (the PIN on standard input), or --no-pin for a token the OTP alone unlocks');
      }
      const pin = o['pin-stdin'] ? await readStdinLine('PIN') : undefined;
      const ans = await callApi(config, 'POST', '/token/init', {
        type: 'sms',
        user: o.user,
        realm: o.realm,
        phone: o.phone,
        dynamic_phone: o['dynamic-phone'] ? '1' : undefined,
        pin,
        nopin: o['no-pin'] ? '1' : undefined,
        serial: o.serial,
        otplen: o.otplen,
        description: o.description,
      });
      valueOf(ans);
      print(ans.body!.detail!.serial);
      return 0;
    }
    case 'token list': {
      const v = await api<{ tokens: TokenLine[] }>('GET', `/token/${q({ user: o.user, realm: o.realm, pagesize: '1000' })}`);
      if (o.json) print(v);
      else
        for (const t of v.tokens)
          print(
            `${t.serial}\t${t.username}@${t.user_realm}\t${t.info.phone ?? (t.info.dynamic_phone ? '(user mobile)' : '')}\t${t.active ? 'active' : 'disabled'}\tfail ${t.failcount}/${t.maxfail}`,
          );
      return 0;
    }
    case 'token delete':
      print((await api('DELETE', `/token/${encodeURIComponent(need(pos, 2, 'serial'))}`)) ? 'deleted' : 'not found');
      return 0;
    case 'token enable':
    case 'token disable':
    case 'token reset':
      await api('POST', `/token/${sub}`, { serial: need(pos, 2, 'serial') });
      print('ok');
      return 0;
    case 'token setpin': {
      const serial = need(pos, 2, 'serial');
      await api('POST', '/token/setpin', { serial, otppin: await readStdinLine('PIN') });
      print('ok');
      return 0;
    }
    case 'apikey add': {
      const v = await api<{ key: string }>('POST', '/apikey/', { name: need(pos, 2, 'key name') });
      print(v.key);
      process.stderr.write('Store this key now: it cannot be shown again. Send it as X-API-Key, or as basic auth NAME / SECRET.\n');
      return 0;
    }
    case 'apikey list':
      print(await api('GET', '/apikey/'));
      return 0;
    case 'apikey delete':
      print((await api('DELETE', `/apikey/${encodeURIComponent(need(pos, 2, 'key name'))}`)) ? 'deleted' : 'no such key');
      return 0;
    case 'sms send': {
      if (!o.to || !o.text) throw new CliError('sms send needs --to and --text');
      const v = await api<{ id: string }>('POST', '/sms/send', { phone: o.to, text: o.text });
      print(`queued as ${v.id}`);
      return 0;
    }
    case 'sms show':
      print(await api('GET', `/sms/${encodeURIComponent(need(pos, 2, 'message id'))}`));
      return 0;
    case 'status': {
      const v = await api<{ ready?: boolean } | null>('GET', '/status');
      print(v);
      if (v?.ready) return 0;
      // Without the daemon the answer came from the data on disk: providers and modems are not running.
      process.stderr.write('smsotpd: the daemon is not running (the status above is read from the data directory): systemctl start smsotpd\n');
      return 3;
    }

    default:
      throw new CliError(`unknown command "${pos.join(' ')}" (smsotpd --help lists them)`);
  }
}

// Every failure is one line; --debug (or SMSOTPD_DEBUG=1) adds the stack.
main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const expected = err instanceof CliError || err instanceof ConfigError || err instanceof PiError;
    process.stderr.write(reportError(err, debugWanted(process.argv), expected));
    process.exitCode = isUsageError(err) ? EXIT_USAGE : 1;
  },
);

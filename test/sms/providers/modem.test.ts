import { afterEach, describe, expect, it } from 'vitest';
import { simulatorProviderSchema } from '../../../src/config/schema.js';
import { decodeDeliver } from '../../../src/modem/pdu.js';
import { PoolUnavailable } from '../../../src/modem/pool.js';
import { ModemSendError } from '../../../src/modem/submit.js';
import { createModemProvider, toSendFailure, type ModemProvider } from '../../../src/sms/providers/modem.js';
import { SendFailure, type DeliveryReport, type IncomingSms } from '../../../src/sms/provider.js';
import { silentLogger } from '../../../src/util/logger.js';
import { tempDir } from '../../helpers/harness.js';

const ctx = () => ({ signal: new AbortController().signal, checkpoint: async () => {} });
const msg = (text: string) => ({
  id: `x-${text}`,
  to: '+4917612345678',
  text,
  expiresAt: Date.now() + 60_000,
  attempt: 1,
  resend: false,
  progress: {},
});

async function until(fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('modem provider: the SmsProvider face of a modem pool', () => {
  let p: ModemProvider | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
  });

  it('modem outcomes map to SendFailure kinds', () => {
    expect(toSendFailure(new ModemSendError('not-sent', 'm1 rebooted', 'aborted'))).toMatchObject({ kind: 'unavailable', code: 'aborted' });
    expect(toSendFailure(new ModemSendError('ambiguous', 'no answer', 'timeout after Ctrl-Z'))).toMatchObject({ kind: 'ambiguous' });
    expect(toSendFailure(new ModemSendError('permanent', 'x', 'CMS 21'))).toMatchObject({ kind: 'permanent', code: 'CMS 21' });
    expect(toSendFailure(new ModemSendError('temporary', 'x', 'CMS 42'))).toMatchObject({ kind: 'temporary' });
    expect(toSendFailure(new PoolUnavailable('no modem ready'))).toMatchObject({ kind: 'unavailable', code: 'no modem' });
    expect(toSendFailure(new Error('?'))).toMatchObject({ kind: 'ambiguous' });
    const f = new SendFailure('permanent', 'p');
    expect(toSendFailure(f)).toBe(f);
  });

  it('sends with references, modem id and SRR; status reports and incoming SMS reach the listeners in the shared types', async () => {
    p = createModemProvider(simulatorProviderSchema.parse({ id: 'hat', type: 'simulator', submitMs: 5, reportDelayMs: 50, balanceCode: '*100#' }), {
      logger: silentLogger,
      dataDir: tempDir(),
    });
    const reports: DeliveryReport[] = [];
    const incoming: IncomingSms[] = [];
    p.onDeliveryReport((r) => void reports.push(r));
    p.onIncoming((m) => void incoming.push(m));
    await p.start();
    await until(() => p!.available());
    const ok = await p.send(msg('hello'), ctx());
    expect(ok).toMatchObject({ ok: true, modemId: 'hat', reportRequested: true, references: [0], ref: 'hat:0' });
    await until(() => reports.length === 1);
    expect(reports[0]).toMatchObject({
      providerId: 'hat',
      modemId: 'hat',
      reference: 0,
      recipient: '+4917612345678',
      outcome: 'delivered',
      status: 0,
    });
    p.simulators[0]!.deliver('+4915100000001', 'Credit low');
    await until(() => incoming.length === 1);
    expect(incoming[0]).toMatchObject({ providerId: 'hat', modemId: 'hat', from: '+4915100000001', text: 'Credit low' });
    expect(await p.ussd('*100#', {})).toEqual({ modemId: 'hat', answer: 'Your balance is 12.34 EUR, valid until 2027-01-31.' });
    expect(p.status()).toMatchObject({ id: 'hat', type: 'simulator', health: 'ready', detail: { statusReports: true } });
    await p.refreshBalances();
    const m = (p.status().detail.modems as Array<{ balance?: { answer: string; ageSeconds: number } }>)[0]!;
    expect(m.balance).toMatchObject({ code: '*100#', answer: 'Your balance is 12.34 EUR, valid until 2027-01-31.', error: null, ageSeconds: 0 });
  });

  it('several listeners each get every received SMS; it leaves the SIM only once none refused it', async () => {
    p = createModemProvider(simulatorProviderSchema.parse({ id: 'hat', type: 'simulator', submitMs: 5 }), {
      logger: silentLogger,
      dataDir: tempDir(),
    });
    const a: IncomingSms[] = [];
    const b: IncomingSms[] = [];
    let bSays = false;
    p.onIncoming(async (m) => {
      a.push(m);
      return true;
    });
    p.onIncoming((m) => {
      b.push(m);
      if (!bSays) throw new Error('disk failing');
      return Promise.resolve(true);
    });
    await p.start();
    await until(() => p!.available());
    const sim = p.simulators[0]!;
    sim.deliver('+4915100000001', 'one');
    await until(() => a.length === 1 && b.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.store.get('SM')!.size).toBe(1);
    bSays = true;
    sim.deliver('+4915100000002', 'two');
    await until(() => b.some((m) => m.text === 'two'));
    const onSim = () => [...sim.store.get('SM')!.values()].map((x) => decodeDeliver(x.pdu).text);
    await until(() => onSim().join() === 'one');
    expect(a.map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('statusReports: false sends without SRR', async () => {
    p = createModemProvider(simulatorProviderSchema.parse({ id: 'hat', type: 'simulator', submitMs: 5, statusReports: false }), {
      logger: silentLogger,
      dataDir: tempDir(),
    });
    await p.start();
    await until(() => p!.available());
    expect(await p.send(msg('x'), ctx())).toMatchObject({ reportRequested: false });
    expect(p.simulators[0]!.submits[0]!.statusReport).toBe(false);
  });

  it('a missing device: down and unavailable at once', async () => {
    p = createModemProvider(simulatorProviderSchema.parse({ id: 'hat', type: 'simulator', submitMs: 5 }), {
      logger: silentLogger,
      dataDir: tempDir(),
    });
    p.simulators[0]!.present = false;
    await p.start();
    await until(() => p!.modems[0]!.state === 'unavailable');
    expect(p.status().health).toBe('down');
    await expect(p.send(msg('x'), ctx())).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('config: statusReports defaults on; bad USSD codes are refused', () => {
    expect(simulatorProviderSchema.parse({ id: 'a', type: 'simulator' }).statusReports).toBe(true);
    expect(simulatorProviderSchema.safeParse({ id: 'a', type: 'simulator', balanceCode: '*100#;ATD' }).success).toBe(false);
  });
});

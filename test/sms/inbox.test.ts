import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Inbox, INBOX_TEXT_MAX } from '../../src/sms/inbox.js';
import type { IncomingSms } from '../../src/sms/provider.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { loadOrCreateSecrets } from '../../src/token/secrets.js';
import { openAuditLog, type AuditLog } from '../../src/util/audit.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/harness.js';

let dir: string;
let store: Store;
let audit: AuditLog;
const clock = new ManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));

afterEach(async () => {
  audit?.close();
  await store?.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function open(max = 1000, d = tempDir()): Promise<Inbox> {
  dir = d;
  store = await openStore({ dataDir: dir });
  audit = openAuditLog(dir, { maxBytes: 1 << 20, keep: 1, clock });
  const secrets = loadOrCreateSecrets(dir);
  return new Inbox({ store, clock, logger: silentLogger, audit, encrypt: (s) => secrets.encrypt(s), decrypt: (s) => secrets.decrypt(s), max });
}

const sms = (text: string, over: Partial<IncomingSms> = {}): IncomingSms => ({
  providerId: 'pool',
  modemId: 'm1',
  from: '+491771234567',
  text,
  t: clock.now(),
  ...over,
});

describe('inbox', () => {
  it('keeps the newest sms.inboxMax messages, newest first, across a restart', async () => {
    let inbox = await open(3);
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      await inbox.add(sms(`message ${i}`));
    }
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['message 5', 'message 4', 'message 3']);
    expect(Object.keys(store.data.inbox)).toHaveLength(3);
    expect(inbox.counters).toMatchObject({ received: 5, dropped: 2 });

    await store.close();
    audit.close();
    inbox = await open(3, dir);
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['message 5', 'message 4', 'message 3']);
    await inbox.add(sms('message 6'));
    expect(inbox.list(1, 10).messages.map((m) => m.text)).toEqual(['message 6', 'message 5', 'message 4']);
  });

  it('pages newest first with count, prev and next', async () => {
    const inbox = await open();
    for (let i = 1; i <= 5; i++) await inbox.add(sms(`m${i}`));
    expect(inbox.list(1, 2)).toMatchObject({ count: 5, current: 1, prev: null, next: 2, messages: [{ text: 'm5' }, { text: 'm4' }] });
    expect(inbox.list(3, 2)).toMatchObject({ current: 3, prev: 2, next: null, messages: [{ text: 'm1' }] });
    expect(inbox.list(9, 2)).toMatchObject({ count: 5, next: null, messages: [] });
  });

  it('stores the text encrypted, and audits each message without its text, sender masked', async () => {
    const inbox = await open();
    const r = await inbox.add(sms('Your credit is 4.20 EUR, valid until 31.12.'));
    expect(r.textEnc).not.toContain('credit');
    await store.close();
    for (const f of readdirSync(dir)) {
      if (f.startsWith('state')) expect(readFileSync(path.join(dir, f), 'utf8')).not.toContain('credit');
    }
    const lines = readFileSync(path.join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ action: 'sms.received', message: r.id, provider: 'pool', modem: 'm1', reason: 'from +49********67, 43 characters' }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('credit');
  });

  it('rejects malformed messages and stores nothing', async () => {
    const inbox = await open();
    const listen = inbox.listener('pool');
    for (const bad of [null, sms('x', { providerId: 'other' }), sms('x', { from: '  ' }), { ...sms('x'), text: 42 }, sms('x', { modemId: '' })]) {
      expect(await listen(bad as IncomingSms)).toBe(false);
    }
    expect(store.data.inbox).toEqual({});
    expect(inbox.counters).toMatchObject({ received: 0, rejected: 5 });
  });

  it('cuts a huge text and strips control characters from the sender; a missing time stamp becomes the arrival time', async () => {
    const inbox = await open();
    await inbox.add(sms('y'.repeat(INBOX_TEXT_MAX + 500), { from: 'Opera\u001b[31mtor', t: Number.NaN }));
    const [m] = inbox.list(1, 1).messages;
    expect(m!.text).toHaveLength(INBOX_TEXT_MAX + '… [truncated]'.length);
    expect(m!.from).toBe('Opera[31mtor');
    expect(m!.t).toBe(clock.now());
  });

  it('a message the store cannot take is refused to the provider (it keeps it on the SIM)', async () => {
    const inbox = await open();
    expect(await inbox.listener('pool')(sms('first'))).toBe(true);
    await store.close();
    expect(await inbox.listener('pool')(sms('second'))).toBe(false);
    expect(inbox.size()).toBe(1);
    expect(inbox.counters.rejected).toBe(1);
  });
});

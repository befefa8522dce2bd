/** What the gateway API shows of a message (GET /sms/<id>), byte for byte: never its text. */
import { afterEach, describe, expect, it } from 'vitest';
import { messageView } from '../../../src/api/views/message.js';
import type { OutboxRecord } from '../../../src/sms/outbox.js';
import { ManualClock } from '../../../src/util/clock.js';
import { makeHarness, type Harness } from '../../helpers/harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('message view on the wire', () => {
  it('GET /sms/<id>: state, times in seconds, the hops; /sms/send answers the id and state', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 250;
    const hh = (h = await makeHarness({}, { clock: new ManualClock(t0) }));
    const auth = { Authorization: await hh.adminToken() };
    const r = await hh.call('POST', '/sms/send', { phone: '+4917612345678', text: 'Code 123456', validity: '600' }, { headers: auth });
    const id = r.body.result.value.id as string;
    expect(JSON.stringify(r.body.result)).toBe(`{"status":true,"value":{"id":"${id}","state":"queued"}}`);
    expect(r.body.detail.message).toBe('SMS queued');
    await hh.sms.waitForSent(1);
    const s = t0 / 1000;
    const want =
      `{"id":"${id}","state":"sent","provider":"rec","attempts":1,"created":${s},"expires":${s + 600},"sent":${s},"delivered":null,"report":null,"duplicates":0,"error":null,` +
      `"hops":[{"time":${s},"provider":"rec","event":"attempt","detail":null},{"time":${s},"provider":"rec","event":"sent","detail":"1"}]}`;
    // The provider's acceptance is committed a moment after the SMS left: wait for the record.
    let got = '';
    for (let i = 0; i < 100 && got !== want; i++) {
      got = JSON.stringify((await hh.call('GET', `/sms/${id}`, undefined, { headers: auth })).body.result.value);
      if (got !== want) await new Promise((res) => setTimeout(res, 10));
    }
    expect(got).toBe(want);
    const none = await hh.call('GET', '/sms/nosuchmessage', undefined, { headers: auth });
    expect(none.status).toBe(404);
    expect(none.body.result.error.code).toBe(601);
  });
});

describe('the view', () => {
  const base: OutboxRecord = {
    id: 'm1',
    to: '+4917612345678',
    textEnc: 'v1:sealed-text',
    createdAt: 1_000_500,
    expiresAt: 1_300_500,
    state: 'delivered',
    provider: 'hat',
    providerIndex: 0,
    attempts: 2,
    providerAttempts: 2,
    nextAttemptAt: 0,
    sentAt: 1_002_000,
    ref: '17',
    duplicates: 1,
    lastError: null,
    resend: false,
    origin: 'api',
    progress: { concatRef: 9 },
    hops: [
      { t: 1_001_000, provider: 'hat', event: 'ambiguous', detail: 'timeout after Ctrl-Z' },
      { t: 1_002_000, provider: 'hat', event: 'sent' },
    ],
    report: {
      modem: 'hat-1',
      since: 1_001_500,
      status: 0,
      at: 1_004_250,
      parts: [
        { ref: 17, status: 0, outcome: 'delivered', at: 1_004_250 },
        { ref: -1, status: null, outcome: null, at: null },
      ],
    },
  };

  it('a delivered message with its report: times in seconds, parts by reference; never the number or text', () => {
    const v = JSON.stringify(messageView(base));
    expect(v).toBe(
      '{"id":"m1","state":"delivered","provider":"hat","attempts":2,"created":1000.5,"expires":1300.5,"sent":1002,"delivered":1004.25,' +
        '"report":{"modem":"hat-1","status":0,"time":1004.25,"parts":[{"reference":17,"outcome":"delivered","status":0,"time":1004.25},' +
        '{"reference":-1,"outcome":null,"status":null,"time":null}]},"duplicates":1,"error":null,' +
        '"hops":[{"time":1001,"provider":"hat","event":"ambiguous","detail":"timeout after Ctrl-Z"},{"time":1002,"provider":"hat","event":"sent","detail":null}]}',
    );
    expect(v).not.toContain('sealed');
    expect(v).not.toContain('4917612345678');
  });

  it('delivered is set only in state delivered; no report is null (providers without reports, older records)', () => {
    expect(messageView({ ...base, state: 'sent' }).delivered).toBeNull();
    expect(messageView({ ...base, state: 'undelivered' }).delivered).toBeNull();
    const { report: _none, ...old } = base;
    expect(messageView(old).report).toBeNull();
    expect(messageView({ ...base, report: null, sentAt: null, state: 'queued' })).toMatchObject({ report: null, sent: null, delivered: null });
  });
});

/** What the gateway API shows of a message (GET /sms/<id>), byte for byte: never its text. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { makeHarness, type Harness } from '../../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('message view on the wire', () => {
  it('GET /sms/<id>: state, times in seconds, the hops; /sms/send answers the id and state', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 250;
    h = await makeHarness({}, { clock: new ManualClock(t0) });
    const auth = { Authorization: await h.adminToken() };
    const r = await h.call('POST', '/sms/send', { phone: '+4917612345678', text: 'Code 123456', validity: '600' }, { headers: auth });
    const id = r.body.result.value.id as string;
    expect(JSON.stringify(r.body.result)).toBe(`{"status":true,"value":{"id":"${id}","state":"queued"}}`);
    expect(r.body.detail.message).toBe('SMS queued');
    await h.sms.waitForSent(1);
    const s = t0 / 1000;
    const want =
      `{"id":"${id}","state":"sent","provider":"rec","attempts":1,"created":${s},"expires":${s + 600},"sent":${s},"delivered":null,"report":null,"duplicates":0,"error":null,` +
      `"hops":[{"time":${s},"provider":"rec","event":"attempt","detail":null},{"time":${s},"provider":"rec","event":"sent","detail":"1"}]}`;
    // The provider's acceptance is committed a moment after the SMS left: wait for the record.
    let got = '';
    for (let i = 0; i < 100 && got !== want; i++) {
      got = JSON.stringify((await h.call('GET', `/sms/${id}`, undefined, { headers: auth })).body.result.value);
      if (got !== want) await new Promise((res) => setTimeout(res, 10));
    }
    expect(got).toBe(want);
    const none = await h.call('GET', '/sms/nosuchmessage', undefined, { headers: auth });
    expect(none.status).toBe(404);
    expect(none.body.result.error.code).toBe(601);
  });
});

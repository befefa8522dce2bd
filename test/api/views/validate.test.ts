/**
 * The privacyIDEA detail of /validate/check and /validate/triggerchallenge, byte for byte. The
 * answers were recorded before the views moved from token/ to api/views/ and must never change
 * by accident: FreeRADIUS's plugin, privacyIDEA's own clients and PAM modules parse them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkDetail, triggerDetail, validUntil } from '../../../src/api/views/validate.js';
import type { Verdict } from '../../../src/token/validate.js';
import { ManualClock } from '../../../src/util/clock.js';
import { enroll, lastOtp, makeHarness, type Harness } from '../../helpers/harness.js';

let h: Harness;
const open: Harness[] = [];
/** A harness closed after the test (the view tests below start none). */
async function start(...args: Parameters<typeof makeHarness>): Promise<Harness> {
  h = await makeHarness(...args);
  open.push(h);
  return h;
}
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

const A = 'PISM0001AAAA';
const B = 'PISM0002BBBB';
const ASK = 'Enter the OTP from the SMS:';
const VALID_UNTIL = /"valid_until":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"/g;

/** Status, result and detail as sent; transaction ids, threadid and valid_until (checked for form) made stable. */
function wire(r: { status: number; body: any }): string {
  const detail = JSON.stringify(r.body.detail)
    .replace(/"\d{20}"/g, '"TID"')
    .replace(/"threadid":\d+/, '"threadid":0')
    .replace(VALID_UNTIL, '"valid_until":"V"');
  return `${r.status} ${JSON.stringify(r.body.result)} ${detail}`;
}

const check = async (p: Record<string, string>) => h.call('POST', '/validate/check', p);
const trigger = async (p: Record<string, string>) =>
  h.call('POST', '/validate/triggerchallenge', p, { headers: { Authorization: await h.adminToken() } });
const admin = async (path: string, p: Record<string, string>) => h.call('POST', path, p, { headers: { Authorization: await h.adminToken() } });

const REJECT = '{"status":true,"value":false,"authentication":"REJECT"}';
const ACCEPT = '{"status":true,"value":true,"authentication":"ACCEPT"}';
const CHALLENGE = '{"status":true,"value":false,"authentication":"CHALLENGE"}';
const EMPTY_LISTS = '"messages":[],"multi_challenge":[],"transaction_ids":[]';
const multi = (serial: string) =>
  `{"transaction_id":"TID","serial":"${serial}","type":"sms","client_mode":"interactive","message":"${ASK}","attributes":{"state":"TID","valid_until":"V"}}`;
/** The challenge detail for tokens in this order (the last one's serial is the top-level one). */
const challenged = (...serials: string[]) =>
  `{"message":"${ASK}","messages":[${serials.map(() => `"${ASK}"`).join(',')}],"multi_challenge":[${serials.map(multi).join(',')}],` +
  `"transaction_id":"TID","transaction_ids":[${serials.map(() => '"TID"').join(',')}],"serial":"${serials.at(-1)}","type":"sms",` +
  `"client_mode":"interactive","attributes":{"state":"TID","valid_until":"V"},"preferred_client_mode":"interactive","threadid":0}`;

describe('/validate/check on the wire', () => {
  it('the whole envelope of a challenge', async () => {
    await start();
    await enroll(h, 'alice', '1234', '+4917612345678', { serial: A });
    const r = await check({ user: 'alice', pass: '1234' });
    const text = JSON.stringify(r.body)
      .replace(/"time":[0-9.e+-]+/, '"time":0')
      .replace(/"threadid":\d+/, '"threadid":0')
      .replace(/"\d{20}"/g, '"TID"')
      .replace(VALID_UNTIL, '"valid_until":"V"');
    expect(text).toBe(
      `{"id":2,"jsonrpc":"2.0","result":${CHALLENGE},"time":0,"version":"smsotpd 0.1.0","versionnumber":"3.13","detail":${challenged(A)}}`,
    );
  });

  it('one token: step 1, step 2, PIN+OTP, and every way they fail', async () => {
    const clock = new ManualClock(Date.now());
    await start({}, { clock });
    await enroll(h, 'alice', '1234', '+4917612345678', { serial: A });

    expect(wire(await check({ serial: 'PISM9999ZZZZ', pass: '1234' }))).toBe(
      `200 ${REJECT} {"message":"No suitable token found for authentication.","threadid":0}`,
    );
    expect(wire(await check({ user: 'alice', pass: '0000' }))).toBe(`200 ${REJECT} {"message":"wrong otp pin","threadid":0}`);
    const c = await check({ user: 'alice', pass: '1234' });
    expect(wire(c)).toBe(`200 ${CHALLENGE} ${challenged(A)}`);
    await h.sms.waitForSent(1);
    const tid = c.body.detail.transaction_id as string;
    // Inside the blocking window: the outstanding challenge again.
    expect(wire(await check({ user: 'alice', pass: '1234' }))).toBe(`200 ${CHALLENGE} ${challenged(A)}`);
    expect(wire(await check({ user: 'alice', transaction_id: '12345678901234567890', pass: '000000' }))).toBe(
      `200 ${REJECT} {"message":"wrong otp pin","threadid":0}`,
    );
    expect(wire(await check({ user: 'alice', transaction_id: tid, pass: '000000' }))).toBe(
      `200 ${REJECT} {"message":"Response did not match the challenge.","serial":"${A}","type":"sms","threadid":0}`,
    );
    expect(wire(await check({ user: 'alice', transaction_id: tid, pass: lastOtp(h) }))).toBe(
      `200 ${ACCEPT} {"message":"Found matching challenge","serial":"${A}","threadid":0}`,
    );
    expect(wire(await check({ user: 'alice', pass: `1234${lastOtp(h)}` }))).toBe(
      `200 ${REJECT} {"message":"wrong otp value. previous otp used again","serial":"${A}","type":"sms","otplen":6,"threadid":0}`,
    );
    expect(wire(await check({ user: 'alice', pass: '1234000000' }))).toBe(
      `200 ${REJECT} {"message":"wrong otp value","serial":"${A}","type":"sms","otplen":6,"threadid":0}`,
    );

    clock.advance(120_000);
    await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(2);
    expect(wire(await check({ user: 'alice', pass: `1234${lastOtp(h)}` }))).toBe(
      `200 ${ACCEPT} {"message":"matching 1 tokens","serial":"${A}","type":"sms","otplen":6,"threadid":0}`,
    );

    clock.advance(120_000);
    const late = await check({ user: 'alice', pass: '1234' });
    await h.sms.waitForSent(3);
    clock.advance(400_000);
    expect(wire(await check({ user: 'alice', transaction_id: late.body.detail.transaction_id, pass: lastOtp(h) }))).toBe(
      `200 ${REJECT} {"message":"The challenge has expired.","serial":"${A}","type":"sms","threadid":0}`,
    );
  });

  it('two tokens: one transaction, both challenges listed, the last one on top', async () => {
    await start();
    await enroll(h, 'alice', '1234', '+4917612345678', { serial: A });
    await admin('/token/init', { type: 'sms', user: 'alice', pin: '1234', phone: '+491709999999', serial: B });
    const c = await check({ user: 'alice', pass: '1234' });
    expect(wire(c)).toBe(`200 ${CHALLENGE} ${challenged(A, B)}`);
    expect(wire(await check({ user: 'alice', transaction_id: c.body.detail.transaction_id, pass: '000000' }))).toBe(
      `200 ${REJECT} {"message":"Response did not match for 2 tokens.","serial":"${A}","type":"sms","threadid":0}`,
    );
  });

  it('no challenge: SMS limits, no provider, a locked or disabled token, no token at all', async () => {
    await start({ limits: { smsPerWindow: 1, smsWindow: 600 }, token: { blockingWindow: 0, maxFail: 2 } });
    await enroll(h, 'alice', '1234', '+4917612345678', { serial: A });
    await check({ user: 'alice', pass: '1234' });
    expect(wire(await check({ user: 'alice', pass: '1234' }))).toBe(
      `200 ${REJECT} {"message":"SMS limit reached: at most 1 SMS per 10 minutes for this token.",${EMPTY_LISTS},"threadid":0}`,
    );
    await enroll(h, 'bob', '1234', '+4917612345678', { serial: B });
    expect(wire(await check({ user: 'bob', pass: '1234' }))).toBe(
      `200 ${REJECT} {"message":"SMS limit reached: at most 1 SMS per 10 minutes to this phone number.",${EMPTY_LISTS},"threadid":0}`,
    );
    await enroll(h, 'carol', '1234', '+4917611111111', { serial: 'PISM0003CCCC' });
    h.sms.health = 'down';
    const unsent = 'The PIN was correct, but the SMS could not be sent!';
    expect(wire(await check({ user: 'carol', pass: '1234' }))).toBe(
      `200 ${REJECT} {"message":"${unsent}","messages":["${unsent}"],"multi_challenge":[],"transaction_ids":[],"threadid":0}`,
    );
    h.sms.health = 'ready';
    await check({ user: 'bob', pass: '0000' });
    await check({ user: 'bob', pass: '0000' });
    expect(wire(await check({ user: 'bob', pass: '1234' }))).toBe(`200 ${REJECT} {"message":"Failcounter exceeded",${EMPTY_LISTS},"threadid":0}`);
    await admin('/token/disable', { serial: A });
    expect(wire(await check({ user: 'alice', pass: '1234' }))).toBe(
      `200 ${REJECT} {"message":"No active challenge response token found",${EMPTY_LISTS},"threadid":0}`,
    );
    await admin('/user/', { user: 'dave', mobile: '+4917622222222' });
    expect(wire(await check({ user: 'dave', pass: '1234' }))).toBe(`200 ${REJECT} {"message":"The user has no tokens assigned","threadid":0}`);
  });
});

describe('/validate/triggerchallenge on the wire', () => {
  it('the number of challenges as value, the same detail as a login; the empty lists when nothing was triggered', async () => {
    await start();
    await enroll(h, 'alice', '1234', '+4917612345678', { serial: A });
    await admin('/token/init', { type: 'sms', user: 'alice', pin: '1234', phone: '+491709999999', serial: B });
    expect(wire(await trigger({ user: 'alice' }))).toBe(`200 {"status":true,"value":2,"authentication":"CHALLENGE"} ${challenged(A, B)}`);
    await admin('/token/disable', { serial: A });
    await admin('/token/disable', { serial: B });
    expect(wire(await trigger({ user: 'alice' }))).toBe(
      `200 {"status":true,"value":0,"authentication":"REJECT"} {"message":"No active challenge response token found",${EMPTY_LISTS},"threadid":0}`,
    );
    await admin('/user/', { user: 'bob', mobile: '+4917612345679' });
    expect(wire(await trigger({ user: 'bob' }))).toBe(`200 {"status":true,"value":0,"authentication":"REJECT"} {${EMPTY_LISTS},"threadid":0}`);
  });
});

describe('the views', () => {
  it('valid_until is naive local time with microseconds', () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      expect(validUntil(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02 03:04:05.678000');
      expect(validUntil(Date.UTC(2026, 11, 31, 23, 59, 59, 7))).toBe('2026-12-31 23:59:59.007000');
      process.env.TZ = 'Europe/Berlin';
      expect(validUntil(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02 04:04:05.678000');
    } finally {
      process.env.TZ = tz;
    }
  });

  it('one detail per verdict, keys in privacyIDEA order', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
      const json = (v: Verdict) => JSON.stringify(checkDetail(v));
      expect(json({ kind: 'noToken', message: 'm' })).toBe('{"message":"m"}');
      expect(json({ kind: 'rejected', message: 'wrong otp pin' })).toBe('{"message":"wrong otp pin"}');
      expect(json({ kind: 'noChallenge', message: 'm' })).toBe(`{"message":"m",${EMPTY_LISTS}}`);
      expect(json({ kind: 'notSent', message: 'm' })).toBe('{"message":"m","messages":["m"],"multi_challenge":[],"transaction_ids":[]}');
      expect(json({ kind: 'challengeAnswered', message: 'm', serial: A })).toBe(`{"message":"m","serial":"${A}"}`);
      expect(json({ kind: 'challengeFailed', message: 'm', serial: A })).toBe(`{"message":"m","serial":"${A}","type":"sms"}`);
      expect(json({ kind: 'pinOtp', message: 'm', serial: A, otpLength: 8 })).toBe(`{"message":"m","serial":"${A}","type":"sms","otplen":8}`);
      const tokens = [
        { serial: A, challenge: { transactionId: '11111111111111111111', expiresAt: at } },
        { serial: B, challenge: { transactionId: '22222222222222222222', expiresAt: at + 1 } },
      ];
      const a =
        '{"transaction_id":"11111111111111111111","serial":"PISM0001AAAA","type":"sms","client_mode":"interactive","message":"m","attributes":{"state":"11111111111111111111","valid_until":"2026-01-02 03:04:05.678000"}}';
      const bAttrs = '{"state":"22222222222222222222","valid_until":"2026-01-02 03:04:05.679000"}';
      const b = `{"transaction_id":"22222222222222222222","serial":"PISM0002BBBB","type":"sms","client_mode":"interactive","message":"m","attributes":${bAttrs}}`;
      expect(json({ kind: 'challenged', message: 'm', tokens })).toBe(
        `{"message":"m","messages":["m","m"],"multi_challenge":[${a},${b}],"transaction_id":"22222222222222222222",` +
          `"transaction_ids":["11111111111111111111","22222222222222222222"],"serial":"${B}","type":"sms","client_mode":"interactive",` +
          `"attributes":${bAttrs},"preferred_client_mode":"interactive"}`,
      );
    } finally {
      process.env.TZ = tz;
    }
  });

  it('triggerchallenge: the empty lists without a message when there was no token; otherwise as /validate/check', () => {
    expect(JSON.stringify(triggerDetail({ kind: 'noToken', message: 'The user has no tokens assigned' }))).toBe(`{${EMPTY_LISTS}}`);
    const v: Verdict = { kind: 'noChallenge', message: 'Failcounter exceeded' };
    expect(triggerDetail(v)).toEqual(checkDetail(v));
  });
});

/** privacyIDEA's token dict (GET /token/) and the /token/init detail, byte for byte. */
import { afterEach, describe, expect, it } from 'vitest';
import { initDetail, tokenPageView, tokenView } from '../../../src/api/views/token.js';
import type { TokenRecord } from '../../../src/token/admin.js';
import { ManualClock } from '../../../src/util/clock.js';
import { enroll, makeHarness, type Harness } from '../../helpers/harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const tail = '"count_window":10,"sync_window":1000,"rollout_state":"","realms":';

describe('token views on the wire', () => {
  it('GET /token/: one dict per token (phone, dynamic phone, locked, unassigned) and the page', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 250;
    const hh = (h = await makeHarness({ token: { maxFail: 1 } }, { clock: new ManualClock(t0) }));
    const auth = { Authorization: await hh.adminToken() };
    await enroll(hh, 'alice', '1234', '+4917612345678', { serial: 'PISM0001AAAA', description: 'desk phone' });
    const opts = { type: 'sms', user: 'alice', pin: '1234', dynamic_phone: '1', serial: 'PISM0002BBBB', hashlib: 'sha256', otplen: '8' };
    await hh.call('POST', '/token/init', opts, { headers: auth });
    const init = await hh.call(
      'POST',
      '/token/init',
      { type: 'sms', pin: '1234', phone: '+491709999999', serial: 'PISM0003CCCC' },
      { headers: auth },
    );
    expect(JSON.stringify(init.body.detail).replace(/"threadid":\d+/, '"threadid":0')).toBe(
      '{"serial":"PISM0003CCCC","rollout_state":"","threadid":0}',
    );
    await hh.call('POST', '/validate/check', { serial: 'PISM0003CCCC', pass: '0000' });
    await hh.call('POST', '/token/disable', { serial: 'PISM0002BBBB' }, { headers: auth });

    const a =
      '{"id":0,"serial":"PISM0001AAAA","tokentype":"sms","description":"desk phone","info":{"hashlib":"sha1","tokenkind":"software","count_auth":"0","count_auth_success":"0","phone":"+4917612345678"},' +
      '"resolver":"local","user_id":"alice","username":"alice","user_realm":"default","user_editable":false,"otplen":6,"maxfail":1,"active":true,"revoked":false,"locked":false,"failcount":0,"count":0,' +
      `${tail}["default"],"tokengroup":[],"container_serial":""}`;
    const b =
      '{"id":0,"serial":"PISM0002BBBB","tokentype":"sms","description":"","info":{"hashlib":"sha256","tokenkind":"software","count_auth":"0","count_auth_success":"0","dynamic_phone":"True"},' +
      '"resolver":"local","user_id":"alice","username":"alice","user_realm":"default","user_editable":false,"otplen":8,"maxfail":1,"active":false,"revoked":false,"locked":false,"failcount":0,"count":0,' +
      `${tail}["default"],"tokengroup":[],"container_serial":""}`;
    const c =
      '{"id":0,"serial":"PISM0003CCCC","tokentype":"sms","description":"","info":{"hashlib":"sha1","tokenkind":"software","count_auth":"1","count_auth_success":"0","phone":"+491709999999",' +
      `"failcounter_exceeded":"${new Date(t0).toISOString()}"},"resolver":"","user_id":"","username":"","user_realm":"","user_editable":false,"otplen":6,"maxfail":1,"active":true,"revoked":false,` +
      `"locked":false,"failcount":1,"count":0,${tail}[],"tokengroup":[],"container_serial":""}`;

    const all = await hh.call('GET', '/token/', {}, { headers: auth });
    expect(JSON.stringify(all.body.result)).toBe(`{"status":true,"value":{"tokens":[${a},${b},${c}],"count":3,"current":1,"prev":null,"next":null}}`);
    const page = await hh.call('GET', '/token/', { page: '2', pagesize: '1' }, { headers: auth });
    expect(JSON.stringify(page.body.result)).toBe(`{"status":true,"value":{"tokens":[${b}],"count":3,"current":2,"prev":1,"next":3}}`);
  });
});

const record: TokenRecord = {
  serial: 'PISM0001AAAA',
  type: 'sms',
  description: 'desk',
  user: '8d3f0c1e-0000-4000-8000-000000000001',
  realm: 'corp',
  keyEnc: 'v1:secret',
  hashlib: 'sha512',
  otpLength: 8,
  counter: 7,
  pinHash: 'scrypt$secret',
  phone: null,
  dynamicPhone: true,
  active: true,
  failCount: 3,
  maxFail: 3,
  failExceededAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  countAuth: 12,
  countAuthSuccess: 9,
  createdAt: 0,
  recentChallenges: [],
  challenge: null,
};

describe('the views', () => {
  it("a directory user's token: the login and resolver shown, user_id the stable id; no seed or PIN hash", () => {
    const v = JSON.stringify(tokenView({ token: record, owner: { login: 'robert', resolver: 'ldap1' } }));
    expect(v).toBe(
      '{"id":0,"serial":"PISM0001AAAA","tokentype":"sms","description":"desk","info":{"hashlib":"sha512","tokenkind":"software","count_auth":"12","count_auth_success":"9",' +
        '"dynamic_phone":"True","failcounter_exceeded":"2026-01-02T03:04:05.678Z"},"resolver":"ldap1","user_id":"8d3f0c1e-0000-4000-8000-000000000001","username":"robert",' +
        '"user_realm":"corp","user_editable":false,"otplen":8,"maxfail":3,"active":true,"revoked":false,"locked":false,"failcount":3,"count":7,' +
        `${tail}["corp"],"tokengroup":[],"container_serial":""}`,
    );
    expect(v).not.toContain('secret');
    // The directory could not be asked (down): the stored id, as a local token shows it.
    expect(tokenView({ token: record })).toMatchObject({ resolver: 'local', username: record.user, user_id: record.user });
  });

  it('paging: prev and next as privacyIDEA counts them', () => {
    const page = (p: number, pages: number) => {
      const { current, prev, next, count } = tokenPageView({ tokens: [], count: 42, page: p, pages });
      return { current, prev, next, count };
    };
    expect(page(1, 1)).toEqual({ current: 1, prev: null, next: null, count: 42 });
    expect(page(1, 3)).toEqual({ current: 1, prev: null, next: 2, count: 42 });
    expect(page(3, 3)).toEqual({ current: 3, prev: 2, next: null, count: 42 });
    // A page past the end still points back.
    expect(page(9, 3)).toEqual({ current: 9, prev: 8, next: null, count: 42 });
    expect(tokenPageView({ tokens: [{ token: record }], count: 1, page: 1, pages: 1 }).tokens[0]!.serial).toBe('PISM0001AAAA');
  });

  it('/token/init answers the serial and an empty rollout_state, nothing else', () => {
    expect(JSON.stringify(initDetail(record))).toBe('{"serial":"PISM0001AAAA","rollout_state":""}');
  });
});

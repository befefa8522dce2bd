/** privacyIDEA's token dict (GET /token/) and the /token/init detail, byte for byte. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { enroll, makeHarness, type Harness } from '../../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const tail = '"count_window":10,"sync_window":1000,"rollout_state":"","realms":';

describe('token views on the wire', () => {
  it('GET /token/: one dict per token (phone, dynamic phone, locked, unassigned) and the page', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 250;
    h = await makeHarness({ token: { maxFail: 1 } }, { clock: new ManualClock(t0) });
    const auth = { Authorization: await h.adminToken() };
    await enroll(h, 'alice', '1234', '+4917612345678', { serial: 'PISM0001AAAA', description: 'desk phone' });
    const opts = { type: 'sms', user: 'alice', pin: '1234', dynamic_phone: '1', serial: 'PISM0002BBBB', hashlib: 'sha256', otplen: '8' };
    await h.call('POST', '/token/init', opts, { headers: auth });
    const init = await h.call('POST', '/token/init', { type: 'sms', pin: '1234', phone: '+491709999999', serial: 'PISM0003CCCC' }, { headers: auth });
    expect(JSON.stringify(init.body.detail).replace(/"threadid":\d+/, '"threadid":0')).toBe(
      '{"serial":"PISM0003CCCC","rollout_state":"","threadid":0}',
    );
    await h.call('POST', '/validate/check', { serial: 'PISM0003CCCC', pass: '0000' });
    await h.call('POST', '/token/disable', { serial: 'PISM0002BBBB' }, { headers: auth });

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

    const all = await h.call('GET', '/token/', {}, { headers: auth });
    expect(JSON.stringify(all.body.result)).toBe(`{"status":true,"value":{"tokens":[${a},${b},${c}],"count":3,"current":1,"prev":null,"next":null}}`);
    const page = await h.call('GET', '/token/', { page: '2', pagesize: '1' }, { headers: auth });
    expect(JSON.stringify(page.body.result)).toBe(`{"status":true,"value":{"tokens":[${b}],"count":3,"current":2,"prev":1,"next":3}}`);
  });
});

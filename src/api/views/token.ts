import type { ListedToken, TokenPage, TokenRecord } from '../../token/admin.js';

/**
 * privacyIDEA's token dict (GET /token/) and the /token/init detail. Fields smsotpd has no use
 * for carry privacyIDEA's neutral values, so its clients and the web UI's scripts find every key.
 */

/** One token as privacyIDEA lists it. A directory user's token shows the current login and resolver; user_id stays the stable id it is bound to. */
export function tokenView({ token: t, owner }: ListedToken) {
  const info: Record<string, string> = {
    hashlib: t.hashlib,
    tokenkind: 'software',
    count_auth: String(t.countAuth),
    count_auth_success: String(t.countAuthSuccess),
  };
  if (t.dynamicPhone) info.dynamic_phone = 'True';
  else if (t.phone) info.phone = t.phone;
  if (t.failExceededAt) info.failcounter_exceeded = new Date(t.failExceededAt).toISOString();
  return {
    id: 0,
    serial: t.serial,
    tokentype: 'sms',
    description: t.description,
    info,
    resolver: owner ? owner.resolver : t.user ? 'local' : '',
    user_id: t.user ?? '',
    username: owner ? owner.login : (t.user ?? ''),
    user_realm: t.realm ?? '',
    user_editable: false,
    otplen: t.otpLength,
    maxfail: t.maxFail,
    active: t.active,
    revoked: false,
    locked: false,
    failcount: t.failCount,
    count: t.counter,
    count_window: 10,
    sync_window: 1000,
    rollout_state: '',
    realms: t.realm ? [t.realm] : [],
    tokengroup: [],
    container_serial: '',
  };
}

export type TokenView = ReturnType<typeof tokenView>;

/** A page of GET /token/ with privacyIDEA's paging keys. */
export function tokenPageView(p: TokenPage) {
  return {
    tokens: p.tokens.map(tokenView),
    count: p.count,
    current: p.page,
    prev: p.page > 1 ? p.page - 1 : null,
    next: p.page < p.pages ? p.page + 1 : null,
  };
}

/** The /token/init detail: the serial only. Seeds never leave the appliance: no otpkey, googleurl or oathurl. */
export function initDetail(t: Pick<TokenRecord, 'serial'>) {
  return { serial: t.serial, rollout_state: '' };
}

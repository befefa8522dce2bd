import { Client } from 'ldapts';
import { afterAll, beforeAll } from 'vitest';
import { makeHarness, type Harness } from './harness.js';
import { PEOPLE, ROOT_DN, ROOT_PW, SERVICE_DN, SERVICE_PW, startSlapd, type Slapd } from './slapd.mjs';

/** A resolver of the test slapd, privacyIDEA's option names: the service account, entryUUID ids; `extra` adds or overrides. */
export function ldapResolver(s: Slapd, extra: Record<string, unknown> = {}) {
  return { type: 'ldap', LDAPURI: s.url, LDAPBASE: PEOPLE, BINDDN: SERVICE_DN, BINDPW: SERVICE_PW, UIDTYPE: 'entryUUID', ...extra };
}

/** A client bound as the directory's root, to change entries while a test runs. */
export async function rootClient(s: Slapd): Promise<Client> {
  const c = new Client({ url: s.url });
  await c.bind(ROOT_DN, ROOT_PW);
  return c;
}

export interface Directory {
  s: Slapd;
  /** Only with `config`. */
  h: Harness;
  /** Only with `root`. */
  root: Client;
}

/**
 * A describe block's real slapd (with `slapd`'s users and groups, or the default ones), a harness configured
 * by `config(slapd)` and a root client, set up before its tests and torn down after them. The fields are
 * filled in when the tests run, not when the block is declared.
 */
export function useDirectory(
  o: { config?: (s: Slapd) => Record<string, unknown>; root?: boolean; slapd?: Parameters<typeof startSlapd>[0] } = {},
): Directory {
  const d = {} as Directory;
  beforeAll(async () => {
    d.s = await startSlapd(o.slapd);
    if (o.root) d.root = await rootClient(d.s);
    if (o.config) d.h = await makeHarness(o.config(d.s));
  }, 30_000);
  afterAll(async () => {
    await d.h?.close();
    await d.root?.unbind();
    await d.s?.destroy();
  });
  return d;
}

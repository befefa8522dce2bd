import { Hono } from 'hono';
import { parameterError } from '../../token/errors.js';
import type { UserInput } from '../../token/users.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { parseJsonBody } from '../json.js';
import { int, opt, readBody, readParams, req, type Params } from '../params.js';
import type { DirectoryUser } from '../../directory/types.js';

export const IMPORT_MAX_USERS = 20_000;
/** 20,000 rows of a user with names and a mobile number take about 2 MB of JSON. */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;

export function userRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });
  const view = (u: { login: string; realm: string; mobile: string | null; givenname: string; surname: string }) => ({
    username: u.login,
    userid: u.login,
    realm: u.realm,
    resolver: 'local',
    givenname: u.givenname,
    surname: u.surname,
    mobile: u.mobile ?? '',
    phone: '',
    email: '',
    description: '',
    editable: true,
  });

  app.post('/', async (c) => {
    const p = await readParams(c);
    const input: UserInput = { login: req(p, 'user') };
    for (const k of ['realm', 'mobile', 'givenname', 'surname'] as const) {
      const v = opt(p, k);
      if (v) input[k] = v;
    }
    localTableRealm(deps, input.realm);
    const u = await deps.users.upsert(input);
    deps.audit.write({
      administrator: c.get('identity').username,
      action: 'POST /user/',
      client: c.get('client'),
      user: u.login,
      realm: u.realm,
      result: true,
    });
    return ok(c, true);
  });

  /**
   * Bulk import (CLI `user import`): JSON `{"users": [{user, realm?, mobile?, givenname?, surname?}]}`,
   * all or nothing, at most IMPORT_MAX_USERS rows in at most IMPORT_MAX_BYTES (the app sets that
   * body limit for this path): one import is one commit, held in memory whole.
   */
  app.post('/import', async (c) => {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await readBody(c));
    } catch (err) {
      if (err instanceof TypeError) throw parameterError('The request body is not valid UTF-8.');
      throw err;
    }
    const body = parseJsonBody(text);
    const list = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { users?: unknown }).users : undefined;
    if (!Array.isArray(list)) throw parameterError('Expected {"users": [...]}.');
    if (list.length > IMPORT_MAX_USERS)
      throw parameterError(`At most ${IMPORT_MAX_USERS} users per import (this one has ${list.length}): split the file.`);
    const inputs: UserInput[] = list.map((raw, i) => {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw parameterError(`users[${i}] must be an object.`);
      const r = raw as Record<string, unknown>;
      const str = (k: string) => {
        const v = Object.hasOwn(r, k) ? r[k] : undefined;
        if (v === undefined || v === null || v === '') return undefined;
        if (typeof v !== 'string') throw parameterError(`users[${i}].${k} must be a string.`);
        return v;
      };
      const login = str('user');
      if (!login) throw parameterError(`users[${i}] has no user.`);
      const input: UserInput = { login };
      for (const k of ['realm', 'mobile', 'givenname', 'surname'] as const) {
        const v = str(k);
        if (v) input[k] = v;
      }
      return input;
    });
    for (const i of inputs) localTableRealm(deps, i.realm);
    const n = await deps.users.upsertMany(inputs);
    deps.audit.write({
      administrator: c.get('identity').username,
      action: 'POST /user/import',
      client: c.get('client'),
      result: true,
      reason: `${n} users`,
    });
    return ok(c, n);
  });

  app.get('/', async (c) => {
    const p = await readParams(c);
    const realm = opt(p, 'realm') || undefined;
    const login = opt(p, 'username') ?? opt(p, 'user');
    // A directory realm is listed from the directory: paged, capped at the resolvers' SIZELIMIT.
    if (realm && deps.directory.hasDirectory(realm)) {
      const r = await directoryUsers(deps, realm, login, p);
      if (r.more) c.header('X-More-Users', 'true');
      return ok(c, r.users);
    }
    return ok(c, deps.users.list({ realm, login }).map(view));
  });

  app.delete('/:user', async (c) => {
    const p = await readParams(c);
    const { login, realm } = deps.users.resolveName(c.req.param('user'), opt(p, 'realm') || undefined);
    deps.users.require(login, realm);
    // A user's tokens cannot outlive the user: they would be unusable and unlisted by owner.
    for (const t of deps.tokenAdmin.ofUser(login, realm)) await deps.tokenAdmin.remove(t.serial);
    const removed = await deps.users.remove(login, realm);
    deps.audit.write({
      administrator: c.get('identity').username,
      action: 'DELETE /user/',
      client: c.get('client'),
      user: login,
      realm,
      result: removed,
    });
    return ok(c, removed);
  });

  return app;
}

/** privacyIDEA's user dict for a directory user (userid = the stable id tokens are bound to). */
function directoryView(u: DirectoryUser, realm: string) {
  return {
    username: u.login,
    userid: u.uid,
    realm,
    resolver: u.resolver,
    givenname: u.givenname,
    surname: u.surname,
    mobile: u.mobile ?? '',
    phone: u.phone,
    email: u.email,
    description: '',
    editable: false,
  };
}

async function directoryUsers(deps: AppDeps, realm: string, login: string | undefined, p: Params) {
  if (login) {
    const u = await deps.directory.find(login, realm);
    return { users: u ? [directoryView(u, deps.directory.realm(realm).name)] : [], more: false };
  }
  const page = int(p, 'page', 1, 1, 10_000);
  const pagesize = int(p, 'pagesize', 100, 1, 1000);
  const r = await deps.directory.listUsers(realm, page, pagesize);
  // privacyIDEA answers a plain list; that there are more (next page, or beyond SIZELIMIT) goes in a header.
  return { users: r.users.map((u) => directoryView(u, r.realm)), more: r.truncated };
}

/** Local users only go to realms that list the local table: elsewhere they could never log in. */
function localTableRealm(deps: AppDeps, realm: string | undefined): void {
  const r = deps.directory.realm(realm || deps.users.defaultRealm);
  if (!r.resolvers.includes('local')) {
    throw parameterError(
      `ERR905: Realm "${r.name}" takes its users from the directory (resolvers: ${r.resolvers.join(', ')}); add "local" to its resolvers to keep local users there too.`,
    );
  }
}

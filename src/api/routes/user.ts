import { Hono } from 'hono';
import { parameterError } from '../../token/errors.js';
import type { UserInput } from '../../token/users.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { parseJsonBody } from '../json.js';
import { opt, readBody, readParams, req } from '../params.js';

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
    const u = await deps.users.upsert(input);
    deps.audit.write({ administrator: c.get('identity').username, action: 'POST /user/', client: c.get('client'), user: u.login, realm: u.realm, result: true });
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
    if (list.length > IMPORT_MAX_USERS) throw parameterError(`At most ${IMPORT_MAX_USERS} users per import (this one has ${list.length}): split the file.`);
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
    const n = await deps.users.upsertMany(inputs);
    deps.audit.write({ administrator: c.get('identity').username, action: 'POST /user/import', client: c.get('client'), result: true, reason: `${n} users` });
    return ok(c, n);
  });

  app.get('/', async (c) => {
    const p = await readParams(c);
    const realm = opt(p, 'realm') || undefined;
    const login = opt(p, 'username') ?? opt(p, 'user');
    return ok(c, deps.users.list({ realm, login }).map(view));
  });

  app.delete('/:user', async (c) => {
    const p = await readParams(c);
    const { login, realm } = deps.users.resolveName(c.req.param('user'), opt(p, 'realm') || undefined);
    deps.users.require(login, realm);
    // A user's tokens cannot outlive the user: they would be unusable and unlisted by owner.
    for (const t of deps.tokenAdmin.ofUser(login, realm)) await deps.tokenAdmin.remove(t.serial);
    const removed = await deps.users.remove(login, realm);
    deps.audit.write({ administrator: c.get('identity').username, action: 'DELETE /user/', client: c.get('client'), user: login, realm, result: removed });
    return ok(c, removed);
  });

  return app;
}

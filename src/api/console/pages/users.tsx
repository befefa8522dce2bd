import type { UserInput } from '../../../token/users.js';
import { maskPhone } from '../../../util/logger.js';
import { auditConsole, done, errorText, fields, qs, render, takeFlash, type Ctx } from '../context.js';
import { IMPORT_MAX_BYTES, previewUserCsv } from '../csv-preview.js';
import type { ConsoleApp, Parts } from '../index.js';
import type { RealmInfo, RealmUser } from '../realms.js';
import { FilterForm, Layout, Pill, PostForm, Select, Table } from '../ui.js';

const LIST_MAX = 200;

export function realmsOf(deps: Parts['deps']): RealmInfo[] {
  const local = new Set<string>([deps.users.defaultRealm]);
  for (const u of deps.users.list()) local.add(u.realm);
  const extra = deps.realms?.list() ?? [];
  const directory = new Set(extra.filter((r) => r.kind === 'directory').map((r) => r.name));
  const out: RealmInfo[] = [...local]
    .filter((r) => !directory.has(r))
    .sort()
    .map((name) => ({ name, resolvers: ['local'], kind: 'local' as const }));
  return [...out, ...extra.filter((r) => r.kind === 'directory')];
}

function UserForm(p: {
  session: Ctx['var']['session'];
  realms: RealmInfo[];
  user?: { login: string; realm: string; mobile: string | null; givenname: string; surname: string };
  defaultRealm: string;
}) {
  const editing = !!p.user;
  return (
    <PostForm class="stack" action="/console/users/save" session={p.session} fields={editing ? { editing: '1' } : {}}>
      <label>
        User name
        <input name="login" required maxlength={100} value={p.user?.login ?? ''} readonly={editing} autocomplete="off" />
      </label>
      <label>
        Realm
        {editing ? (
          <input name="realm" value={p.user!.realm} readonly />
        ) : (
          <input name="realm" maxlength={64} value={p.defaultRealm} list="local-realms" autocomplete="off" />
        )}
      </label>
      <datalist id="local-realms">
        {p.realms
          .filter((r) => r.kind === 'local')
          .map((r) => (
            <option value={r.name} />
          ))}
      </datalist>
      <label>
        Mobile number
        <input name="mobile" type="tel" maxlength={32} value={p.user?.mobile ?? ''} placeholder="+491701234567" autocomplete="off" />
      </label>
      <label>
        Given name
        <input name="givenname" maxlength={100} value={p.user?.givenname ?? ''} autocomplete="off" />
      </label>
      <label>
        Surname
        <input name="surname" maxlength={100} value={p.user?.surname ?? ''} autocomplete="off" />
      </label>
      <div>
        <button type="submit">{editing ? 'Save user' : 'Add user'}</button>
      </div>
    </PostForm>
  );
}

export function userPages(app: ConsoleApp, { deps }: Parts) {
  app.get('/console/users', async (c) => {
    const s = c.get('session');
    const realms = realmsOf(deps);
    const realm = c.req.query('realm') || deps.users.defaultRealm;
    const q = (c.req.query('q') ?? '').slice(0, 100).toLowerCase();
    const info = realms.find((r) => r.name === realm);
    let rows: RealmUser[] = [];
    let total = 0;
    let note: string | null = null;
    if (info?.kind === 'directory') {
      if (!deps.realms?.search) note = 'This directory realm cannot be searched from the console.';
      else if (!q) note = 'Type part of a name to search the directory.';
      else {
        try {
          rows = await deps.realms.search(realm, q, LIST_MAX);
          total = rows.length;
        } catch (err) {
          note = `The directory did not answer: ${errorText(err)}`;
        }
      }
    } else {
      const all = deps.users
        .list({ realm })
        .filter((u) => !q || u.login.toLowerCase().includes(q) || `${u.givenname} ${u.surname}`.toLowerCase().includes(q));
      total = all.length;
      rows = all.slice(0, LIST_MAX);
    }
    const local = info?.kind !== 'directory';
    return render(
      c,
      <Layout title="Users" session={s} active="Users" flash={takeFlash(c)}>
        <h1>Users</h1>
        <section class="card" aria-labelledby="list-h">
          <h2 id="list-h">Users in realm {realm}</h2>
          <FilterForm action="/console/users" submit="Show">
            <Select
              label="Realm"
              name="realm"
              value={realm}
              options={realms.map((r) => [r.name, `${r.name} (${r.kind === 'local' ? 'local' : `directory: ${r.resolvers.join(', ')}`})`] as const)}
            />
            <label>
              Search
              <input name="q" type="search" value={q} maxlength={100} />
            </label>
          </FilterForm>
          {note ? <p class="muted">{note}</p> : null}
          <div class="scroll">
            <Table
              cols={['user', 'name', 'mobile', 'tokens', ...(local ? ['actions'] : [])]}
              empty={rows.length === 0 && !note ? `no users${q ? ' match' : ' yet'}` : null}
            >
              {rows.map((u) => (
                <tr>
                  <td>{u.login}</td>
                  <td>{`${u.givenname} ${u.surname}`.trim()}</td>
                  <td>{maskPhone(u.mobile)}</td>
                  <td>
                    {((n) => (
                      <a href={`/console/tokens${qs({ user: u.login, realm: u.realm })}`}>
                        {`${n} token${n === 1 ? '' : 's'}`}
                        <span class="vh">{` of ${u.login}`}</span>
                      </a>
                    ))(deps.tokenAdmin.ofUser(u.login, u.realm).length)}
                  </td>
                  {local ? (
                    <td>
                      <a href={`/console/users/edit${qs({ realm: u.realm, login: u.login })}`} aria-label={`Edit ${u.login}`}>
                        Edit
                      </a>{' '}
                      <a href={`/console/users/delete${qs({ realm: u.realm, login: u.login })}`} aria-label={`Delete ${u.login}`}>
                        Delete
                      </a>
                    </td>
                  ) : null}
                </tr>
              ))}
            </Table>
          </div>
          {total > rows.length ? (
            <p class="muted">
              Showing {rows.length} of {total}: search to narrow the list.
            </p>
          ) : null}
        </section>
        <div class="grid">
          <section class="card" aria-labelledby="add-h">
            <h2 id="add-h">Add a local user</h2>
            <UserForm session={s} realms={realms} defaultRealm={deps.users.defaultRealm} />
          </section>
          <section class="card" aria-labelledby="imp-h">
            <h2 id="imp-h">Import users from CSV</h2>
            <p class="muted">
              Header row with <code>user</code> and any of <code>realm, mobile, givenname, surname</code>. You see every row checked before anything
              is saved.
            </p>
            <PostForm class="stack" action="/console/users/import" enctype="multipart/form-data" session={s}>
              <label>
                CSV file
                <input name="file" type="file" accept=".csv,text/csv" />
              </label>
              <label>
                or paste CSV
                <textarea name="csv" maxlength={IMPORT_MAX_BYTES}></textarea>
              </label>
              <div>
                <button type="submit">Preview import</button>
              </div>
            </PostForm>
          </section>
        </div>
        <section class="card" aria-labelledby="realms-h">
          <h2 id="realms-h">Realms</h2>
          <Table cols={['realm', 'kind', 'resolvers', 'health']}>
            {realms.map((r) => (
              <tr>
                <td>
                  {r.name}
                  {r.name === deps.users.defaultRealm ? ' (default)' : ''}
                </td>
                <td>{r.kind}</td>
                <td>{r.resolvers.join(', ')}</td>
                <td>
                  {r.health ? <Pill state={r.health.ok ? 'ok' : 'down'} /> : ''} {r.health?.detail ?? ''}
                </td>
              </tr>
            ))}
          </Table>
        </section>
      </Layout>,
    );
  });

  app.get('/console/users/edit', (c) => {
    const s = c.get('session');
    const u = deps.users.get(c.req.query('login') ?? '', c.req.query('realm') ?? '');
    if (!u) return done(c, '/console/users', 'No such user.', 'bad');
    return render(
      c,
      <Layout title={`User ${u.login}`} session={s} active="Users">
        <h1>
          User {u.login}@{u.realm}
        </h1>
        <section class="card">
          <UserForm session={s} realms={realmsOf(deps)} user={u} defaultRealm={deps.users.defaultRealm} />
        </section>
        <p>
          <a href="/console/users">Back to users</a>
        </p>
      </Layout>,
    );
  });

  app.post('/console/users/save', async (c) => {
    const f = await fields(c);
    const input: UserInput = { login: f.str('login', 100) };
    const realm = f.opt('realm', 64);
    if (realm) input.realm = realm;
    for (const k of ['mobile', 'givenname', 'surname'] as const) {
      const v = f.str(k, 100);
      if (v || f.str('editing') === '1') input[k] = v;
    }
    // An edit may clear names; the mobile stays as it is when the field is left empty.
    if (input.mobile === '') delete input.mobile;
    try {
      const existed = !!deps.users.get(input.login, input.realm || deps.users.defaultRealm);
      const u = await deps.users.upsert(input);
      auditConsole(c, deps, existed ? 'user edit' : 'user add', true, { user: u.login, realm: u.realm });
      return done(c, `/console/users${qs({ realm: u.realm })}`, `User ${u.login}@${u.realm} ${existed ? 'saved' : 'added'}.`);
    } catch (err) {
      auditConsole(c, deps, 'user save', false, { user: input.login, reason: errorText(err) });
      return done(c, '/console/users', `Not saved: ${errorText(err)}`, 'bad');
    }
  });

  app.get('/console/users/delete', (c) => {
    const s = c.get('session');
    const u = deps.users.get(c.req.query('login') ?? '', c.req.query('realm') ?? '');
    if (!u) return done(c, '/console/users', 'No such user.', 'bad');
    const n = deps.tokenAdmin.ofUser(u.login, u.realm).length;
    return render(
      c,
      <Layout title="Delete user" session={s} active="Users">
        <h1>
          Delete user {u.login}@{u.realm}?
        </h1>
        <section class="card">
          <p>
            {n
              ? `Its ${n} token${n > 1 ? 's are' : ' is'} deleted with it: the user can no longer log in with an SMS code.`
              : 'The user has no tokens.'}
          </p>
          <PostForm class="inline" action="/console/users/delete" session={s} fields={{ login: u.login, realm: u.realm }}>
            <button type="submit" class="danger">
              Delete user
            </button>
            <a href="/console/users">Cancel</a>
          </PostForm>
        </section>
      </Layout>,
    );
  });

  app.post('/console/users/delete', async (c) => {
    const f = await fields(c);
    const login = f.str('login', 100);
    const realm = f.str('realm', 64);
    if (!deps.users.get(login, realm)) return done(c, '/console/users', 'No such user.', 'bad');
    for (const t of deps.tokenAdmin.ofUser(login, realm)) await deps.tokenAdmin.remove(t.serial);
    const removed = await deps.users.remove(login, realm);
    auditConsole(c, deps, 'user delete', removed, { user: login, realm });
    return done(c, `/console/users${qs({ realm })}`, `User ${login}@${realm} deleted.`);
  });

  app.post('/console/users/import', async (c) => {
    const s = c.get('session');
    const f = await fields(c);
    const file = f.file('file');
    let text = f.str('csv', IMPORT_MAX_BYTES);
    if (file && file.size > 0) {
      if (file.size > IMPORT_MAX_BYTES) return done(c, '/console/users', `The file is larger than ${IMPORT_MAX_BYTES / 1024} KB: split it.`, 'bad');
      text = await file.text();
    }
    if (!text) return done(c, '/console/users', 'Choose a CSV file or paste CSV text.', 'bad');
    const p = previewUserCsv(text, deps.users);
    return render(
      c,
      <Layout title="Import preview" session={s} active="Users">
        <h1>Import preview</h1>
        {p.fileError ? (
          <p class="flash bad" role="alert">
            {p.fileError} Nothing was imported.
          </p>
        ) : null}
        {!p.fileError ? (
          <section class="card" aria-labelledby="pv-h">
            <h2 id="pv-h">
              {p.valid} row{p.valid === 1 ? '' : 's'} ready, {p.invalid} with errors
            </h2>
            {p.invalid ? (
              <p role="alert">
                Rows with errors are left out; fix them in the file and import it again (rows already imported are updated, not doubled).
              </p>
            ) : null}
            <div class="scroll">
              <Table cols={['line', 'user', 'realm', 'mobile', 'name', 'result']}>
                {p.rows.map((r) => (
                  <tr>
                    <td>{r.line}</td>
                    <td>{r.input?.login ?? ''}</td>
                    <td>{r.input?.realm ?? deps.users.defaultRealm}</td>
                    <td>{r.error ? (r.input?.mobile ?? '') : maskPhone(r.input?.mobile)}</td>
                    <td>{`${r.input?.givenname ?? ''} ${r.input?.surname ?? ''}`.trim()}</td>
                    <td>
                      {r.error ? (
                        <>
                          <Pill state="error" /> {r.error}
                        </>
                      ) : (
                        <Pill state={r.action === 'create' ? 'new' : 'update'} />
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            </div>
            {p.valid ? (
              <PostForm class="inline" action="/console/users/import/commit" session={s}>
                <textarea name="csv" hidden aria-hidden="true" tabindex={-1}>
                  {text}
                </textarea>
                <button type="submit">{`Import ${p.valid} user${p.valid === 1 ? '' : 's'}`}</button>
                <a href="/console/users">Cancel</a>
              </PostForm>
            ) : (
              <p>
                <a href="/console/users">Back to users</a>
              </p>
            )}
          </section>
        ) : (
          <p>
            <a href="/console/users">Back to users</a>
          </p>
        )}
      </Layout>,
    );
  });

  app.post('/console/users/import/commit', async (c) => {
    const f = await fields(c);
    const p = previewUserCsv(f.str('csv', IMPORT_MAX_BYTES), deps.users);
    if (p.fileError) return done(c, '/console/users', `Nothing imported: ${p.fileError}`, 'bad');
    const good = p.rows.filter((r) => r.error === null).map((r) => r.input!);
    // All good rows in one commit: the import is all-or-nothing for the rows it takes.
    const n = good.length ? await deps.users.upsertMany(good) : 0;
    auditConsole(c, deps, 'user import', true, { reason: `${n} users imported, ${p.invalid} rows refused` });
    return done(
      c,
      '/console/users',
      `${n} user${n === 1 ? '' : 's'} imported${p.invalid ? `; ${p.invalid} row${p.invalid === 1 ? '' : 's'} with errors left out` : ''}.`,
      p.invalid ? 'bad' : 'ok',
    );
  });
}

import { maskPhone } from '../../../util/logger.js';
import { auditConsole, done, errorText, fields, qs, render, takeFlash, type Ctx } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { Action, Facts, FilterForm, filterValues, Layout, Pill, PostForm, Select, Table } from '../ui.js';
import { tokenPageView } from '../../views/token.js';

const PAGE = 100;

const locked = (t: { failcount: number; maxfail: number }) => t.failcount >= t.maxfail;

function tokenState(t: { active: boolean; failcount: number; maxfail: number }) {
  return !t.active ? 'disabled' : locked(t) ? 'locked' : 'active';
}

export function tokenPages(app: ConsoleApp, { deps }: Parts) {
  // The console shows the same token dict GET /token/ sends.
  const view = async (serial: string) => tokenPageView(await deps.tokenAdmin.list({ serial, page: 1, pagesize: 1 })).tokens[0];
  /** Runs one token action; the result (or the domain's error) comes back as the flash message. */
  const act = async (c: Ctx, action: string, run: (serial: string, f: Awaited<ReturnType<typeof fields>>) => Promise<string>) => {
    const f = await fields(c);
    const serial = f.str('serial', 40);
    const back = f.opt('back', 200) === 'list' ? '/console/tokens' : `/console/tokens/view${qs({ serial })}`;
    try {
      const msg = await run(serial, f);
      auditConsole(c, deps, `token ${action}`, true, { serial });
      return done(c, back, msg);
    } catch (err) {
      auditConsole(c, deps, `token ${action}`, false, { serial, reason: errorText(err) });
      return done(c, back, `${action} failed: ${errorText(err)}`, 'bad');
    }
  };

  app.get('/console/tokens', async (c) => {
    const s = c.get('session');
    const { user, realm } = filterValues(c, { user: 100, realm: 64 });
    const page = Math.max(1, Math.min(100_000, Number(c.req.query('page')) || 1));
    let list: ReturnType<typeof tokenPageView> | null = null;
    let error: string | null = null;
    try {
      list = tokenPageView(await deps.tokenAdmin.list({ user: user || undefined, realm: realm || undefined, page, pagesize: PAGE }));
    } catch (err) {
      error = errorText(err);
    }
    return render(
      c,
      <Layout title="Tokens" session={s} active="Tokens" flash={takeFlash(c)}>
        <h1>Tokens</h1>
        <section class="card" aria-labelledby="tl-h">
          <h2 id="tl-h">SMS tokens{user ? ` of ${user}` : ''}</h2>
          <FilterForm action="/console/tokens" submit="Filter">
            <label>
              Filter by user
              <input name="user" value={user} maxlength={100} />
            </label>
            <label>
              Filter by realm
              <input name="realm" value={realm} maxlength={64} />
            </label>
          </FilterForm>
          {error ? (
            <p class="flash bad" role="alert">
              {error}
            </p>
          ) : null}
          <div class="scroll">
            <Table
              cols={['serial', 'user', 'number', 'state', 'failcounter', 'description', 'actions']}
              empty={list && list.tokens.length === 0 ? 'no tokens' : null}
            >
              {list?.tokens.map((t) => (
                <tr>
                  <td>
                    <a href={`/console/tokens/view${qs({ serial: t.serial })}`}>{t.serial}</a>
                  </td>
                  <td>{t.username ? `${t.username}@${t.user_realm}` : ''}</td>
                  <td>{t.info.dynamic_phone ? "user's mobile" : maskPhone(t.info.phone)}</td>
                  <td>
                    <Pill state={tokenState(t)} />
                  </td>
                  <td>
                    {t.failcount} / {t.maxfail}
                  </td>
                  <td>{t.description}</td>
                  <td>
                    <Action
                      action={`/console/tokens/${t.active ? 'disable' : 'enable'}`}
                      session={s}
                      fields={{ serial: t.serial, back: 'list' }}
                      label={t.active ? 'Disable' : 'Enable'}
                      name={t.serial}
                      kind="secondary"
                    />
                    {t.failcount > 0 ? (
                      <Action
                        action="/console/tokens/reset"
                        session={s}
                        fields={{ serial: t.serial, back: 'list' }}
                        label="Reset failcounter"
                        name={t.serial}
                        kind="secondary"
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </Table>
          </div>
          {list && (list.prev || list.next) ? (
            <p>
              {list.prev ? <a href={`/console/tokens${qs({ user, realm, page: String(list.prev) })}`}>Previous page</a> : null}{' '}
              {list.next ? <a href={`/console/tokens${qs({ user, realm, page: String(list.next) })}`}>Next page</a> : null}{' '}
              <span class="muted">({list.count} tokens)</span>
            </p>
          ) : null}
        </section>
        <section class="card" aria-labelledby="en-h">
          <h2 id="en-h">Enrol an SMS token</h2>
          <PostForm class="stack" action="/console/tokens/enrol" session={s}>
            <label>
              User
              <input name="user" required maxlength={100} value={user} autocomplete="off" />
            </label>
            <label>
              Realm
              <input name="realm" maxlength={64} value={realm || deps.users.defaultRealm} autocomplete="off" />
            </label>
            <fieldset>
              <legend>Number the SMS goes to</legend>
              <label>
                <input type="radio" name="numbermode" value="dynamic" checked /> The user's mobile number (follows changes)
              </label>
              <label>
                <input type="radio" name="numbermode" value="fixed" /> A fixed number (below)
              </label>
            </fieldset>
            <label>
              Fixed number
              <input name="phone" type="tel" maxlength={32} placeholder="+491701234567" autocomplete="off" />
            </label>
            <label>
              PIN (optional)
              <input name="pin" type="password" maxlength={64} autocomplete="new-password" />
            </label>
            <Select
              label="Code length"
              name="otplen"
              value={String(deps.config.token.otpLength)}
              options={[
                ['6', '6 digits'],
                ['8', '8 digits'],
              ]}
            />
            <label>
              Description
              <input name="description" maxlength={80} autocomplete="off" />
            </label>
            <div>
              <button type="submit">Enrol token</button>
            </div>
          </PostForm>
        </section>
      </Layout>,
    );
  });

  app.get('/console/tokens/view', async (c) => {
    const s = c.get('session');
    const serial = (c.req.query('serial') ?? '').slice(0, 40);
    let t;
    try {
      t = await view(serial);
    } catch {
      t = undefined;
    }
    if (!t) return done(c, '/console/tokens', `No token ${serial}.`, 'bad');
    const fields2 = { serial: t.serial };
    return render(
      c,
      <Layout title={`Token ${t.serial}`} session={s} active="Tokens" flash={takeFlash(c)}>
        <h1>Token {t.serial}</h1>
        <section class="card" aria-labelledby="td-h">
          <h2 id="td-h">Details</h2>
          <Facts
            rows={[
              ['user', t.username ? `${t.username}@${t.user_realm}` : '(none)'],
              ['number', t.info.dynamic_phone ? "the user's mobile" : maskPhone(t.info.phone)],
              ['state', <Pill state={tokenState(t)} />],
              ['failcounter', `${t.failcount} of ${t.maxfail}${t.info.failcounter_exceeded ? `, locked since ${t.info.failcounter_exceeded}` : ''}`],
              ['logins', `${t.info.count_auth_success} successful of ${t.info.count_auth}`],
              ['code length', t.otplen],
              ['description', t.description],
            ]}
          />
        </section>
        <div class="grid">
          <section class="card" aria-labelledby="ta-h">
            <h2 id="ta-h">Actions</h2>
            <p>
              <Action
                action={`/console/tokens/${t.active ? 'disable' : 'enable'}`}
                session={s}
                fields={fields2}
                label={t.active ? 'Disable' : 'Enable'}
                kind="secondary"
              />
              <Action action="/console/tokens/reset" session={s} fields={fields2} label="Reset failcounter" kind="secondary" />
              <Action action="/console/tokens/test" session={s} fields={fields2} label="Send a test login SMS" kind="secondary" />
            </p>
            <p class="muted">The test SMS is a real login code for this token, valid {deps.config.token.challengeValidity} s.</p>
          </section>
          <section class="card" aria-labelledby="tp-h">
            <h2 id="tp-h">Set PIN</h2>
            <PostForm class="stack" action="/console/tokens/setpin" session={s} fields={fields2}>
              <label>
                New PIN (empty: no PIN)
                <input name="pin" type="password" maxlength={64} autocomplete="new-password" />
              </label>
              <div>
                <button type="submit">Set PIN</button>
              </div>
            </PostForm>
          </section>
          <section class="card" aria-labelledby="tx-h">
            <h2 id="tx-h">Delete</h2>
            <PostForm class="stack" action="/console/tokens/delete" session={s} fields={fields2}>
              <label>
                Type the serial to confirm
                <input name="confirm" required maxlength={40} autocomplete="off" />
              </label>
              <div>
                <button type="submit" class="danger">
                  Delete token
                </button>
              </div>
            </PostForm>
          </section>
        </div>
        <p>
          <a href="/console/tokens">Back to tokens</a>
        </p>
      </Layout>,
    );
  });

  app.post('/console/tokens/enrol', async (c) => {
    const f = await fields(c);
    const user = f.str('user', 100);
    const dynamic = f.str('numbermode') !== 'fixed';
    try {
      const t = await deps.tokenAdmin.init({
        type: 'sms',
        user,
        realm: f.opt('realm', 64),
        phone: dynamic ? undefined : f.str('phone', 32),
        dynamicPhone: dynamic,
        pin: f.opt('pin', 64),
        otplen: f.str('otplen') === '8' ? 8 : 6,
        description: f.opt('description', 80),
      });
      auditConsole(c, deps, 'token enrol', true, { serial: t.serial, user: t.user ?? undefined, realm: t.realm ?? undefined });
      return done(c, `/console/tokens/view${qs({ serial: t.serial })}`, `Token ${t.serial} enrolled for ${t.user}@${t.realm}.`);
    } catch (err) {
      auditConsole(c, deps, 'token enrol', false, { user, reason: errorText(err) });
      return done(c, `/console/tokens${qs({ user })}`, `Not enrolled: ${errorText(err)}`, 'bad');
    }
  });

  app.post('/console/tokens/enable', (c) =>
    act(c, 'enable', async (serial) =>
      (await deps.tokenAdmin.setActive(serial, true)) ? `Token ${serial} enabled.` : `Token ${serial} was enabled already.`,
    ),
  );
  app.post('/console/tokens/disable', (c) =>
    act(c, 'disable', async (serial) =>
      (await deps.tokenAdmin.setActive(serial, false))
        ? `Token ${serial} disabled: logins with it are refused.`
        : `Token ${serial} was disabled already.`,
    ),
  );
  app.post('/console/tokens/reset', (c) =>
    act(c, 'reset failcounter', async (serial) => (await deps.tokenAdmin.resetFailcount(serial), `Failcounter of ${serial} reset.`)),
  );
  app.post('/console/tokens/setpin', (c) =>
    act(c, 'set PIN', async (serial, f) => {
      const pin = f.str('pin', 64);
      await deps.tokenAdmin.setPin(serial, pin);
      return pin ? `PIN of ${serial} set.` : `PIN of ${serial} removed.`;
    }),
  );
  app.post('/console/tokens/test', (c) =>
    act(c, 'test SMS', async (serial) => {
      const out = await deps.validator.trigger({ serial });
      if (out.count === 0) throw new Error(out.message);
      return `Test login SMS for ${serial} queued: see Messages.`;
    }),
  );
  app.post('/console/tokens/delete', async (c) => {
    const f = await fields(c);
    const serial = f.str('serial', 40);
    if (f.str('confirm', 40) !== serial)
      return done(c, `/console/tokens/view${qs({ serial })}`, 'Not deleted: type the serial exactly to confirm.', 'bad');
    try {
      await deps.tokenAdmin.remove(serial);
      auditConsole(c, deps, 'token delete', true, { serial });
      return done(c, '/console/tokens', `Token ${serial} deleted.`);
    } catch (err) {
      auditConsole(c, deps, 'token delete', false, { serial, reason: errorText(err) });
      return done(c, '/console/tokens', `Not deleted: ${errorText(err)}`, 'bad');
    }
  });
}

import { checkName } from '../../../token/names.js';
import { PASSPHRASE_MIN, sealBackup } from '../../../util/sealed-backup.js';
import { auditConsole, done, errorText, fields, render, takeFlash, type Ctx } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { Action, Facts, Layout, Pill, PostForm, Table, time } from '../ui.js';
import { realmsOf } from './users.js';

const SECRET_KEY_RE = /pass|secret|pin|token|authorization|apikey|api_key|credential/i;

/** The config as JSON with every secret replaced: password-like keys, fixed HTTP parameters and headers that look secret, URL credentials. */
export function redactConfig(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY_RE.test(key)) return '(redacted)';
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, '$1(redacted)@');
  }
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY_RE.test(k) && (typeof v === 'string' || typeof v === 'number') ? '(redacted)' : redactConfig(v, k);
    return out;
  }
  return value;
}

type ProviderStatus = ReturnType<Parts['deps']['dispatcher']['status']>['providers'][number];

/** The providers with their circuits; `brief` (the overview) leaves out the failure detail. */
export function ProviderTable(p: { providers: ProviderStatus[]; brief?: boolean }) {
  const cols = p.brief
    ? ['provider', 'type', 'health', 'circuit', 'sent', 'last error']
    : [
        'provider',
        'type',
        'health',
        'circuit',
        'failures in a row',
        'in flight',
        'sent',
        'failures (temporary / permanent / unavailable / ambiguous)',
        'last error',
      ];
  return (
    <Table cols={cols}>
      {p.providers.map((x) => (
        <tr>
          <td>{x.id}</td>
          <td>{x.type}</td>
          <td>
            <Pill state={x.health} />
          </td>
          <td>
            <Pill state={x.breaker.state} />
          </td>
          {p.brief ? null : (
            <>
              <td>{x.breaker.consecutiveFailures}</td>
              <td>{x.inFlight}</td>
            </>
          )}
          <td>{x.sent}</td>
          {p.brief ? null : <td>{`${x.failures.temporary} / ${x.failures.permanent} / ${x.failures.unavailable} / ${x.failures.ambiguous}`}</td>}
          <td>{x.lastError ?? ''}</td>
        </tr>
      ))}
    </Table>
  );
}

export function systemPages(app: ConsoleApp, { deps, sessions }: Parts) {
  const page = (c: Ctx, newKey?: { name: string; key: string }) => {
    const s = c.get('session');
    const st = deps.dispatcher.status();
    const tls = deps.tls?.() ?? null;
    const realms = realmsOf(deps);
    const keys = deps.accounts.listApiKeys();
    const cfg = JSON.stringify(redactConfig(deps.config), null, 2);
    return render(
      c,
      <Layout title="System" session={s} active="System" flash={takeFlash(c)}>
        <h1>System</h1>
        {newKey ? (
          <section class="card" aria-labelledby="nk-h" role="status">
            <h2 id="nk-h">API key {newKey.name} created</h2>
            <p>
              Store it now: it is not stored here and cannot be shown again. Send it as the <code>X-API-Key</code> header, or as HTTP basic auth.
            </p>
            <code class="secret">{newKey.key}</code>
          </section>
        ) : null}
        <section class="card" aria-labelledby="pr-h">
          <h2 id="pr-h">Providers and circuits</h2>
          <div id="providers-live" data-live class="scroll">
            <ProviderTable providers={st.providers} />
          </div>
        </section>
        <div class="grid">
          <section class="card" aria-labelledby="dir-h">
            <h2 id="dir-h">Directory</h2>
            <Table cols={['realm', 'resolvers', 'health']}>
              {realms.map((r) => (
                <tr>
                  <td>{r.name}</td>
                  <td>{r.resolvers.join(', ')}</td>
                  <td>
                    {r.kind === 'local' ? (
                      <Pill state="ok" />
                    ) : r.health ? (
                      <>
                        <Pill state={r.health.ok ? 'ok' : 'down'} /> {r.health.detail}
                      </>
                    ) : (
                      'unknown'
                    )}
                  </td>
                </tr>
              ))}
            </Table>
            {deps.realms ? null : <p class="muted">No directory (LDAP/AD) realms: users come from the local table.</p>}
          </section>
          <section class="card" aria-labelledby="tls-h">
            <h2 id="tls-h">Certificate</h2>
            {tls ? (
              <Facts
                rows={[
                  ['SHA-256 fingerprint', tls.fingerprint, 'mono'],
                  ['subject', tls.subject],
                  ['names', tls.subjectAltNames.join(', ')],
                  ['valid until', tls.validTo],
                  [
                    'source',
                    tls.source === 'auto'
                      ? 'self-signed (listen.tls "auto")'
                      : `files${tls.chainLength ? `, ${tls.chainLength} chain certificate(s)` : ''}`,
                  ],
                ]}
              />
            ) : (
              <p>Plain HTTP: listen.tls is not set. Set it to "auto" so passwords and codes do not cross the network in clear.</p>
            )}
          </section>
        </div>
        <div class="grid">
          <section class="card" aria-labelledby="ak-h">
            <h2 id="ak-h">API keys</h2>
            <p class="muted">
              For the SMS gateway role (<code>POST /sms/send</code>), e.g. privacyIDEA's HTTP SMS provider.
            </p>
            <Table cols={['name', 'created', 'action']} empty={keys.length === 0 ? 'no API keys' : null}>
              {keys.map((k) => (
                <tr>
                  <td>{k.name}</td>
                  <td>{k.created.replace('T', ' ').slice(0, 19)}</td>
                  <td>
                    <Action action="/console/system/apikey/revoke" session={s} fields={{ name: k.name }} label="Revoke" name={k.name} kind="danger" />
                  </td>
                </tr>
              ))}
            </Table>
            <PostForm class="inline" action="/console/system/apikey" session={s}>
              <label>
                New key name
                <input name="name" required maxlength={64} pattern="[A-Za-z0-9._@\-]{1,64}" autocomplete="off" />
              </label>
              <button type="submit">Create API key</button>
            </PostForm>
          </section>
          <section class="card" aria-labelledby="bk-h">
            <h2 id="bk-h">Backup</h2>
            <p class="muted">
              A consistent snapshot of tokens, users, outbox and the secret key, sealed with your passphrase (AES-256-GCM, scrypt). Restore:{' '}
              <code>smsotpd restore FILE</code> with the daemon stopped.
            </p>
            <PostForm class="stack" action="/console/system/backup" session={s}>
              <label>
                Passphrase (at least {PASSPHRASE_MIN} characters)
                <input name="passphrase" type="password" required minlength={PASSPHRASE_MIN} maxlength={256} autocomplete="new-password" />
              </label>
              <label>
                Passphrase again
                <input name="again" type="password" required minlength={PASSPHRASE_MIN} maxlength={256} autocomplete="new-password" />
              </label>
              <div>
                <button type="submit">Download backup</button>
              </div>
            </PostForm>
          </section>
        </div>
        <section class="card" aria-labelledby="cf-h">
          <h2 id="cf-h">Configuration</h2>
          <p class="muted">{`${(deps.config as { source?: string }).source ?? 'config'}, secrets redacted. Console sessions: ${sessions.size} open, idle timeout ${deps.config.console.idleMinutes} min, at most ${deps.config.console.maxHours} h. Started ${time(deps.startedAt)}.`}</p>
          <pre class="config" tabindex={0} aria-label="configuration">
            {cfg}
          </pre>
        </section>
      </Layout>,
    );
  };

  app.get('/console/system', (c) => page(c));

  app.post('/console/system/apikey', async (c) => {
    const f = await fields(c);
    const name = f.str('name', 64);
    try {
      checkName('apikey', name);
      const secret = await deps.accounts.addApiKey(name);
      auditConsole(c, deps, 'apikey create', true, { reason: `api key ${name} created` });
      // Shown in this answer only, never put in the session or a redirect.
      return page(c, { name, key: `${name}:${secret}` });
    } catch (err) {
      auditConsole(c, deps, 'apikey create', false, { reason: errorText(err) });
      return done(c, '/console/system', `Not created: ${errorText(err)}`, 'bad');
    }
  });

  app.post('/console/system/apikey/revoke', async (c) => {
    const f = await fields(c);
    const name = f.str('name', 64);
    const removed = await deps.accounts.removeApiKey(name);
    auditConsole(c, deps, 'apikey revoke', removed, { reason: `api key ${name}` });
    return done(
      c,
      '/console/system',
      removed ? `API key ${name} revoked: requests with it are refused from now on.` : `No API key ${name}.`,
      removed ? 'ok' : 'bad',
    );
  });

  app.post('/console/system/backup', async (c) => {
    const f = await fields(c);
    const pass = f.str('passphrase', 256);
    if (pass !== f.str('again', 256)) return done(c, '/console/system', 'The two passphrases differ: no backup made.', 'bad');
    try {
      const sealed = await sealBackup(JSON.stringify(deps.backup()), pass);
      auditConsole(c, deps, 'backup download', true);
      c.header('Content-Type', 'application/json');
      c.header(
        'Content-Disposition',
        `attachment; filename="smsotpd-backup-${new Date(deps.clock.now()).toISOString().slice(0, 19).replace(/:/g, '')}.json"`,
      );
      return c.body(JSON.stringify(sealed));
    } catch (err) {
      auditConsole(c, deps, 'backup download', false, { reason: errorText(err) });
      return done(c, '/console/system', `No backup: ${errorText(err)}`, 'bad');
    }
  });
}

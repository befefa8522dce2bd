import { MAX_TEXT_CHARS } from '../../../sms/outbox.js';
import type { SmsProvider } from '../../../sms/provider.js';
import { UssdError } from '../../../sms/ussd.js';
import { normalisePhone } from '../../../token/users.js';
import { maskPhone, scrubDigits } from '../../../util/logger.js';
import { auditConsole, done, errorText, fields, render, takeFlash } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { modemsOf } from '../read.js';
import { Facts, Layout, Pill, PostForm, Spark } from '../ui.js';

const USSD_RE = /^[0-9*#+]{1,32}$/;
const USSD_TIMEOUT_MS = 25_000;

/** A provider that can re-check one modem at once (the modem part may offer it); otherwise the last health poll is shown. */
type Probing = SmsProvider & { probe?(modemId: string): Promise<Record<string, unknown>> };

export function modemPages(app: ConsoleApp, { deps }: Parts) {
  const providerOf = (id: string) => deps.providers?.find((p) => p.id === id) as Probing | undefined;

  app.get('/console/modems', (c) => {
    const s = c.get('session');
    const modems = modemsOf(deps);
    const history = deps.signals.get();
    return render(
      c,
      <Layout title="Modems" session={s} active="Modems" flash={takeFlash(c)}>
        <h1>Modems</h1>
        {modems.length === 0 ? (
          <section class="card">
            <p>No modem providers are configured (sms.providers with type modem or simulator).</p>
          </section>
        ) : null}
        {modems.map((m, i) => {
          const p = providerOf(m.provider);
          return (
            <section class="card" aria-labelledby={`mh-${i}`}>
              <h2 id={`mh-${i}`}>
                Modem {m.id}
                {m.provider !== m.id ? ` (pool ${m.provider})` : ''}
              </h2>
              <div id={`modem-live-${i}`} data-live class="grid">
                <Facts
                  rows={[
                    ['state', <Pill state={m.state} />],
                    ['signal', m.signalDbm === null ? 'unknown' : `${m.signalDbm} dBm`],
                    ['operator', m.operator ?? ''],
                    ['registration', m.registration ?? ''],
                    ['device', m.device, 'mono'],
                    ['profile', m.profile],
                    ['last error', m.lastError ?? ''],
                  ]}
                />
                <div>
                  <h3>Signal, last hour</h3>
                  <Spark points={history[m.id] ?? []} />
                  <Facts rows={Object.entries(m.counters)} />
                </div>
              </div>
              <div class="grid">
                <PostForm class="stack" action="/console/modems/probe" session={s} fields={{ provider: m.provider, modem: m.id }}>
                  <div>
                    <button type="submit" class="secondary" aria-label={`Probe ${m.id}`}>
                      Probe
                    </button>
                  </div>
                </PostForm>
                <PostForm class="stack" action="/console/modems/ussd" session={s} fields={{ provider: m.provider, modem: m.id }}>
                  <label>
                    Balance code (USSD)
                    <input name="code" value="*100#" maxlength={32} pattern="[0-9*#+]{1,32}" disabled={!p?.ussd} />
                  </label>
                  <div>
                    <button type="submit" class="secondary" disabled={!p?.ussd} aria-label={`Check balance of ${m.id}`}>
                      Check balance
                    </button>
                  </div>
                  {!p?.ussd ? <p class="muted">This provider cannot run USSD codes.</p> : null}
                </PostForm>
                <PostForm class="stack" action="/console/modems/test" session={s} fields={{ provider: m.provider }}>
                  <label>
                    Test SMS to number
                    <input name="to" type="tel" required maxlength={32} placeholder="+491701234567" autocomplete="off" />
                  </label>
                  <label>
                    Text
                    <input name="text" maxlength={160} value="smsotpd test message" />
                  </label>
                  <div>
                    <button type="submit" aria-label={`Send test SMS via ${m.provider}`}>
                      Send test SMS
                    </button>
                  </div>
                </PostForm>
              </div>
            </section>
          );
        })}
      </Layout>,
    );
  });

  app.post('/console/modems/probe', async (c) => {
    const f = await fields(c);
    const modem = f.str('modem', 64);
    const p = providerOf(f.str('provider', 64));
    if (!p) return done(c, '/console/modems', 'No such provider.', 'bad');
    try {
      if (p.probe) await p.probe(modem);
      deps.signals.sample();
      const m = modemsOf(deps).find((x) => x.id === modem);
      auditConsole(c, deps, 'modem probe', true, { provider: p.id, reason: modem });
      const how = p.probe ? 'probed now' : 'as of its last health poll';
      return done(
        c,
        '/console/modems',
        m
          ? `Modem ${modem} (${how}): ${m.state}, signal ${m.signalDbm ?? 'unknown'} dBm, ${m.registration ?? 'registration unknown'}${m.operator ? `, ${m.operator}` : ''}.`
          : `No modem ${modem}.`,
        m ? 'ok' : 'bad',
      );
    } catch (err) {
      auditConsole(c, deps, 'modem probe', false, { provider: p.id, reason: errorText(err) });
      return done(c, '/console/modems', `Probe of ${modem} failed: ${errorText(err)}`, 'bad');
    }
  });

  app.post('/console/modems/ussd', async (c) => {
    const f = await fields(c);
    const code = f.str('code', 32);
    const modem = f.str('modem', 64);
    // Only digits, * # +: nothing else may reach an AT command line (the USSD service checks it too).
    if (!USSD_RE.test(code)) return done(c, '/console/modems', 'A USSD code has only digits, * # and +, e.g. *100#.', 'bad');
    // A top-up code can carry a voucher number: the audit log keeps only its shape.
    const shape = scrubDigits(code);
    try {
      const r = await deps.ussd.run(modem, code, { timeoutMs: USSD_TIMEOUT_MS, signal: c.req.raw.signal });
      auditConsole(c, deps, 'modem ussd', true, { modem: r.modem, reason: `code ${shape}` });
      return done(c, '/console/modems', `${r.modem} answered ${code}: ${r.answer}`);
    } catch (err) {
      if (!(err instanceof UssdError)) throw err;
      auditConsole(c, deps, 'modem ussd', false, { modem, reason: `code ${shape}: ${err.message}` });
      return done(c, '/console/modems', `${code} on ${modem} failed: ${err.message}`, 'bad');
    }
  });

  app.post('/console/modems/test', async (c) => {
    const f = await fields(c);
    const text = f.str('text', MAX_TEXT_CHARS) || 'smsotpd test message';
    try {
      const to = normalisePhone(f.str('to', 32));
      if (deps.dispatcher.isFull()) throw new Error('the SMS queue is full; retry later');
      // The outbox's one way in, as POST /sms/send uses it.
      const [record] = await deps.enqueue([{ to, text, expiresAt: deps.clock.now() + deps.config.token.challengeValidity * 1000, origin: 'api' }]);
      if (!record) throw new Error('the outbox took no message');
      auditConsole(c, deps, 'test SMS', true, { message: record.id, reason: `to ${maskPhone(to)}` });
      return done(c, '/console/modems', `Test SMS to ${maskPhone(to)} queued: follow it in Messages.`);
    } catch (err) {
      auditConsole(c, deps, 'test SMS', false, { reason: errorText(err) });
      return done(c, '/console/modems', `Not sent: ${errorText(err)}`, 'bad');
    }
  });
}

import { maskPhone } from '../../../util/logger.js';
import { qs, render, takeFlash } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { outbox, type OutboxRow } from '../read.js';
import { Layout, Pill, time } from '../ui.js';

const SHOWN = 200;
const INCOMING_SHOWN = 50;
/** The states the outbox knows today; a state added later still shows (and is offered) once a message has it. */
const KNOWN_STATES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired'];

/** `datetime-local` values are read as UTC, as the page says. */
const parseTime = (v: string | undefined) => {
  if (!v) return null;
  const t = Date.parse(/Z$|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isFinite(t) ? t : null;
};
const digits = (s: string) => s.replace(/\D/g, '');

export function messagePages(app: ConsoleApp, { deps }: Parts) {
  /** The numbers a user's SMS go to: the user's mobile and every fixed number of the user's tokens. */
  const numbersOf = (user: string): Set<string> | string => {
    try {
      const { login, realm } = deps.users.resolveName(user);
      const set = new Set<string>();
      const u = deps.users.get(login, realm);
      if (u?.mobile) set.add(digits(u.mobile));
      for (const t of deps.tokenAdmin.ofUser(login, realm)) if (t.phone) set.add(digits(t.phone));
      return set;
    } catch {
      return 'not a valid user name';
    }
  };

  app.get('/console/messages', (c) => {
    const s = c.get('session');
    const q = {
      user: (c.req.query('user') ?? '').slice(0, 100),
      number: (c.req.query('number') ?? '').slice(0, 32),
      state: (c.req.query('state') ?? '').slice(0, 20),
      from: (c.req.query('from') ?? '').slice(0, 30),
      to: (c.req.query('to') ?? '').slice(0, 30),
    };
    const all = outbox(deps);
    const states = [...new Set([...KNOWN_STATES, ...all.map((m) => m.state)])];
    let note: string | null = null;
    let rows: OutboxRow[] = all;
    if (q.user) {
      const nums = numbersOf(q.user);
      if (typeof nums === 'string') note = `User: ${nums}.`;
      else {
        if (nums.size === 0) note = `${q.user} has no mobile number and no token with a fixed number.`;
        rows = rows.filter((m) => nums.has(digits(m.to)));
      }
    }
    if (q.number && digits(q.number)) rows = rows.filter((m) => digits(m.to).includes(digits(q.number)));
    if (q.state) rows = rows.filter((m) => m.state === q.state);
    const from = parseTime(q.from);
    const to = parseTime(q.to);
    if (from !== null) rows = rows.filter((m) => m.createdAt >= from);
    if (to !== null) rows = rows.filter((m) => m.createdAt <= to);
    const incoming = deps.inbox.list(1, INCOMING_SHOWN);
    return render(
      c,
      <Layout title="Messages" session={s} active="Messages" flash={takeFlash(c)}>
        <h1>Messages</h1>
        <section class="card" aria-labelledby="ob-h">
          <h2 id="ob-h">Outbox</h2>
          <form class="inline" method="get" action="/console/messages">
            <label>
              User
              <input name="user" value={q.user} maxlength={100} />
            </label>
            <label>
              Number
              <input name="number" type="tel" value={q.number} maxlength={32} />
            </label>
            <label>
              State
              <select name="state">
                <option value="">any</option>
                {states.map((st) => (
                  <option value={st} selected={st === q.state}>
                    {st}
                  </option>
                ))}
              </select>
            </label>
            <label>
              From (UTC)
              <input name="from" type="datetime-local" value={q.from} />
            </label>
            <label>
              To (UTC)
              <input name="to" type="datetime-local" value={q.to} />
            </label>
            <button type="submit" class="secondary">
              Search
            </button>
          </form>
          {note ? <p class="muted">{note}</p> : null}
          <div id="outbox-live" data-live class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">created</th>
                  <th scope="col">to</th>
                  <th scope="col">state</th>
                  <th scope="col">provider</th>
                  <th scope="col">attempts</th>
                  <th scope="col">duplicates</th>
                  <th scope="col">origin</th>
                  <th scope="col">error</th>
                </tr>
              </thead>
              <tbody>
                {rows.length === 0 ? (
                  <tr>
                    <td colspan={8}>no messages{all.length ? ' match' : ' yet'}</td>
                  </tr>
                ) : null}
                {rows.slice(0, SHOWN).map((m) => (
                  <tr>
                    <td>
                      <a href={`/console/messages/view${qs({ id: m.id })}`} aria-label={`message of ${time(m.createdAt)} to ${maskPhone(m.to)}`}>
                        {time(m.createdAt)}
                      </a>
                    </td>
                    <td>{maskPhone(m.to)}</td>
                    <td>
                      <Pill state={m.state} />
                    </td>
                    <td>{m.provider ?? ''}</td>
                    <td>{m.attempts}</td>
                    <td>{m.duplicates || ''}</td>
                    <td>{m.origin === 'challenge' ? 'login' : 'gateway'}</td>
                    <td>{m.lastError ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">
              {rows.length > SHOWN ? `Showing the newest ${SHOWN} of ${rows.length}.` : `${rows.length} message${rows.length === 1 ? '' : 's'}.`}{' '}
              Final messages are kept {deps.config.sms.keepFinalHours} h (at most {deps.config.sms.keepFinalMax}).
            </p>
          </div>
        </section>
        <section class="card" aria-labelledby="in-h">
          <h2 id="in-h">Incoming SMS</h2>
          <div id="inbox-live" data-live class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">sent (service centre)</th>
                  <th scope="col">from</th>
                  <th scope="col">modem</th>
                  <th scope="col">text</th>
                </tr>
              </thead>
              <tbody>
                {incoming.messages.length === 0 ? (
                  <tr>
                    <td colspan={4}>none received</td>
                  </tr>
                ) : null}
                {incoming.messages.map((m) => (
                  <tr>
                    <td>{time(m.t)}</td>
                    <td>{/^\+?\d{6,}$/.test(m.from) ? maskPhone(m.from) : m.from}</td>
                    <td>{m.modem}</td>
                    <td>{m.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {incoming.count > incoming.messages.length ? (
              <p class="muted">{`The newest ${incoming.messages.length} of ${incoming.count}; all of them: smsotpd sms inbox.`}</p>
            ) : null}
          </div>
        </section>
      </Layout>,
    );
  });

  app.get('/console/messages/view', (c) => {
    const s = c.get('session');
    const m = deps.outbox.message((c.req.query('id') ?? '').slice(0, 64));
    if (!m) {
      s.flash = { kind: 'bad', text: 'No such message (final messages are removed after sms.keepFinalHours).' };
      return c.redirect('/console/messages', 303);
    }
    return render(
      c,
      <Layout title="Message" session={s} active="Messages">
        <h1>Message {m.id}</h1>
        <section class="card">
          <table>
            <tbody>
              <tr>
                <th scope="row">to</th>
                <td>{maskPhone(m.to)}</td>
              </tr>
              <tr>
                <th scope="row">state</th>
                <td>
                  <Pill state={m.state} />
                </td>
              </tr>
              <tr>
                <th scope="row">created</th>
                <td>{time(m.createdAt)}</td>
              </tr>
              <tr>
                <th scope="row">expires</th>
                <td>{time(m.expiresAt)}</td>
              </tr>
              <tr>
                <th scope="row">sent</th>
                <td>{time(m.sentAt)}</td>
              </tr>
              <tr>
                <th scope="row">provider</th>
                <td>{m.provider ?? ''}</td>
              </tr>
              <tr>
                <th scope="row">attempts</th>
                <td>{m.attempts}</td>
              </tr>
              <tr>
                <th scope="row">duplicates</th>
                <td>{m.duplicates}</td>
              </tr>
              <tr>
                <th scope="row">last error</th>
                <td>{m.lastError ?? ''}</td>
              </tr>
            </tbody>
          </table>
        </section>
        <section class="card" aria-labelledby="hops-h">
          <h2 id="hops-h">What happened</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">time</th>
                <th scope="col">provider</th>
                <th scope="col">event</th>
                <th scope="col">detail</th>
              </tr>
            </thead>
            <tbody>
              {m.hops.map((h) => (
                <tr>
                  <td>{time(h.t)}</td>
                  <td>{h.provider}</td>
                  <td>{h.event}</td>
                  <td>{h.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">The text is not shown: a login code is a secret until it expires.</p>
        </section>
        <p>
          <a href="/console/messages">Back to messages</a>
        </p>
      </Layout>,
    );
  });
}

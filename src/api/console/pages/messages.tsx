import { maskPhone } from '../../../util/logger.js';
import { qs, render, takeFlash } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { outbox, type OutboxRow } from '../read.js';
import { Facts, FilterForm, filterValues, Layout, parseTime, Pill, Select, Table, TimeRange, time } from '../ui.js';

const SHOWN = 200;
const INCOMING_SHOWN = 50;
/** The states the outbox knows today; a state added later still shows (and is offered) once a message has it. */
const KNOWN_STATES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired'];

const digits = (s: string) => s.replace(/\D/g, '');

/**
 * Outbox messages, newest first, the number masked; `brief` (the overview) leaves out the link to each
 * message, duplicates and origin.
 */
export function OutboxTable(p: { rows: OutboxRow[]; empty: string | null; brief?: boolean }) {
  const cols = p.brief
    ? ['created', 'to', 'state', 'provider', 'attempts', 'error']
    : ['created', 'to', 'state', 'provider', 'attempts', 'duplicates', 'origin', 'error'];
  return (
    <Table cols={cols} empty={p.empty}>
      {p.rows.map((m) => (
        <tr>
          <td>
            {p.brief ? (
              time(m.createdAt)
            ) : (
              <a href={`/console/messages/view${qs({ id: m.id })}`} aria-label={`message of ${time(m.createdAt)} to ${maskPhone(m.to)}`}>
                {time(m.createdAt)}
              </a>
            )}
          </td>
          <td>{maskPhone(m.to)}</td>
          <td>
            <Pill state={m.state} />
          </td>
          <td>{m.provider ?? ''}</td>
          <td>{m.attempts}</td>
          {p.brief ? null : (
            <>
              <td>{m.duplicates || ''}</td>
              <td>{m.origin === 'challenge' ? 'login' : 'gateway'}</td>
            </>
          )}
          <td>{m.lastError ?? ''}</td>
        </tr>
      ))}
    </Table>
  );
}

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
    const q = filterValues(c, { user: 100, number: 32, state: 20, from: 30, to: 30 });
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
          <FilterForm action="/console/messages" submit="Search">
            <label>
              User
              <input name="user" value={q.user} maxlength={100} />
            </label>
            <label>
              Number
              <input name="number" type="tel" value={q.number} maxlength={32} />
            </label>
            <Select label="State" name="state" value={q.state} options={states.map((st) => [st, st] as const)} any />
            <TimeRange from={q.from} to={q.to} />
          </FilterForm>
          {note ? <p class="muted">{note}</p> : null}
          <div id="outbox-live" data-live class="scroll">
            <OutboxTable rows={rows.slice(0, SHOWN)} empty={rows.length === 0 ? `no messages${all.length ? ' match' : ' yet'}` : null} />
            <p class="muted">
              {rows.length > SHOWN ? `Showing the newest ${SHOWN} of ${rows.length}.` : `${rows.length} message${rows.length === 1 ? '' : 's'}.`}{' '}
              Final messages are kept {deps.config.sms.keepFinalHours} h (at most {deps.config.sms.keepFinalMax}).
            </p>
          </div>
        </section>
        <section class="card" aria-labelledby="in-h">
          <h2 id="in-h">Incoming SMS</h2>
          <div id="inbox-live" data-live class="scroll">
            <Table cols={['sent (service centre)', 'from', 'modem', 'text']} empty={incoming.messages.length === 0 ? 'none received' : null}>
              {incoming.messages.map((m) => (
                <tr>
                  <td>{time(m.t)}</td>
                  <td>{/^\+?\d{6,}$/.test(m.from) ? maskPhone(m.from) : m.from}</td>
                  <td>{m.modem}</td>
                  <td>{m.text}</td>
                </tr>
              ))}
            </Table>
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
          <Facts
            rows={[
              ['to', maskPhone(m.to)],
              ['state', <Pill state={m.state} />],
              ['created', time(m.createdAt)],
              ['expires', time(m.expiresAt)],
              ['sent', time(m.sentAt)],
              ['provider', m.provider ?? ''],
              ['attempts', m.attempts],
              ['duplicates', m.duplicates],
              ['last error', m.lastError ?? ''],
            ]}
          />
        </section>
        <section class="card" aria-labelledby="hops-h">
          <h2 id="hops-h">What happened</h2>
          <Table cols={['time', 'provider', 'event', 'detail']}>
            {m.hops.map((h) => (
              <tr>
                <td>{time(h.t)}</td>
                <td>{h.provider}</td>
                <td>{h.event}</td>
                <td>{h.detail ?? ''}</td>
              </tr>
            ))}
          </Table>
          <p class="muted">The text is not shown: a login code is a secret until it expires.</p>
        </section>
        <p>
          <a href="/console/messages">Back to messages</a>
        </p>
      </Layout>,
    );
  });
}

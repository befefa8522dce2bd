import { auditConsole, qs, render, takeFlash, type Ctx } from '../context.js';
import { AUDIT_COLUMNS, csvLine, searchAudit, type AuditQuery } from '../audit-read.js';
import type { ConsoleApp, Parts } from '../index.js';
import { Layout, Pill } from '../ui.js';

const SHOWN = 300;
const EXPORT_MAX = 200_000;

const parseTime = (v: string) => {
  if (!v) return null;
  const t = Date.parse(/Z$|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isFinite(t) ? t : null;
};

function queryOf(c: Ctx) {
  const raw = {
    user: (c.req.query('user') ?? '').slice(0, 100),
    action: (c.req.query('action') ?? '').slice(0, 100),
    result: (c.req.query('result') ?? '').slice(0, 4),
    client: (c.req.query('client') ?? '').slice(0, 64),
    from: (c.req.query('from') ?? '').slice(0, 30),
    to: (c.req.query('to') ?? '').slice(0, 30),
  };
  const q: AuditQuery = {
    user: raw.user,
    action: raw.action,
    result: raw.result,
    client: raw.client,
    from: parseTime(raw.from),
    to: parseTime(raw.to),
  };
  return { raw, q };
}

export function auditPages(app: ConsoleApp, { deps }: Parts) {
  app.get('/console/audit', async (c) => {
    const s = c.get('session');
    const { raw, q } = queryOf(c);
    const r = await searchAudit(deps.config.dataDir, deps.config.audit.keep, q, SHOWN);
    return render(
      c,
      <Layout title="Audit" session={s} active="Audit" flash={takeFlash(c)}>
        <h1>Audit</h1>
        <section class="card" aria-labelledby="as-h">
          <h2 id="as-h">Search the audit log</h2>
          <form class="inline" method="get" action="/console/audit">
            <label>
              User or admin
              <input name="user" value={raw.user} maxlength={100} />
            </label>
            <label>
              Action
              <input name="action" value={raw.action} maxlength={100} placeholder="/validate/check" />
            </label>
            <label>
              Result
              <select name="result">
                <option value="">any</option>
                <option value="ok" selected={raw.result === 'ok'}>
                  success
                </option>
                <option value="fail" selected={raw.result === 'fail'}>
                  failure
                </option>
              </select>
            </label>
            <label>
              Client
              <input name="client" value={raw.client} maxlength={64} />
            </label>
            <label>
              From (UTC)
              <input name="from" type="datetime-local" value={raw.from} />
            </label>
            <label>
              To (UTC)
              <input name="to" type="datetime-local" value={raw.to} />
            </label>
            <button type="submit" class="secondary">
              Search
            </button>
          </form>
          <p>
            <a href={`/console/audit.csv${qs(raw)}`}>Export these entries as CSV</a>
          </p>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">time</th>
                  <th scope="col">action</th>
                  <th scope="col">result</th>
                  <th scope="col">admin</th>
                  <th scope="col">user</th>
                  <th scope="col">serial</th>
                  <th scope="col">client</th>
                  <th scope="col">reason</th>
                </tr>
              </thead>
              <tbody>
                {r.rows.length === 0 ? (
                  <tr>
                    <td colspan={8}>no entries match</td>
                  </tr>
                ) : null}
                {r.rows.map((e) => (
                  <tr>
                    <td>{String(e.time).replace('T', ' ').slice(0, 19)}</td>
                    <td>{e.action}</td>
                    <td>{e.result === true ? <Pill state="success" /> : e.result === false ? <Pill state="failure" /> : ''}</td>
                    <td>{String(e.administrator ?? '')}</td>
                    <td>{e.user ? `${String(e.user)}${e.realm ? `@${String(e.realm)}` : ''}` : ''}</td>
                    <td>{String(e.serial ?? '')}</td>
                    <td>{String(e.client ?? '')}</td>
                    <td>{String(e.reason ?? e.authentication ?? '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {r.more ? <p class="muted">Showing the newest {SHOWN} matches: narrow the search, or export them all.</p> : null}
          {r.truncated ? <p class="muted">Only the newest 32 MB of the log were searched.</p> : null}
        </section>
      </Layout>,
    );
  });

  app.get('/console/audit.csv', async (c) => {
    const { q } = queryOf(c);
    const r = await searchAudit(deps.config.dataDir, deps.config.audit.keep, q, EXPORT_MAX);
    auditConsole(c, deps, 'audit export', true, { reason: `${r.rows.length} entries` });
    const body = [csvLine(AUDIT_COLUMNS), ...r.rows.map((e) => csvLine(AUDIT_COLUMNS.map((k) => e[k])))].join('\r\n') + '\r\n';
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="smsotpd-audit-${new Date(deps.clock.now()).toISOString().slice(0, 10)}.csv"`);
    return c.body(body);
  });
}

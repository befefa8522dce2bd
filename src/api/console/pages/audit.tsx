import { auditConsole, qs, render, takeFlash, type Ctx } from '../context.js';
import type { AuditQuery } from '../../../util/audit-search.js';
import { AUDIT_COLUMNS, csvLine } from '../audit-csv.js';
import type { ConsoleApp, Parts } from '../index.js';
import { FilterForm, filterValues, Layout, parseTime, Pill, Select, Table, TimeRange } from '../ui.js';

const SHOWN = 300;
const EXPORT_MAX = 200_000;

function queryOf(c: Ctx) {
  const raw = filterValues(c, { user: 100, action: 100, result: 4, client: 64, from: 30, to: 30 });
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
    const r = await deps.audit.search(q, SHOWN);
    return render(
      c,
      <Layout title="Audit" session={s} active="Audit" flash={takeFlash(c)}>
        <h1>Audit</h1>
        <section class="card" aria-labelledby="as-h">
          <h2 id="as-h">Search the audit log</h2>
          <FilterForm action="/console/audit" submit="Search">
            <label>
              User or admin
              <input name="user" value={raw.user} maxlength={100} />
            </label>
            <label>
              Action
              <input name="action" value={raw.action} maxlength={100} placeholder="/validate/check" />
            </label>
            <Select
              label="Result"
              name="result"
              value={raw.result}
              options={[
                ['ok', 'success'],
                ['fail', 'failure'],
              ]}
              any
            />
            <label>
              Client
              <input name="client" value={raw.client} maxlength={64} />
            </label>
            <TimeRange from={raw.from} to={raw.to} />
          </FilterForm>
          <p>
            <a href={`/console/audit.csv${qs(raw)}`}>Export these entries as CSV</a>
          </p>
          <div class="scroll">
            <Table
              cols={['time', 'action', 'result', 'admin', 'user', 'serial', 'client', 'reason']}
              empty={r.rows.length === 0 ? 'no entries match' : null}
            >
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
            </Table>
          </div>
          {r.more ? <p class="muted">Showing the newest {SHOWN} matches: narrow the search, or export them all.</p> : null}
          {r.truncated ? <p class="muted">Only the newest 32 MB of the log were searched.</p> : null}
        </section>
      </Layout>,
    );
  });

  app.get('/console/audit.csv', async (c) => {
    const { q } = queryOf(c);
    const r = await deps.audit.search(q, EXPORT_MAX);
    auditConsole(c, deps, 'audit export', true, { reason: `${r.rows.length} entries` });
    const body = [csvLine(AUDIT_COLUMNS), ...r.rows.map((e) => csvLine(AUDIT_COLUMNS.map((k) => e[k])))].join('\r\n') + '\r\n';
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="smsotpd-audit-${new Date(deps.clock.now()).toISOString().slice(0, 10)}.csv"`);
    return c.body(body);
  });
}

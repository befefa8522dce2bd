import { render, takeFlash } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { modemsOf, outbox } from '../read.js';
import { Figures, Layout, Pill, Spark, Table } from '../ui.js';
import { OutboxTable } from './messages.js';
import { ProviderTable } from './system.js';

/** The start page after login: what the old status page showed, refreshed live. */
export function overviewPage(app: ConsoleApp, { deps }: Parts) {
  app.get('/', (c) => {
    const s = c.get('session');
    const st = deps.dispatcher.status();
    const modems = modemsOf(deps);
    const history = deps.signals.get();
    const recent = outbox(deps).slice(0, 10);
    const tls = deps.tls?.();
    return render(
      c,
      <Layout title="Overview" session={s} active="Overview" flash={takeFlash(c)}>
        <h1>Overview</h1>
        <div id="overview-live" data-live>
          <div class="grid">
            <section class="card" aria-labelledby="q-h">
              <h2 id="q-h">Queue</h2>
              <Figures
                items={[
                  ['waiting', st.queue.depth],
                  ['oldest', `${st.queue.oldestAgeSeconds} s`],
                  ['sent', st.counters.sent],
                  ['duplicates', st.counters.duplicates],
                  ['delivered', st.counters.delivered, 'c-dlv'],
                  ['undelivered', st.counters.undelivered, 'c-undlv'],
                  ['expired / failed', st.counters.expired + st.counters.failed],
                ]}
              />
            </section>
            <section class="card" aria-labelledby="e-h">
              <h2 id="e-h">Appliance</h2>
              <Figures
                items={[
                  ['tokens', deps.tokenAdmin.count()],
                  ['users', deps.users.count()],
                  ['uptime', `${Math.round((deps.clock.now() - deps.startedAt) / 60_000)} min`],
                ]}
              />
              <p class="muted">
                {tls ? (
                  <>
                    HTTPS, certificate SHA-256 <span class="mono">{tls.fingerprint}</span>
                  </>
                ) : (
                  'Plain HTTP (no listen.tls)'
                )}
              </p>
            </section>
          </div>
          <section class="card" aria-labelledby="m-h">
            <h2 id="m-h">Modems</h2>
            <div class="scroll">
              <Table
                cols={['modem', 'state', 'signal', 'last hour', 'operator', 'registration']}
                empty={modems.length === 0 ? 'no modems configured' : null}
              >
                {modems.map((m) => (
                  <tr>
                    <td>{m.id}</td>
                    <td>
                      <Pill state={m.state} />
                    </td>
                    <td>{m.signalDbm === null ? '–' : `${m.signalDbm} dBm`}</td>
                    <td>
                      <Spark points={history[m.id] ?? []} />
                    </td>
                    <td>{m.operator ?? ''}</td>
                    <td>{m.registration ?? ''}</td>
                  </tr>
                ))}
              </Table>
            </div>
          </section>
          <section class="card" aria-labelledby="p-h">
            <h2 id="p-h">Providers</h2>
            <div class="scroll">
              <ProviderTable providers={st.providers} brief />
            </div>
          </section>
          <section class="card" aria-labelledby="r-h">
            <h2 id="r-h">Last sends</h2>
            <div class="scroll" id="recent">
              <OutboxTable rows={recent} empty={recent.length === 0 ? 'no messages yet' : null} brief />
            </div>
            <p>
              <a href="/console/messages">All messages</a>
            </p>
          </section>
        </div>
      </Layout>,
    );
  });
}

import { maskPhone } from '../../../util/logger.js';
import { render, takeFlash } from '../context.js';
import type { ConsoleApp, Parts } from '../index.js';
import { modemsOf, outbox } from '../read.js';
import { Layout, Pill, Spark, time } from '../ui.js';

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
              <div class="kv">
                <div>
                  <span class="l">waiting</span>
                  <b class="big">{st.queue.depth}</b>
                </div>
                <div>
                  <span class="l">oldest</span>
                  <b class="big">{st.queue.oldestAgeSeconds} s</b>
                </div>
                <div>
                  <span class="l">sent</span>
                  <b class="big">{st.counters.sent}</b>
                </div>
                <div>
                  <span class="l">duplicates</span>
                  <b class="big">{st.counters.duplicates}</b>
                </div>
                <div>
                  <span class="l">delivered</span>
                  <b class="big" id="c-dlv">
                    {st.counters.delivered}
                  </b>
                </div>
                <div>
                  <span class="l">undelivered</span>
                  <b class="big" id="c-undlv">
                    {st.counters.undelivered}
                  </b>
                </div>
                <div>
                  <span class="l">expired / failed</span>
                  <b class="big">{st.counters.expired + st.counters.failed}</b>
                </div>
                <div>
                  <span class="l">delivered</span>
                  <b class="big">{st.counters.delivered}</b>
                </div>
                <div>
                  <span class="l">undelivered</span>
                  <b class="big">{st.counters.undelivered}</b>
                </div>
              </div>
            </section>
            <section class="card" aria-labelledby="e-h">
              <h2 id="e-h">Appliance</h2>
              <div class="kv">
                <div>
                  <span class="l">tokens</span>
                  <b class="big">{deps.tokenAdmin.count()}</b>
                </div>
                <div>
                  <span class="l">users</span>
                  <b class="big">{deps.users.count()}</b>
                </div>
                <div>
                  <span class="l">uptime</span>
                  <b class="big">{Math.round((deps.clock.now() - deps.startedAt) / 60_000)} min</b>
                </div>
              </div>
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
              <table>
                <thead>
                  <tr>
                    <th scope="col">modem</th>
                    <th scope="col">state</th>
                    <th scope="col">signal</th>
                    <th scope="col">last hour</th>
                    <th scope="col">operator</th>
                    <th scope="col">registration</th>
                  </tr>
                </thead>
                <tbody>
                  {modems.length === 0 ? (
                    <tr>
                      <td colspan={6}>no modems configured</td>
                    </tr>
                  ) : null}
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
                </tbody>
              </table>
            </div>
          </section>
          <section class="card" aria-labelledby="p-h">
            <h2 id="p-h">Providers</h2>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">provider</th>
                    <th scope="col">type</th>
                    <th scope="col">health</th>
                    <th scope="col">circuit</th>
                    <th scope="col">sent</th>
                    <th scope="col">last error</th>
                  </tr>
                </thead>
                <tbody>
                  {st.providers.map((p) => (
                    <tr>
                      <td>{p.id}</td>
                      <td>{p.type}</td>
                      <td>
                        <Pill state={p.health} />
                      </td>
                      <td>
                        <Pill state={p.breaker.state} />
                      </td>
                      <td>{p.sent}</td>
                      <td>{p.lastError ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section class="card" aria-labelledby="r-h">
            <h2 id="r-h">Last sends</h2>
            <div class="scroll" id="recent">
              <table>
                <thead>
                  <tr>
                    <th scope="col">created</th>
                    <th scope="col">to</th>
                    <th scope="col">state</th>
                    <th scope="col">provider</th>
                    <th scope="col">attempts</th>
                    <th scope="col">error</th>
                  </tr>
                </thead>
                <tbody>
                  {recent.length === 0 ? (
                    <tr>
                      <td colspan={6}>no messages yet</td>
                    </tr>
                  ) : null}
                  {recent.map((m) => (
                    <tr>
                      <td>{time(m.createdAt)}</td>
                      <td>{maskPhone(m.to)}</td>
                      <td>
                        <Pill state={m.state} />
                      </td>
                      <td>{m.provider ?? ''}</td>
                      <td>{m.attempts}</td>
                      <td>{m.lastError ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
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

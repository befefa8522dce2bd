import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/api/metrics.js';
import { enroll, makeHarness, type Harness } from '../helpers/harness.js';
import { parseSamples, type Sample } from '../helpers/prometheus.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function scrape(harness: Harness): Promise<{ text: string; samples: Sample[] }> {
  const text = await (await harness.core.app.request('/metrics')).text();
  return { text, samples: parseSamples(text) };
}

describe('metrics as a Prometheus user reads them', () => {
  it("Node's process metrics under their standard names, every value a finite number, twice in a row", async () => {
    h = await makeHarness();
    for (let i = 0; i < 2; i++) {
      // The second scrape comes right after the first: the event-loop window may be empty.
      const { text, samples } = await scrape(h);
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
      expect(text).not.toMatch(/smsotpd_process_|process_process_/);
      for (const s of samples) expect(Number.isFinite(s.value), `${s.name} ${s.value}`).toBe(true);
      for (const s of samples.filter((x) => x.name.startsWith('nodejs_eventloop_lag_'))) {
        expect(s.value, s.name).toBeGreaterThanOrEqual(0);
        expect(s.value, s.name).toBeLessThan(60);
      }
    }
  });

  it('HTTP requests by route pattern and status code; login results in their own metric; latency histogram', async () => {
    h = await makeHarness();
    const pin = 'pinXq';
    const serial = await enroll(h, 'alice', pin);
    await h.call('POST', '/validate/check', { user: 'alice', pass: pin });
    await h.call('POST', '/validate/check', { user: 'alice', pass: '0000' });
    const auth = { Authorization: await h.adminToken() };
    // The same route, answered by its handler, refused by the auth middleware, with a slash.
    await h.call('GET', '/token/', {}, { headers: auth });
    await h.call('GET', '/token', {}, { headers: auth });
    await h.call('GET', '/token/');
    await h.call('DELETE', `/token/NOSUCH${serial.slice(0, 3)}XYZ`, {}, { headers: auth });
    await h.call('GET', '/no/such/path');
    const { text, samples } = await scrape(h);
    const requests = samples.filter((s) => s.name === 'smsotpd_http_requests_total');
    expect(
      requests.every((s) => /^\d{3}$/.test(s.labels.status!)),
      'status is the HTTP code only',
    ).toBe(true);
    expect(requests.every((s) => s.labels.route === 'unknown' || s.labels.route!.startsWith('/'))).toBe(true);
    const tokenList = requests.filter((s) => s.labels.method === 'GET' && s.labels.route === '/token');
    expect(tokenList.reduce((n, s) => n + s.value, 0)).toBe(3);
    expect(tokenList.map((s) => s.labels.status).sort()).toEqual(['200', '401']);
    expect(requests.some((s) => s.labels.method === 'DELETE' && s.labels.route === '/token/:serial')).toBe(true);
    expect(requests.some((s) => s.labels.route === 'unknown' && s.labels.status === '404')).toBe(true);
    expect(text).not.toContain('NOSUCH');
    expect(text).not.toContain('/no/such');
    const results = samples.filter((s) => s.name === 'smsotpd_validate_results_total');
    expect(results.find((s) => s.labels.result === 'CHALLENGE')?.value).toBe(1);
    expect(results.find((s) => s.labels.result === 'REJECT')?.value).toBe(1);
    expect(results.every((s) => s.labels.route === '/validate/check')).toBe(true);
    const checks = samples.find((s) => s.name === 'smsotpd_http_request_duration_seconds_count' && s.labels.route === '/validate/check');
    expect(checks?.value).toBe(2);
    expect(text).toMatch(/^smsotpd_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/validate\/check"\} \d+$/m);
    expect(text).not.toContain(pin);
  });

  it('store commits: the latency each one reports, and every commit of the daemon counted (core.ts wires the store to it)', async () => {
    const m = createMetrics();
    m.observeStoreCommit(0.004);
    m.observeStoreCommit(0.3);
    const own = parseSamples(await m.registry.metrics());
    const value = (name: string, le?: string) => own.find((x) => x.name === name && x.labels.le === le)!.value;
    expect(value('smsotpd_store_commit_seconds_count')).toBe(2);
    expect(value('smsotpd_store_commit_seconds_sum')).toBeCloseTo(0.304, 9);
    expect(value('smsotpd_store_commit_seconds_bucket', '0.005')).toBe(1);
    expect(value('smsotpd_store_commit_seconds_bucket', '1')).toBe(2);

    h = await makeHarness();
    const count = async () => (await scrape(h!)).samples.find((x) => x.name === 'smsotpd_store_commit_seconds_count')!.value;
    await h.adminToken();
    const before = await count();
    await enroll(h, 'alice', '1234');
    // The user and the token: two commits.
    expect((await count()) - before).toBe(2);
  });

  it('provider and breaker gauges are 0 or 1 (state sets, no fractions); queued-to-sent histogram', async () => {
    h = await makeHarness({ sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 20 }] } }, { providers: 'from-config' });
    await enroll(h, 'alice', '1234');
    await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    // The simulator takes its submit time; the dispatcher's status says when it was sent.
    for (let i = 0; i < 200; i++) {
      const { samples } = await scrape(h);
      if ((samples.find((s) => s.name === 'smsotpd_sms_queued_to_sent_seconds_count')?.value ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const { samples } = await scrape(h);
    expect(samples.find((s) => s.name === 'smsotpd_sms_queued_to_sent_seconds_count')?.value).toBe(1);
    for (const name of [
      'smsotpd_provider_up',
      'smsotpd_provider_degraded',
      'smsotpd_provider_health',
      'smsotpd_provider_breaker_state',
      'smsotpd_modem_state',
    ]) {
      const got = samples.filter((s) => s.name === name);
      expect(got.length, name).toBeGreaterThan(0);
      for (const s of got) expect([0, 1], `${name} ${JSON.stringify(s.labels)}`).toContain(s.value);
    }
    expect(samples.find((s) => s.name === 'smsotpd_provider_up' && s.labels.provider === 'sim')?.value).toBe(1);
    const health = samples.filter((s) => s.name === 'smsotpd_provider_health' && s.labels.provider === 'sim');
    expect(health.filter((s) => s.value === 1)).toHaveLength(1);
  });
});

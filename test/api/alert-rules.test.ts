import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll, makeHarness, type Harness } from '../helpers/harness.js';
import { parseSamples } from '../helpers/prometheus.js';

const root = path.resolve(import.meta.dirname, '../..');
const RULES = path.join(root, 'deploy/prometheus/smsotpd-alerts.yml');
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** PromQL words that are not metric names: functions, aggregations, operators, modifiers. */
const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'group',
  'count_values',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'abs',
  'absent',
  'absent_over_time',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'count_over_time',
  'changes',
  'resets',
  'time',
  'clamp_min',
  'clamp_max',
  'label_replace',
  'vector',
  'scalar',
  'round',
  'ceil',
  'floor',
]);
/** Series Prometheus makes itself for every scrape target, not exported by smsotpd. */
const PROMETHEUS_SERIES = new Set(['up']);

/** The metric names an expression selects: strings, label matchers, ranges and groupings removed. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w.])/g)) {
    const word = m[1]!;
    const after = bare.slice(m.index! + word.length).trimStart();
    if (PROMQL_WORDS.has(word) || after.startsWith('(')) continue;
    names.add(word);
  }
  return [...names];
}

/** Metrics registered only when the part that owns them is configured (a directory resolver). */
function conditionalMetricSource(name: string): string | null {
  const dir = path.join(root, 'src');
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith('.ts') && readFileSync(p, 'utf8').includes(`'${name}'`)) return path.relative(root, p);
    }
  }
  return null;
}

describe('example alert rules (deploy/prometheus/smsotpd-alerts.yml)', () => {
  let h: Harness;
  let exported: Set<string>;
  const doc = yaml.load(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
  const rules = doc.groups.flatMap((g) => g.rules);

  beforeAll(async () => {
    // A daemon that has done one login through a modem, so every series has appeared.
    h = await makeHarness({ sms: { providers: [{ id: 'sim', type: 'simulator', submitMs: 10 }] } }, { providers: 'from-config' });
    await enroll(h, 'alice', '1234');
    await h.call('POST', '/validate/check', { user: 'alice', pass: '1234' });
    const text = await (await h.core.app.request('/metrics')).text();
    // Every family prom-client registered is in # TYPE, with or without samples yet.
    exported = new Set([
      ...parseSamples(text).map((s) => s.name),
      ...[...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) =>
        m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_count`, `${m[1]}_sum`] : [m[1]!],
      ),
    ]);
  });
  afterAll(async () => h?.close());

  it('parses as Prometheus rule groups, each rule with an alert name, an expression and a severity', () => {
    expect(doc.groups.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(typeof r.expr, r.alert).toBe('string');
      expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      if (r.for !== undefined) expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      // Balanced brackets: a typo here would make Prometheus refuse the whole file.
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const) {
        expect(r.expr.split(open).length, `${r.alert} ${open}${close}`).toBe(r.expr.split(close).length);
      }
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('covers modem down, queue age, delivery ratio, directory down and login failures', () => {
    const all = rules.map((r) => r.expr).join('\n');
    for (const m of [
      'smsotpd_modem_state',
      'smsotpd_queue_oldest_age_seconds',
      'smsotpd_sms_delivery_outcomes_total',
      'smsotpd_directory_up',
      'smsotpd_validate_results_total',
    ]) {
      expect(all).toContain(m);
    }
  });

  it('names only metrics smsotpd exports (or that its configured parts register)', () => {
    for (const r of rules) {
      for (const name of metricNames(r.expr)) {
        if (PROMETHEUS_SERIES.has(name) || exported.has(name)) continue;
        // Registered only with the part configured: it must at least be defined in the source.
        const source = conditionalMetricSource(name);
        if (name.startsWith('smsotpd_directory_') && !existsSync(path.join(root, 'src/directory'))) continue;
        expect(source, `${r.alert}: ${name} is neither in /metrics nor defined in src/`).not.toBeNull();
      }
    }
  });

  it('the name extractor finds names and skips functions, labels and groupings', () => {
    expect(metricNames('sum by (instance, le) (rate(a_b_bucket{route="/x"}[5m])) / c_total > 3 and up{job="s"} == 0').sort()).toEqual([
      'a_b_bucket',
      'c_total',
      'up',
    ]);
  });
});

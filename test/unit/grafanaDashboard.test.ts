import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_METRICS, runMetricPoints, runResourceAttributes } from '../../src/reporting/runMetrics.js';
import { metricsReport } from '../reporting/metricsReport.js';
import { prometheusLabelName, prometheusMetricName } from '../support/prometheusNames.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Target {
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { type: string; uid: string };
}
interface Dashboard {
  title: string;
  uid: string;
  templating: { list: Variable[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'aqe-dashboard.json'), 'utf8')) as Dashboard;
const queries = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => (typeof v.query === 'string' ? v.query : v.query.query))
];

/** PromQL's own words the dashboard may use; any other identifier must be a metric aqe emits. */
const PROMQL_WORDS = new Set(['sum', 'avg', 'max', 'min', 'increase', 'rate', 'by', 'without', 'label_values']);

/** The metric names and the label names a query uses. */
function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{([^}]*)\}/g, (_, matchers: string) => {
      for (const m of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1]!);
      return ' ';
    })
    .replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_, list: string) => {
      labels.push(
        ...list
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean)
      );
      return ' ';
    })
    .replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g, (_, metric: string, label: string) => {
    labels.push(label);
    return ` ${metric} `;
  });
  const metrics = [...rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
  return { metrics, labels };
}

const emittedMetrics = new Set(Object.values(RUN_METRICS).map(prometheusMetricName));
const emittedLabels = new Set(runMetricPoints(metricsReport()).flatMap((p) => Object.keys(p.attributes).map(prometheusLabelName)));

describe('deploy/grafana/aqe-dashboard.json', () => {
  it('reads Prometheus through a datasource template variable in every panel and query', () => {
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const ds = { type: 'prometheus', uid: '${datasource}' };
    for (const p of dashboard.panels) {
      expect({ panel: p.title, datasource: p.datasource }).toEqual({ panel: p.title, datasource: ds });
      for (const t of p.targets ?? []) expect({ panel: p.title, datasource: t.datasource }).toEqual({ panel: p.title, datasource: ds });
    }
  });

  it('queries only metrics the exporter emits, and every one of them', () => {
    const used = new Set(queries.flatMap((q) => namesIn(q).metrics));
    for (const name of used) expect({ name, emitted: emittedMetrics.has(name) }).toEqual({ name, emitted: true });
    expect([...used].sort()).toEqual([...emittedMetrics].sort());
  });

  it('filters and groups only by labels the points carry', () => {
    const legends = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => [...(t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!))
    );
    const used = new Set([...queries.flatMap((q) => namesIn(q).labels), ...legends]);
    expect(used.size).toBeGreaterThan(0);
    for (const label of used) expect({ label, emitted: emittedLabels.has(label) }).toEqual({ label, emitted: true });
  });

  it('has a panel for acceptance, coverage, tokens/s, latency, cost and refused egress', () => {
    const metricsOf = (title: string): string[] => {
      const panel = dashboard.panels.find((p) => p.title === title);
      return (panel?.targets ?? []).flatMap((t) => namesIn(t.expr).metrics);
    };
    expect(metricsOf('Acceptance')).toContain('aqe_tests_acceptance_ratio');
    expect(metricsOf('Changed-lines coverage')).toContain('aqe_coverage_percent');
    expect(metricsOf('Tokens per second')).toContain('aqe_inference_throughput_per_second');
    expect(metricsOf('Provider latency')).toContain('aqe_provider_latency_milliseconds');
    expect(metricsOf('Cost')).toContain('aqe_cost_USD');
    expect(metricsOf('Refused egress')).toContain('aqe_egress_refused_total');
  });

  it('finds the names in a query, so that the checks above can fail', () => {
    expect(namesIn('sum by (aqe_provider) (increase(aqe_provider_requests_total{aqe_repository=~"$repository", x="a{b}"}[$__range]))')).toEqual({
      metrics: ['aqe_provider_requests_total'],
      labels: ['aqe_repository', 'x', 'aqe_provider']
    });
    expect(namesIn('label_values(aqe_tests_generated_total, aqe_repository)')).toEqual({ metrics: ['aqe_tests_generated_total'], labels: ['aqe_repository'] });
  });
});

describe('Prometheus names of the metrics', () => {
  it('follow the OTel→Prometheus translation: underscores, unit words, _total on counters, _ratio on unit-1 gauges', () => {
    // The translator's own documented examples.
    expect(prometheusMetricName({ name: 'http.server.request.duration', unit: 's', kind: 'gauge' })).toBe('http_server_request_duration_seconds');
    expect(prometheusMetricName({ name: 'requests.count', unit: '1', kind: 'counter' })).toBe('requests_count_total');
    expect(prometheusMetricName({ name: 'memory.usage', unit: 'By', kind: 'gauge' })).toBe('memory_usage_bytes');
    expect(prometheusMetricName({ name: 'net.io', unit: 'By/s', kind: 'gauge' })).toBe('net_io_bytes_per_second');
    expect(Object.fromEntries(Object.values(RUN_METRICS).map((m) => [m.name, prometheusMetricName(m)]))).toEqual({
      'aqe.tests.generated': 'aqe_tests_generated_total',
      'aqe.tests.accepted': 'aqe_tests_accepted_total',
      'aqe.tests.acceptance': 'aqe_tests_acceptance_ratio',
      'aqe.coverage': 'aqe_coverage_percent',
      'aqe.inference.throughput': 'aqe_inference_throughput_per_second',
      'aqe.model.load.duration': 'aqe_model_load_duration_milliseconds',
      'aqe.provider.latency': 'aqe_provider_latency_milliseconds',
      'aqe.provider.requests': 'aqe_provider_requests_total',
      'aqe.provider.errors': 'aqe_provider_errors_total',
      'aqe.cost': 'aqe_cost_USD',
      'aqe.run.duration': 'aqe_run_duration_milliseconds',
      'aqe.phase.duration': 'aqe_phase_duration_milliseconds',
      'aqe.egress.refused': 'aqe_egress_refused_total'
    });
    expect(prometheusLabelName('aqe.coverage.scope')).toBe('aqe_coverage_scope');
    expect(Object.keys(runResourceAttributes(metricsReport())).map(prometheusLabelName)).toContain('service_name');
  });
});

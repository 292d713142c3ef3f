import type { RunReport } from './RunReport.js';

/**
 * The run's figures as OpenTelemetry metric points: what exportRunMetrics.ts sends over OTLP and what
 * deploy/grafana/aqe-dashboard.json reads back from Prometheus. Every value is one of the report's, unchanged, so a
 * dashboard and the report never disagree. Attributes hold identifiers only (repository, provider, model, phase):
 * nothing free-text from the pull request, whose title or file names would be both a leak and unbounded cardinality.
 *
 * Gauges hold the run's figures (a percentage, a duration, an amount); counters hold what adds up across runs (tests,
 * requests, refused connections), so `increase()` over a dashboard's range totals them.
 */

export type MetricKind = 'gauge' | 'counter';

export interface MetricDefinition {
  /** OpenTelemetry's dotted name; Prometheus gets it with underscores and unit suffixes (deploy/grafana/README.md). */
  name: string;
  kind: MetricKind;
  /** UCUM, as OpenTelemetry's semantic conventions write units; `{…}` is an annotation (what is counted). */
  unit: string;
  description: string;
}

export type MetricAttributes = Record<string, string>;

export interface MetricPoint {
  metric: MetricDefinition;
  value: number;
  attributes: MetricAttributes;
}

export const RUN_METRICS = {
  testsGenerated: { name: 'aqe.tests.generated', kind: 'counter', unit: '{test}', description: 'Test files the model wrote' },
  testsAccepted: { name: 'aqe.tests.accepted', kind: 'counter', unit: '{test}', description: 'Generated test files that passed every check' },
  acceptance: { name: 'aqe.tests.acceptance', kind: 'gauge', unit: '1', description: 'Accepted test files per generated one' },
  coverage: {
    name: 'aqe.coverage',
    kind: 'gauge',
    unit: '%',
    description:
      'Line coverage of the targeted files (aqe.coverage.scope=targets) or of their changed lines (changed_lines), before and after the accepted tests (aqe.stage)'
  },
  throughput: { name: 'aqe.inference.throughput', kind: 'gauge', unit: '{token}/s', description: 'Completion tokens per second of generation wall time' },
  modelLoad: { name: 'aqe.model.load.duration', kind: 'gauge', unit: 'ms', description: 'Time to load the local model' },
  providerLatency: {
    name: 'aqe.provider.latency',
    kind: 'gauge',
    unit: 'ms',
    description: "Wall time of a provider's requests, from sending to the last token, at the quantile aqe.quantile (p50, p95)"
  },
  providerRequests: { name: 'aqe.provider.requests', kind: 'counter', unit: '{request}', description: 'Model requests a provider answered or failed' },
  providerErrors: { name: 'aqe.provider.errors', kind: 'counter', unit: '{request}', description: "A provider's requests that failed after its retries" },
  cost: {
    name: 'aqe.cost',
    kind: 'gauge',
    unit: 'USD',
    description:
      'Cloud spend (aqe.cost.kind=cloud), local inference time at local-cost-per-hour (local), and what the local tasks would have cost on the cloud model (avoided)'
  },
  runDuration: { name: 'aqe.run.duration', kind: 'gauge', unit: 'ms', description: 'Wall time of the run' },
  phaseDuration: { name: 'aqe.phase.duration', kind: 'gauge', unit: 'ms', description: 'Wall time of one phase of the run (aqe.phase)' },
  egressRefused: { name: 'aqe.egress.refused', kind: 'counter', unit: '{connection}', description: 'Connections strict privacy refused' }
} as const satisfies Record<string, MetricDefinition>;

/** The attributes every point carries: the repository is what a dashboard filters by. */
export const REPOSITORY_ATTRIBUTE = 'aqe.repository';

/**
 * The exported resource: who produced the points. The pull request's number is here rather than on each point, so
 * that a series per pull request is not made (Prometheus keeps resource attributes in target_info).
 */
export function runResourceAttributes(report: RunReport): Record<string, string | number> {
  return {
    'service.name': 'aqe',
    'service.version': report.tool.version,
    [REPOSITORY_ATTRIBUTE]: report.repository,
    ...(report.pullRequest ? { 'aqe.pull_request.number': report.pullRequest.number, 'vcs.ref.head.revision': report.pullRequest.headSha } : {})
  };
}

export function runMetricPoints(report: RunReport): MetricPoint[] {
  const base: MetricAttributes = { [REPOSITORY_ATTRIBUTE]: report.repository };
  const points: MetricPoint[] = [];
  const add = (metric: MetricDefinition, value: number | null | undefined, attributes: MetricAttributes = {}): void => {
    if (typeof value === 'number' && Number.isFinite(value)) points.push({ metric, value, attributes: { ...base, ...attributes } });
  };
  add(RUN_METRICS.testsGenerated, report.testsGenerated);
  add(RUN_METRICS.testsAccepted, report.testsAccepted);
  if (report.testsGenerated > 0) add(RUN_METRICS.acceptance, report.testsAccepted / report.testsGenerated);
  const coverage: Array<[scope: string, stage: string, pct: number | null | undefined]> = [
    ['targets', 'before', report.coverageBefore.linesPct],
    ['targets', 'after', report.coverageAfter.linesPct],
    ['changed_lines', 'before', report.changedLinesBefore?.linesPct],
    ['changed_lines', 'after', report.changedLinesAfter?.linesPct]
  ];
  for (const [scope, stage, pct] of coverage) add(RUN_METRICS.coverage, pct, { 'aqe.coverage.scope': scope, 'aqe.stage': stage });
  if (report.inference.provider !== 'none') {
    const model = { 'aqe.provider': report.inference.provider, 'aqe.model': report.inference.model };
    add(RUN_METRICS.throughput, report.inference.tokensPerSecond, model);
    add(RUN_METRICS.modelLoad, report.inference.modelLoadMs, model);
  }
  for (const t of report.telemetry ?? []) {
    const provider = { 'aqe.provider': t.provider, 'aqe.model': t.model, 'aqe.tier': t.tier };
    add(RUN_METRICS.providerLatency, t.latencyMs.p50, { ...provider, 'aqe.quantile': 'p50' });
    add(RUN_METRICS.providerLatency, t.latencyMs.p95, { ...provider, 'aqe.quantile': 'p95' });
    add(RUN_METRICS.providerRequests, t.requests, provider);
    add(RUN_METRICS.providerErrors, t.errors, provider);
  }
  if (report.cost) {
    add(RUN_METRICS.cost, report.cost.cloud.costUsd, { 'aqe.cost.kind': 'cloud' });
    add(RUN_METRICS.cost, report.cost.local.costUsd, { 'aqe.cost.kind': 'local' });
    add(RUN_METRICS.cost, report.cost.avoided?.costUsd, { 'aqe.cost.kind': 'avoided' });
  }
  add(RUN_METRICS.runDuration, report.durationMs);
  for (const p of report.phases ?? []) add(RUN_METRICS.phaseDuration, p.ms, { 'aqe.phase': p.phase });
  add(RUN_METRICS.egressRefused, report.compliance?.refused ?? 0);
  return points;
}

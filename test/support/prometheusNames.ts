import type { MetricDefinition } from '../../src/reporting/runMetrics.js';

/**
 * The names Prometheus gives OpenTelemetry metrics and attributes: the OTel→Prometheus compatibility spec as
 * prometheus/otlptranslator implements it (UnderscoreEscapingWithSuffixes, which both the collector's prometheus
 * exporter and Prometheus' own OTLP receiver use by default). Implemented here once, for the dashboard test, so the
 * dashboard's queries are checked against what the exporter really emits.
 */

/** UCUM unit → the word Prometheus appends; a unit not listed is appended as it is ("USD"). */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  '1': '',
  '%': 'percent'
};
const PER_UNIT_WORDS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const tokens = (text: string): string[] => text.split(/[^a-zA-Z0-9:]+/).filter((t) => t !== '');

/** aqe.provider.latency (ms, gauge) → aqe_provider_latency_milliseconds; counters get _total, unit 1 gauges _ratio. */
export function prometheusMetricName(metric: Pick<MetricDefinition, 'name' | 'unit' | 'kind'>): string {
  const name = tokens(metric.name);
  const [main = '', per] = metric.unit.split('/', 2).map((u) => u.trim());
  // An annotation ({test}) says what is counted; it is no unit.
  const mainWord = main !== '' && !/[{}]/.test(main) ? tokens(UNIT_WORDS[main] ?? main).join('_') : '';
  const perWord = per !== undefined && per !== '' && !/[{}]/.test(per) ? `per_${tokens(PER_UNIT_WORDS[per] ?? per).join('_')}` : '';
  if (mainWord !== '' && !name.includes(mainWord)) name.push(mainWord);
  if (perWord !== '' && !name.includes(perWord)) name.push(perWord);
  if (metric.kind === 'counter') return [...name.filter((t) => t !== 'total'), 'total'].join('_');
  if (metric.unit === '1') return [...name.filter((t) => t !== 'ratio'), 'ratio'].join('_');
  return name.join('_');
}

/** aqe.coverage.scope → aqe_coverage_scope: every character a label name cannot have becomes an underscore. */
export function prometheusLabelName(attribute: string): string {
  const name = attribute.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `key_${name}` : name;
}

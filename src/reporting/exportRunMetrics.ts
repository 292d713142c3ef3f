import { AggregationTemporalityPreference, OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../core/Logger.js';
import type { OtlpOptions } from '../core/RunOptions.js';
import { runMetricPoints, runResourceAttributes, type MetricPoint } from './runMetrics.js';
import type { RunReport } from './RunReport.js';

/** Long enough for a collector across the internet, short enough that a dead one costs the job seconds. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;

export type MetricsExportResult = { exported: true; points: number; url: string } | { exported: false; url: string; problem: string };

/**
 * A reader that only collects when asked: the run exports once, at its end, so there is no interval and nothing left
 * running afterwards (PeriodicExportingMetricReader would also swallow the export's failure).
 */
class CollectOnceReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * Sends the report's metric points to an OTLP/HTTP collector (JSON), once, within `timeoutMs`. Never throws: the run
 * is finished, and an unreachable or failing collector must not turn it red, so the caller gets what went wrong to
 * show as a warning. Counters use delta temporality: each run adds its own counts, which the collector's prometheus
 * exporter accumulates across runs.
 */
export async function exportRunMetrics(report: RunReport, otlp: OtlpOptions, timeoutMs = DEFAULT_EXPORT_TIMEOUT_MS): Promise<MetricsExportResult> {
  const url = otlp.url;
  const exporter = new OTLPMetricExporter({
    url,
    headers: { ...otlp.headers },
    timeoutMillis: timeoutMs,
    temporalityPreference: AggregationTemporalityPreference.DELTA,
    // One request and done: a kept-alive socket would only hold the job's process open.
    keepAlive: false
  });
  const reader = new CollectOnceReader({ aggregationTemporalitySelector: (type) => exporter.selectAggregationTemporality(type) });
  const provider = new MeterProvider({ resource: resourceFromAttributes(runResourceAttributes(report)), readers: [reader] });
  let timer: NodeJS.Timeout | undefined;
  try {
    const points = runMetricPoints(report);
    record(provider, report.tool.version, points);
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) return { exported: false, url, problem: `collecting the metrics failed: ${messageOf(errors[0])}` };
    // The exporter's own timeout covers the request; this one also bounds what it does around it (retries, DNS).
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs + 1_000);
      timer.unref();
    });
    await Promise.race([send(exporter, resourceMetrics), deadline]);
    return { exported: true, points: points.length, url };
  } catch (error) {
    return { exported: false, url, problem: messageOf(error) };
  } finally {
    clearTimeout(timer);
    await Promise.race([Promise.allSettled([provider.shutdown(), exporter.shutdown()]), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }
}

/** The export as the action and the CLI do it: the outcome logged, a failure a warning that says the run is unaffected. */
export async function sendRunMetrics(report: RunReport, otlp: OtlpOptions, logger: Pick<Logger, 'info' | 'warn'>): Promise<MetricsExportResult> {
  const result = await exportRunMetrics(report, otlp);
  if (result.exported) logger.info(`Metrics: ${result.points} points sent to ${result.url}.`);
  else {
    logger.warn(
      `Could not send the run's metrics to ${result.url} (otlp-endpoint): ${result.problem}. The run itself is unaffected; check that the collector is up and reachable from the runner, and its otlp-headers.`
    );
  }
  return result;
}

function record(provider: MeterProvider, version: string, points: readonly MetricPoint[]): void {
  const meter = provider.getMeter('aqe', version);
  const counters = new Map<string, ReturnType<typeof meter.createCounter>>();
  const gauges = new Map<string, ReturnType<typeof meter.createGauge>>();
  for (const { metric, value, attributes } of points) {
    const options = { unit: metric.unit, description: metric.description };
    if (metric.kind === 'counter') {
      let counter = counters.get(metric.name);
      if (!counter) counters.set(metric.name, (counter = meter.createCounter(metric.name, options)));
      counter.add(value, attributes);
    } else {
      let gauge = gauges.get(metric.name);
      if (!gauge) gauges.set(metric.name, (gauge = meter.createGauge(metric.name, options)));
      gauge.record(value, attributes);
    }
  }
}

function send(exporter: OTLPMetricExporter, metrics: ResourceMetrics): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(metrics, (result) => {
      // ExportResultCode.SUCCESS (@opentelemetry/core, which this package does not depend on directly).
      if ((result.code as number) === 0) resolve();
      else reject(result.error ?? new Error('the exporter reported a failure without a reason'));
    });
  });
}

/** One line, cut short: the error may quote the collector's answer, which is not ours to fill a log with. */
function messageOf(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  // The exporter's OTLPExporterError carries the HTTP status in `code` and says only the status text in its message.
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  const status = typeof code === 'number' ? code : undefined;
  const text = status === undefined ? message : `the collector answered HTTP ${status}${message ? ` (${message})` : ''}`;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || 'unknown error';
}

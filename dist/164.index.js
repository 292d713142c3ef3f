export const id = 164;
export const ids = [164];
export const modules = {

/***/ 46164:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  sendRunMetrics: () => (/* binding */ sendRunMetrics)
});

// UNUSED EXPORTS: DEFAULT_EXPORT_TIMEOUT_MS, exportRunMetrics

// EXTERNAL MODULE: ./node_modules/@opentelemetry/exporter-metrics-otlp-http/dist/platform/node/OTLPMetricExporter.mjs + 38 modules
var OTLPMetricExporter = __webpack_require__(99096);
// EXTERNAL MODULE: ./node_modules/@opentelemetry/exporter-metrics-otlp-http/dist/OTLPMetricExporterOptions.mjs
var OTLPMetricExporterOptions = __webpack_require__(3487);
// EXTERNAL MODULE: ./node_modules/@opentelemetry/resources/dist/ResourceImpl.mjs + 7 modules
var ResourceImpl = __webpack_require__(91363);
// EXTERNAL MODULE: ./node_modules/@opentelemetry/sdk-metrics/dist/export/MetricReader.mjs + 4 modules
var MetricReader = __webpack_require__(66700);
// EXTERNAL MODULE: ./node_modules/@opentelemetry/sdk-metrics/dist/MeterProvider.mjs + 37 modules
var MeterProvider = __webpack_require__(64809);
;// CONCATENATED MODULE: ./src/reporting/runMetrics.ts
const RUN_METRICS = {
    testsGenerated: { name: 'aqe.tests.generated', kind: 'counter', unit: '{test}', description: 'Test files the model wrote' },
    testsAccepted: { name: 'aqe.tests.accepted', kind: 'counter', unit: '{test}', description: 'Generated test files that passed every check' },
    acceptance: { name: 'aqe.tests.acceptance', kind: 'gauge', unit: '1', description: 'Accepted test files per generated one' },
    coverage: {
        name: 'aqe.coverage',
        kind: 'gauge',
        unit: '%',
        description: 'Line coverage of the targeted files (aqe.coverage.scope=targets) or of their changed lines (changed_lines), before and after the accepted tests (aqe.stage)'
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
        description: 'Cloud spend (aqe.cost.kind=cloud), local inference time at local-cost-per-hour (local), and what the local tasks would have cost on the cloud model (avoided)'
    },
    runDuration: { name: 'aqe.run.duration', kind: 'gauge', unit: 'ms', description: 'Wall time of the run' },
    phaseDuration: { name: 'aqe.phase.duration', kind: 'gauge', unit: 'ms', description: 'Wall time of one phase of the run (aqe.phase)' },
    egressRefused: { name: 'aqe.egress.refused', kind: 'counter', unit: '{connection}', description: 'Connections strict privacy refused' }
};
/** The attributes every point carries: the repository is what a dashboard filters by. */
const REPOSITORY_ATTRIBUTE = 'aqe.repository';
/**
 * The exported resource: who produced the points. The pull request's number is here rather than on each point, so
 * that a series per pull request is not made (Prometheus keeps resource attributes in target_info).
 */
function runResourceAttributes(report) {
    return {
        'service.name': 'aqe',
        'service.version': report.tool.version,
        [REPOSITORY_ATTRIBUTE]: report.repository,
        ...(report.pullRequest ? { 'aqe.pull_request.number': report.pullRequest.number, 'vcs.ref.head.revision': report.pullRequest.headSha } : {})
    };
}
function runMetricPoints(report) {
    const base = { [REPOSITORY_ATTRIBUTE]: report.repository };
    const points = [];
    const add = (metric, value, attributes = {}) => {
        if (typeof value === 'number' && Number.isFinite(value))
            points.push({ metric, value, attributes: { ...base, ...attributes } });
    };
    add(RUN_METRICS.testsGenerated, report.testsGenerated);
    add(RUN_METRICS.testsAccepted, report.testsAccepted);
    if (report.testsGenerated > 0)
        add(RUN_METRICS.acceptance, report.testsAccepted / report.testsGenerated);
    const coverage = [
        ['targets', 'before', report.coverageBefore.linesPct],
        ['targets', 'after', report.coverageAfter.linesPct],
        ['changed_lines', 'before', report.changedLinesBefore?.linesPct],
        ['changed_lines', 'after', report.changedLinesAfter?.linesPct]
    ];
    for (const [scope, stage, pct] of coverage)
        add(RUN_METRICS.coverage, pct, { 'aqe.coverage.scope': scope, 'aqe.stage': stage });
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
    for (const p of report.phases ?? [])
        add(RUN_METRICS.phaseDuration, p.ms, { 'aqe.phase': p.phase });
    add(RUN_METRICS.egressRefused, report.compliance?.refused ?? 0);
    return points;
}

;// CONCATENATED MODULE: ./src/reporting/exportRunMetrics.ts




/** Long enough for a collector across the internet, short enough that a dead one costs the job seconds. */
const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;
/**
 * A reader that only collects when asked: the run exports once, at its end, so there is no interval and nothing left
 * running afterwards (PeriodicExportingMetricReader would also swallow the export's failure).
 */
class CollectOnceReader extends MetricReader/* MetricReader */.s {
    async onForceFlush() { }
    async onShutdown() { }
}
/**
 * Sends the report's metric points to an OTLP/HTTP collector (JSON), once, within `timeoutMs`. Never throws: the run
 * is finished, and an unreachable or failing collector must not turn it red, so the caller gets what went wrong to
 * show as a warning. Counters use delta temporality: each run adds its own counts, which the collector's prometheus
 * exporter accumulates across runs.
 */
async function exportRunMetrics(report, otlp, timeoutMs = DEFAULT_EXPORT_TIMEOUT_MS) {
    const url = otlp.url;
    const exporter = new OTLPMetricExporter/* OTLPMetricExporter */.r({
        url,
        headers: { ...otlp.headers },
        timeoutMillis: timeoutMs,
        temporalityPreference: OTLPMetricExporterOptions/* AggregationTemporalityPreference */.I.DELTA,
        // One request and done: a kept-alive socket would only hold the job's process open.
        keepAlive: false
    });
    const reader = new CollectOnceReader({ aggregationTemporalitySelector: (type) => exporter.selectAggregationTemporality(type) });
    const provider = new MeterProvider/* MeterProvider */.r({ resource: (0,ResourceImpl/* resourceFromAttributes */.QZ)(runResourceAttributes(report)), readers: [reader] });
    let timer;
    try {
        const points = runMetricPoints(report);
        record(provider, report.tool.version, points);
        const { resourceMetrics, errors } = await reader.collect();
        if (errors.length > 0)
            return { exported: false, url, problem: `collecting the metrics failed: ${messageOf(errors[0])}` };
        // The exporter's own timeout covers the request; this one also bounds what it does around it (retries, DNS).
        const deadline = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs + 1_000);
            timer.unref();
        });
        await Promise.race([send(exporter, resourceMetrics), deadline]);
        return { exported: true, points: points.length, url };
    }
    catch (error) {
        return { exported: false, url, problem: messageOf(error) };
    }
    finally {
        clearTimeout(timer);
        await Promise.race([Promise.allSettled([provider.shutdown(), exporter.shutdown()]), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    }
}
/** The export as the action and the CLI do it: the outcome logged, a failure a warning that says the run is unaffected. */
async function sendRunMetrics(report, otlp, logger) {
    const result = await exportRunMetrics(report, otlp);
    if (result.exported)
        logger.info(`Metrics: ${result.points} points sent to ${result.url}.`);
    else {
        logger.warn(`Could not send the run's metrics to ${result.url} (otlp-endpoint): ${result.problem}. The run itself is unaffected; check that the collector is up and reachable from the runner, and its otlp-headers.`);
    }
    return result;
}
function record(provider, version, points) {
    const meter = provider.getMeter('aqe', version);
    const counters = new Map();
    const gauges = new Map();
    for (const { metric, value, attributes } of points) {
        const options = { unit: metric.unit, description: metric.description };
        if (metric.kind === 'counter') {
            let counter = counters.get(metric.name);
            if (!counter)
                counters.set(metric.name, (counter = meter.createCounter(metric.name, options)));
            counter.add(value, attributes);
        }
        else {
            let gauge = gauges.get(metric.name);
            if (!gauge)
                gauges.set(metric.name, (gauge = meter.createGauge(metric.name, options)));
            gauge.record(value, attributes);
        }
    }
}
function send(exporter, metrics) {
    return new Promise((resolve, reject) => {
        exporter.export(metrics, (result) => {
            // ExportResultCode.SUCCESS (@opentelemetry/core, which this package does not depend on directly).
            if (result.code === 0)
                resolve();
            else
                reject(result.error ?? new Error('the exporter reported a failure without a reason'));
        });
    });
}
/** One line, cut short: the error may quote the collector's answer, which is not ours to fill a log with. */
function messageOf(error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
    // The exporter's OTLPExporterError carries the HTTP status in `code` and says only the status text in its message.
    const code = error instanceof Error ? error.code : undefined;
    const status = typeof code === 'number' ? code : undefined;
    const text = status === undefined ? message : `the collector answered HTTP ${status}${message ? ` (${message})` : ''}`;
    return text.length > 300 ? `${text.slice(0, 300)}…` : text || 'unknown error';
}


/***/ })

};

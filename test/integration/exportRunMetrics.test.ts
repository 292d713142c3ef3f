import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { exportRunMetrics } from '../../src/reporting/exportRunMetrics.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { metricsReport } from '../reporting/metricsReport.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedPoint } from '../support/otlpReceiver.js';

const report: RunReport = metricsReport();

/** What a point is expected to hold, written from the report's own fields (not from runMetrics.ts). */
function expectedPoints(r: RunReport): Array<Pick<ReceivedPoint, 'name' | 'value' | 'attributes'>> {
  const repo = { 'aqe.repository': r.repository };
  const local = { ...repo, 'aqe.provider': r.inference.provider, 'aqe.model': r.inference.model };
  const providers = r.telemetry!.flatMap((t) => {
    const attrs = { ...repo, 'aqe.provider': t.provider, 'aqe.model': t.model, 'aqe.tier': t.tier };
    return [
      { name: 'aqe.provider.latency', value: t.latencyMs.p50, attributes: { ...attrs, 'aqe.quantile': 'p50' } },
      { name: 'aqe.provider.latency', value: t.latencyMs.p95, attributes: { ...attrs, 'aqe.quantile': 'p95' } },
      { name: 'aqe.provider.requests', value: t.requests, attributes: attrs },
      { name: 'aqe.provider.errors', value: t.errors, attributes: attrs }
    ];
  });
  const coverage = (scope: string, stage: string, value: number | null | undefined) => ({
    name: 'aqe.coverage',
    value: value!,
    attributes: { ...repo, 'aqe.coverage.scope': scope, 'aqe.stage': stage }
  });
  return [
    { name: 'aqe.tests.generated', value: r.testsGenerated, attributes: repo },
    { name: 'aqe.tests.accepted', value: r.testsAccepted, attributes: repo },
    { name: 'aqe.tests.acceptance', value: r.testsAccepted / r.testsGenerated, attributes: repo },
    coverage('targets', 'before', r.coverageBefore.linesPct),
    coverage('targets', 'after', r.coverageAfter.linesPct),
    coverage('changed_lines', 'before', r.changedLinesBefore?.linesPct),
    coverage('changed_lines', 'after', r.changedLinesAfter?.linesPct),
    { name: 'aqe.inference.throughput', value: r.inference.tokensPerSecond, attributes: local },
    { name: 'aqe.model.load.duration', value: r.inference.modelLoadMs, attributes: local },
    ...providers,
    { name: 'aqe.cost', value: r.cost!.cloud.costUsd, attributes: { ...repo, 'aqe.cost.kind': 'cloud' } },
    { name: 'aqe.cost', value: r.cost!.local.costUsd, attributes: { ...repo, 'aqe.cost.kind': 'local' } },
    { name: 'aqe.cost', value: r.cost!.avoided!.costUsd, attributes: { ...repo, 'aqe.cost.kind': 'avoided' } },
    { name: 'aqe.run.duration', value: r.durationMs, attributes: repo },
    ...r.phases!.map((p) => ({ name: 'aqe.phase.duration', value: p.ms, attributes: { ...repo, 'aqe.phase': p.phase } })),
    { name: 'aqe.egress.refused', value: r.compliance!.refused, attributes: repo }
  ];
}

const key = (p: Pick<ReceivedPoint, 'name' | 'attributes'>): string => `${p.name} ${JSON.stringify(Object.entries(p.attributes).sort())}`;

/** The exporter against a real OTLP/HTTP receiver on loopback. */
describe('exportRunMetrics', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.behaviour = 'ok';
    receiver.exports.length = 0;
  });

  it("sends every metric once, with the report's figures, the headers and the resource", async () => {
    const url = `${receiver.url}/v1/metrics`;
    const result = await exportRunMetrics(report, { url, headers: { Authorization: 'Bearer s3cret-token', 'X-Scope-OrgID': 'acme' } });
    expect(result).toEqual({ exported: true, points: expectedPoints(report).length, url });
    expect(receiver.exports).toHaveLength(1);
    const [received] = receiver.exports;
    expect(received!.path).toBe('/v1/metrics');
    expect(received!.headers.authorization).toBe('Bearer s3cret-token');
    expect(received!.headers['x-scope-orgid']).toBe('acme');
    expect(received!.resource).toMatchObject({
      'service.name': 'aqe',
      'service.version': report.tool.version,
      'aqe.repository': 'acme/shop',
      'aqe.pull_request.number': 42,
      'vcs.ref.head.revision': report.pullRequest!.headSha
    });
    // Nothing free-text from the pull request: its title is in no attribute.
    expect(JSON.stringify(received)).not.toContain(report.pullRequest!.title);

    const byKey = new Map(received!.points.map((p) => [key(p), p]));
    expect(byKey.size).toBe(received!.points.length);
    const expected = expectedPoints(report);
    expect([...byKey.keys()].sort()).toEqual(expected.map(key).sort());
    for (const e of expected) expect({ key: key(e), value: byKey.get(key(e))!.value }).toEqual({ key: key(e), value: e.value });
  });

  it('sends counters as monotonic delta sums and run figures as gauges, with their units', async () => {
    await exportRunMetrics(report, { url: `${receiver.url}/v1/metrics`, headers: {} });
    const points = receiver.exports[0]!.points;
    const of = (name: string) => points.find((p) => p.name === name)!;
    for (const name of ['aqe.tests.generated', 'aqe.tests.accepted', 'aqe.provider.requests', 'aqe.egress.refused']) {
      expect({ name, type: of(name).type, monotonic: of(name).monotonic, temporality: of(name).temporality }).toEqual({
        name,
        type: 'sum',
        monotonic: true,
        temporality: 1
      });
    }
    for (const name of ['aqe.tests.acceptance', 'aqe.coverage', 'aqe.cost', 'aqe.run.duration', 'aqe.provider.latency']) expect(of(name).type).toBe('gauge');
    expect(of('aqe.coverage').unit).toBe('%');
    expect(of('aqe.run.duration').unit).toBe('ms');
    expect(of('aqe.inference.throughput').unit).toBe('{token}/s');
  });

  it('reports a collector answering 500 as not exported, with the reason', async () => {
    receiver.behaviour = 'fail';
    const result = await exportRunMetrics(report, { url: `${receiver.url}/v1/metrics`, headers: { Authorization: 'Bearer s3cret-token' } }, 2_000);
    expect(result.exported).toBe(false);
    expect(result.exported === false && result.problem).toMatch(/HTTP 500/);
    expect(result.exported === false && result.problem).not.toContain('s3cret');
  });

  it('gives up on a collector that never answers within the timeout', async () => {
    receiver.behaviour = 'hang';
    const started = Date.now();
    const result = await exportRunMetrics(report, { url: `${receiver.url}/v1/metrics`, headers: {} }, 1_000);
    const took = Date.now() - started;
    expect(result.exported).toBe(false);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(4_000);
  });

  it('reports a port nobody listens on as not exported', async () => {
    const closed = await startOtlpReceiver();
    const url = `${closed.url}/v1/metrics`;
    await closed.close();
    const result = await exportRunMetrics(report, { url, headers: {} }, 2_000);
    expect(result).toMatchObject({ exported: false, url });
  });
});

import { describe, expect, it } from '@jest/globals';
import { RUN_METRICS, runMetricPoints, runResourceAttributes } from '../../src/reporting/runMetrics.js';
import { metricsReport } from '../reporting/metricsReport.js';
import { makeReport } from '../reporting/reportFixture.js';

const names = (points: ReturnType<typeof runMetricPoints>): string[] => [...new Set(points.map((p) => p.metric.name))];

describe('runMetricPoints', () => {
  it('emits every metric it defines for a run that has every section', () => {
    expect(names(runMetricPoints(metricsReport())).sort()).toEqual(
      Object.values(RUN_METRICS)
        .map((m) => m.name)
        .sort()
    );
  });

  it('leaves out what the run did not measure rather than sending zeros', () => {
    const points = runMetricPoints(
      makeReport({
        testsGenerated: 0,
        testsAccepted: 0,
        candidates: [],
        coverageAfter: { linesPct: null, coveredLines: 0, totalLines: 0 },
        inference: { ...makeReport().inference, provider: 'none' }
      })
    );
    const emitted = names(points);
    for (const absent of [
      RUN_METRICS.acceptance,
      RUN_METRICS.throughput,
      RUN_METRICS.modelLoad,
      RUN_METRICS.cost,
      RUN_METRICS.providerLatency,
      RUN_METRICS.phaseDuration
    ]) {
      expect(emitted).not.toContain(absent.name);
    }
    expect(points.filter((p) => p.metric === RUN_METRICS.coverage).map((p) => p.attributes['aqe.stage'])).toEqual(['before']);
    // A run without a compliance section refused nothing: the counter says 0.
    expect(points.find((p) => p.metric === RUN_METRICS.egressRefused)?.value).toBe(0);
  });

  it('carries identifiers only: no title, no file names', () => {
    const report = metricsReport({
      pullRequest: { ...makeReport().pullRequest!, title: 'Title with "quotes" and\nnew lines' },
      changedFiles: ['src/secret-plan.ts'],
      targets: ['src/secret-plan.ts']
    });
    const text = JSON.stringify([runMetricPoints(report), runResourceAttributes(report)]);
    expect(text).not.toContain('Title with');
    expect(text).not.toContain('secret-plan');
    expect(runResourceAttributes(report)).toEqual({
      'service.name': 'aqe',
      'service.version': '0.1.0',
      'aqe.repository': 'acme/shop',
      'aqe.pull_request.number': 42,
      'vcs.ref.head.revision': report.pullRequest!.headSha
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeHybridReport } from '../reporting/hybridReportFixture.js';
import { metricsReport } from '../reporting/metricsReport.js';
import { makeCandidate, makeReport } from '../reporting/reportFixture.js';
import { PACKAGE_ROOT } from '../support/actionHarness.js';
import { reportProblems, reportSchemaPath } from '../support/reportSchema.js';

/** What scripts/build-report-schema.mjs generates from RunReport now. */
function freshSchema(): string {
  return execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'scripts', 'build-report-schema.mjs'), '--print'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
}

describe('the published JSON Schema of the report', () => {
  const generated = freshSchema();
  const schema = JSON.parse(generated) as { $id: string; title: string; definitions: { RunReport: { properties: { schemaVersion: { const: number } } } } };
  const version = schema.definitions.RunReport.properties.schemaVersion.const;

  it('is committed as generated from RunReport, under the name of its schemaVersion', () => {
    const file = reportSchemaPath(version);
    // A new schemaVersion needs a new file beside the old ones: run node scripts/build-report-schema.mjs.
    expect(existsSync(file) ? file : `missing: ${file}`).toBe(file);
    // When this fails, RunReport changed: run node scripts/build-report-schema.mjs (npm run build does) and commit the file.
    expect(readFileSync(file, 'utf8')).toBe(generated);
    expect(schema.$id).toBe(`https://github.com/aqe/local-inference/blob/v${version}/schema/run-report.v${version}.schema.json`);
    expect(schema.title).toContain(`schema version ${version}`);
  });

  it('keeps the file of every earlier schemaVersion, and none for a version not yet made', () => {
    const files = readdirSync(path.join(PACKAGE_ROOT, 'schema')).filter((f) => f.startsWith('run-report.'));
    expect(files.sort()).toEqual(Array.from({ length: version }, (_, i) => `run-report.v${i + 1}.schema.json`).sort());
  });

  it.each<[string, () => RunReport]>([
    ['a plain run', () => makeReport()],
    ['a hybrid run with routing, cost and telemetry', makeHybridReport],
    ['a run with provider metrics', () => metricsReport()],
    [
      'a cancelled shard with a rejected candidate',
      () =>
        makeReport({
          candidates: [makeCandidate({ status: 'rejected', rejection: { stage: 'fails', reason: '1 of 1 tests failed' } })],
          cancelled: { signal: 'SIGTERM', during: 'validation', unfinished: [{ targetFile: 'src/a.ts', state: 'pending' }] }
        })
    ]
  ])('validates %s', (_name, report) => {
    // Through JSON, as a reader gets it: undefined fields vanish the way they do in the written file.
    expect(reportProblems(JSON.parse(JSON.stringify(report())))).toEqual([]);
  });

  it('refuses a report with a field of the wrong type, a missing field and an unknown one, naming each', () => {
    const report = JSON.parse(JSON.stringify(makeReport())) as Record<string, unknown> & { coverageBefore: Record<string, unknown> };
    report.testsAccepted = 'two';
    delete report.repository;
    report.coverageBefore.linesPercent = 50;
    const problems = reportProblems(report);
    expect(problems).toEqual(
      expect.arrayContaining([
        '/testsAccepted must be number',
        "/ must have required property 'repository'",
        '/coverageBefore must NOT have additional properties (linesPercent)'
      ])
    );
  });

  it('refuses a report of another schemaVersion', () => {
    expect(reportProblems({ ...JSON.parse(JSON.stringify(makeReport())), schemaVersion: version + 1 })).toContain('/schemaVersion must be equal to constant');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { SUITE_CLI_FLAGS } from '../support/actionHarness.js';
import { captureCli } from '../support/cliOutput.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.js';
import { reportProblems } from '../support/reportSchema.js';
import { filesUnder } from '../support/filesUnder.js';

/**
 * What a CLI run leaves besides its report, on one demo run (a real model run takes a minute here):
 * the run artifact as a folder with the same entries as the action's, and the metrics sent to a
 * loopback OTLP receiver with the headers from AQE_OTLP_HEADERS.
 */
describe('aqe demo with --artifact-dir and --otlp-endpoint', () => {
  let dir: string;
  let receiver: OtlpReceiver;
  const headers = process.env.AQE_OTLP_HEADERS;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-cli-run-outputs-'));
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    if (headers === undefined) delete process.env.AQE_OTLP_HEADERS;
    else process.env.AQE_OTLP_HEADERS = headers;
    await receiver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a report-artifact that is not a boolean, with exit code 2, naming the flag', async () => {
    const run = await captureCli(() => runCli(['run', '--repo', dir, '--base', 'main', '--report-artifact', 'sometimes']));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Input "report-artifact": "sometimes" is not a boolean. Use true or false.');
  });

  it("copies the demo run's artifact into <artifact-dir>/aqe-report (report, schema, audit log, test files) and sends its metrics", async () => {
    const artifacts = path.join(dir, 'artifacts');
    const report = path.join(dir, 'report.json');
    process.env.AQE_OTLP_HEADERS = 'Authorization=Bearer%20cli-s3cret';
    const run = await captureCli(() =>
      runCli([
        'demo',
        '--dir',
        path.join(dir, 'demo'),
        '--artifact-dir',
        artifacts,
        '--report',
        report,
        '--otlp-endpoint',
        `${receiver.url}/v1/metrics`,
        ...SUITE_CLI_FLAGS
      ])
    );
    expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.stringContaining('Run artifact aqe-report uploaded') });
    expect(run.stderr).toContain('points sent to');
    expect(run.stderr).not.toContain('cli-s3cret');
    expect(receiver.exports).toHaveLength(1);
    const [received] = receiver.exports;
    expect(received!.headers.authorization).toBe('Bearer cli-s3cret');
    expect(received!.resource).toMatchObject({ 'service.name': 'aqe', 'aqe.repository': 'examples/ts-lib' });
    const generated = received!.points.find((p) => p.name === 'aqe.tests.generated');
    const accepted = received!.points.find((p) => p.name === 'aqe.tests.accepted');
    expect([generated?.value, accepted?.value]).toEqual([2, 1]);

    const written = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    const folder = path.join(artifacts, 'aqe-report');
    const files = await filesUnder(folder);
    const expected = written.candidates.flatMap((c) =>
      c.status === 'accepted' ? [`accepted/${c.testFile}`] : [`rejected/${c.testFile}`, `rejected/${c.testFile}.failure.txt`]
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(files).toEqual(['aqe-report.json', 'audit.jsonl', 'run-report.schema.json', ...expected].sort());
    expect(reportProblems(JSON.parse(await readFile(path.join(folder, 'aqe-report.json'), 'utf8')), path.join(folder, 'run-report.schema.json'))).toEqual([]);
  }, 300_000);
});

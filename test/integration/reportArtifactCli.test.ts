import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { captureCli } from '../support/cliOutput.js';
import { reportProblems } from '../support/reportSchema.js';

/** `aqe demo --artifact-dir`: the CLI's run artifact is a folder, with the same entries as the action's. */
describe('aqe with --artifact-dir', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-report-artifact-cli-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a report-artifact that is not a boolean, with exit code 2, naming the flag', async () => {
    const run = await captureCli(() => runCli(['run', '--repo', dir, '--base', 'main', '--report-artifact', 'sometimes']));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Input "report-artifact": "sometimes" is not a boolean. Use true or false.');
  });

  it("copies the demo run's artifact into <artifact-dir>/aqe-report: the report, its schema, the audit log and the test files", async () => {
    const artifacts = path.join(dir, 'artifacts');
    const report = path.join(dir, 'report.json');
    const run = await captureCli(() => runCli(['demo', '--dir', path.join(dir, 'demo'), '--artifact-dir', artifacts, '--report', report]));
    expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.stringContaining('Run artifact aqe-report uploaded') });
    const written = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    const folder = path.join(artifacts, 'aqe-report');
    const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
    const expected = written.candidates.flatMap((c) =>
      c.status === 'accepted' ? [`accepted/${c.testFile}`] : [`rejected/${c.testFile}`, `rejected/${c.testFile}.failure.txt`]
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(files).toEqual(['aqe-report.json', 'audit.jsonl', 'run-report.schema.json', ...expected].sort());
    expect(reportProblems(JSON.parse(await readFile(path.join(folder, 'aqe-report.json'), 'utf8')), path.join(folder, 'run-report.schema.json'))).toEqual([]);
  }, 300_000);
});

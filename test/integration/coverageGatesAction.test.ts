import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMain } from '../../src/action/runMain.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeReport } from '../reporting/reportFixture.js';
import { newRecorded, recordingRunner, type Recorded } from '../support/recordingRunner.js';
import { makeRunnerDirs, pullRequestPayload, type RunnerDirs } from '../support/actionHarness.js';

/** The gates applied by runMain to a finished report: merge-reports mode, which needs no model, on one shard's report. */
describe('the action with coverage gates', () => {
  let dirs: RunnerDirs;
  const report = makeReport({
    changedLinesBefore: { linesPct: 40, coveredLines: 80, totalLines: 200 },
    changedLinesAfter: { linesPct: 61.5, coveredLines: 123, totalLines: 200 },
    shard: { index: 1, count: 1, packages: [{ packageDir: '', baseline: makeReport().baseline }] }
  });
  const PR = report.pullRequest!;

  beforeAll(async () => {
    dirs = await makeRunnerDirs('aqe-gates-action-');
    await mkdir(path.join(dirs.workspace, 'shards'), { recursive: true });
    await writeFile(path.join(dirs.workspace, 'shards', 'aqe-report.json'), JSON.stringify(report));
  });

  afterAll(async () => {
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  async function gatedAction(gateInputs: Record<string, string>, name: string): Promise<{ recorded: Recorded; written: RunReport }> {
    const event = path.join(dirs.root, 'event.json');
    await writeFile(
      event,
      JSON.stringify(pullRequestPayload({ owner: 'acme', repo: 'shop', number: PR.number, baseSha: PR.baseSha, headSha: PR.headSha, title: PR.title }))
    );
    const recorded = newRecorded();
    const reportPath = path.join(dirs.root, `${name}.json`);
    const inputs = { 'merge-reports': 'shards/aqe-report.json', 'github-token': 'test-token', 'report-path': reportPath, comment: 'false', ...gateInputs };
    await runMain(recordingRunner(inputs, recorded), {
      GITHUB_WORKSPACE: dirs.workspace,
      GITHUB_EVENT_PATH: event,
      GITHUB_EVENT_NAME: 'pull_request',
      RUNNER_TEMP: dirs.temp
    });
    if (recorded.steps[0] === 'failed') throw new Error(`the action failed before its summary: ${recorded.failed}`);
    return { recorded, written: JSON.parse(await readFile(reportPath, 'utf8')) as RunReport };
  }

  it('fails the job naming the threshold and the figure, after the outputs and the summary are written', async () => {
    const { recorded, written } = await gatedAction({ 'fail-below-coverage': '80' }, 'failing');
    expect(recorded.failed).toBe('changed-lines coverage 61.5% is below fail-below-coverage 80%');
    expect(recorded.steps).toEqual(['summary', 'failed']);
    expect(recorded.outputs['changed-lines-coverage-after']).toBe('61.5');
    expect(recorded.summary).toContain('### 🚦 Gates');
    expect(recorded.summary).toContain('❌ fail-below-coverage: changed-lines coverage 61.5% is below fail-below-coverage 80%');
    expect(written.gates).toEqual([expect.objectContaining({ gate: 'fail-below-coverage', status: 'failed', threshold: 80, after: 61.5 })]);
  });

  it('passes gates the run meets, and records them in the report and the summary', async () => {
    const { recorded, written } = await gatedAction({ 'fail-below-coverage': '60', 'fail-on-coverage-drop': 'true' }, 'passing');
    expect(recorded.failed).toBeUndefined();
    expect(written.gates?.map((g) => [g.gate, g.status])).toEqual([
      ['fail-below-coverage', 'passed'],
      ['fail-on-coverage-drop', 'passed']
    ]);
    expect(recorded.summary).toContain('✅ fail-on-coverage-drop: changed-lines coverage 40% before, 61.5% after the accepted tests: no drop');
  });

  it('writes no gates when none is set', async () => {
    const { recorded, written } = await gatedAction({}, 'ungated');
    expect(recorded.failed).toBeUndefined();
    expect(written.gates).toBeUndefined();
    expect(recorded.summary).not.toContain('Gates');
  });
});

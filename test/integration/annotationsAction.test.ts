import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { annotate } from '../../src/action/annotate.js';
import { runMain } from '../../src/action/runMain.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeCandidate, makeReport } from '../reporting/reportFixture.js';
import { newRecorded, recordingRunner } from '../support/recordingRunner.js';
import { makeRunnerDirs, pullRequestPayload, type RunnerDirs } from '../support/actionHarness.js';

const fixture = makeReport();
const PR = fixture.pullRequest!;
// A file name a pull request could carry: workflow-command syntax in it is escaped by @actions/core, not here.
const HOSTILE = 'src/a,b::warning file=x.ts::boom%0A.ts';

/** Two shards of one run in working-directory packages/shop: shard 1 accepted a test for cart.ts, shard 2 left 12 ranges uncovered. */
function shardReport(index: number): RunReport {
  const target = index === 1 ? 'src/cart.ts' : HOSTILE;
  return makeReport({
    targets: [target],
    candidates: index === 1 ? [makeCandidate({ targetFile: target, testFile: 'test/cart.generated.test.ts' })] : [],
    testsGenerated: index === 1 ? 1 : 0,
    testsAccepted: index === 1 ? 1 : 0,
    uncoveredChangedLines: index === 1 ? [{ file: target, lines: [7, 8] }] : [{ file: target, lines: Array.from({ length: 12 }, (_, i) => 2 + i * 10) }],
    shard: { index, count: 2, packages: [{ packageDir: '', baseline: fixture.baseline }] }
  });
}

/** The action's annotations for a finished (here: merged) run, in-process through runMain with an in-memory runner. */
describe('the action annotates the pull request', () => {
  let dirs: RunnerDirs;

  beforeAll(async () => {
    dirs = await makeRunnerDirs('aqe-annotations-action-');
    await mkdir(path.join(dirs.workspace, 'packages', 'shop'), { recursive: true });
    for (const i of [1, 2]) {
      await mkdir(path.join(dirs.workspace, 'shards', `r${i}`), { recursive: true });
      await writeFile(path.join(dirs.workspace, 'shards', `r${i}`, 'aqe-report.json'), JSON.stringify(shardReport(i)));
    }
  });

  afterAll(async () => {
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  it('puts a notice on the file that got tests and one warning per uncovered range, from the workspace root, within the limit', async () => {
    const event = path.join(dirs.root, 'event.json');
    await writeFile(event, JSON.stringify(pullRequestPayload({ owner: 'acme', repo: 'shop', number: PR.number, baseSha: PR.baseSha, headSha: PR.headSha })));
    const recorded = newRecorded();
    const inputs = {
      'merge-reports': 'shards/*/aqe-report.json',
      'working-directory': 'packages/shop',
      'report-path': path.join(dirs.root, 'merged.json'),
      // comment off: nothing reaches the API, the token only has to be present.
      'github-token': 'test-token',
      comment: 'false'
    };
    await runMain(recordingRunner(inputs, recorded), {
      GITHUB_WORKSPACE: dirs.workspace,
      GITHUB_EVENT_PATH: event,
      GITHUB_EVENT_NAME: 'pull_request',
      RUNNER_TEMP: dirs.temp
    });
    expect(recorded.failed).toBeUndefined();
    const notices = recorded.annotations.filter((a) => a.level === 'notice');
    expect(notices).toEqual([
      {
        level: 'notice',
        message: 'Accepted generated test for this file: test/cart.generated.test.ts',
        place: { file: 'packages/shop/src/cart.ts', title: 'aqe: tests generated' }
      }
    ]);
    const warnings = recorded.annotations.filter((a) => a.level === 'warning');
    // The hostile name sorts before src/cart.ts, so its ranges fill the limit and cart.ts's range is among those counted.
    expect(warnings).toHaveLength(10);
    expect(warnings.map((w) => [w.place.file, w.place.startLine, w.place.endLine])).toEqual(
      Array.from({ length: 10 }, (_, i) => [`packages/shop/${HOSTILE}`, 2 + i * 10, 2 + i * 10])
    );
    expect(recorded.summary).toContain('and 3 more uncovered ranges not annotated');
  });

  it("leaves the line warnings what the step's own warnings left of GitHub's limit, and counts the rest", async () => {
    const recorded = newRecorded();
    await annotate(recordingRunner({}, recorded), shardReport(2), { workspace: dirs.workspace, repoDir: path.join(dirs.workspace, 'packages', 'shop') }, 4);
    expect(recorded.annotations.filter((a) => a.level === 'warning')).toHaveLength(6);
    expect(recorded.summary).toContain('and 6 more uncovered ranges not annotated');
    const none = newRecorded();
    await annotate(recordingRunner({}, none), shardReport(2), { workspace: dirs.workspace, repoDir: dirs.workspace }, 12);
    expect(none.annotations).toEqual([]);
    expect(none.summary).toContain('and 12 more uncovered ranges not annotated');
  });
});

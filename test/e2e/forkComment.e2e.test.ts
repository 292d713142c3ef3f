import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { DEMO_ANSWER_FILE } from '../../src/inference/model/demoModel.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { readZip, startFakeResultsService, type FakeResultsService } from '../support/fakeResultsService.js';
import { workflowRunPayload } from '../support/workflowRunPayload.js';
import { buildZip } from '../support/zipBuilder.js';

const OWNER = 'aqe';
const REPO = 'example';
const FORK_OWNER = 'someone';
const NUMBER = 7;
const READ_TOKEN = 'read-only-token';
const WRITE_TOKEN = 'write-token';

/**
 * The two-workflow setup for fork pull requests, through the bundle (node dist/index.js) against
 * the fake GitHub API and the fake results service: the pull_request run, whose token cannot
 * comment, uploads its report artifact; the workflow_run job, with a token that can, posts it.
 */
describe('fork pull requests: the pull_request run uploads, the workflow_run job comments', () => {
  let api: FakeGitHubApi;
  let results: FakeResultsService;
  let dirs: RunnerDirs;
  let pr: ExamplePullRequest;
  let pullRequestRun: ActionRun;
  let report: RunReport;
  let artifact: { name: string; zip: Buffer };
  let nextRunId = 5_100;

  beforeAll(async () => {
    api = await startFakeGitHubApi();
    results = await startFakeResultsService();
    dirs = await makeRunnerDirs('aqe-fork-e2e-');
    pr = await prepareExamplePullRequest(dirs.workspace);
    api.setPull(OWNER, REPO, NUMBER, { title: pr.title, headRef: 'feature', headSha: pr.headSha, baseSha: pr.baseSha, headRepo: `${FORK_OWNER}/${REPO}` });
    api.setPullFiles(OWNER, REPO, NUMBER, [
      { filename: 'src/index.ts', status: 'modified' },
      { filename: 'src/math.ts', status: 'modified' },
      { filename: 'src/strings.ts', status: 'added' }
    ]);
    // A fork's pull_request token is read-only: GitHub refuses the comment.
    api.failWith((r) => r.method === 'POST' && r.headers.authorization === `token ${READ_TOKEN}`, 403, 'Resource not accessible by integration');
    const answers = path.join(dirs.root, 'answers.jsonl');
    const strings = await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8');
    await writeFile(answers, `${JSON.stringify({ target: 'src/strings.ts', response: { text: strings } })}\n`);
    pullRequestRun = await runAction(dirs, {
      inputs: {
        'github-token': READ_TOKEN,
        'working-directory': 'ts-lib',
        'replay-file': answers,
        'report-path': path.join(dirs.root, 'pull-request-run.json'),
        'repeat-runs': '0',
        'max-repairs': '0',
        'on-accepted': 'artifact'
      },
      event: pullRequestPayload({
        owner: OWNER,
        repo: REPO,
        number: NUMBER,
        baseSha: pr.baseSha,
        headSha: pr.headSha,
        title: pr.title,
        headRepo: `${FORK_OWNER}/${REPO}`
      }),
      apiUrl: api.url,
      timeoutMs: 240_000,
      extraEnv: results.env
    });
    report = JSON.parse(await readFile(path.join(dirs.root, 'pull-request-run.json'), 'utf8')) as RunReport;
    const uploaded = results.artifacts.find((a) => a.name.startsWith('aqe-report-'));
    if (!uploaded)
      throw new Error(`The pull_request run uploaded no report artifact:\n${pullRequestRun.stdout.slice(-4000)}\n${pullRequestRun.stderr.slice(-2000)}`);
    artifact = uploaded;
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await results?.close();
    expectValidExchanges(api);
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  async function commentJob(artifacts: Array<{ name: string; zip: Buffer }>, headSha = pr.headSha): Promise<ActionRun> {
    const runId = nextRunId++;
    for (const a of artifacts) api.addWorkflowRunArtifact(OWNER, REPO, runId, a.name, a.zip);
    return runAction(dirs, {
      inputs: { mode: 'comment-from-artifact', 'github-token': WRITE_TOKEN, 'report-path': path.join(dirs.root, `comment-${runId}.json`) },
      event: workflowRunPayload({ owner: OWNER, repo: REPO, runId, headSha, headOwner: FORK_OWNER }),
      eventName: 'workflow_run',
      apiUrl: api.url,
      timeoutMs: 60_000,
      extraEnv: { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: `${OWNER}/${REPO}`, GITHUB_RUN_ID: String(runId + 1_000) }
    });
  }

  const ourComments = (): string[] => (api.comments.get(NUMBER) ?? []).map((c) => c.body);
  const warnings = (run: ActionRun): string[] => run.stdout.split('\n').filter((l) => l.startsWith('::warning'));

  it('pull_request run: finishes with a warning instead of a comment, writes the summary and uploads the report artifact', () => {
    expect({ exitCode: pullRequestRun.exitCode, errors: pullRequestRun.stdout.split('\n').filter((l) => l.startsWith('::error')) }).toEqual({
      exitCode: 0,
      errors: []
    });
    expect(warnings(pullRequestRun).join('\n')).toMatch(/Could not post the PR comment .*403.*mode: comment-from-artifact/);
    expect(ourComments()).toEqual([]);
    expect(pullRequestRun.summary).toContain(`${report.testsAccepted} of ${report.testsGenerated} generated test`);
    expect(report.testsAccepted).toBeGreaterThan(0);
    expect(artifact.name).toMatch(/^aqe-report-pr7/);
    expect(JSON.parse(readZip(artifact.zip)['aqe-report.json']!)).toEqual(report);
  });

  it('workflow_run job: posts the sticky comment on the pull request with the report’s figures, then updates it in place', async () => {
    const first = await commentJob([artifact]);
    expect({ exitCode: first.exitCode, warnings: warnings(first) }).toEqual({ exitCode: 0, warnings: [] });
    expect(ourComments()).toHaveLength(1);
    const body = ourComments()[0]!;
    expect(body.startsWith(STICKY_COMMENT_MARKER)).toBe(true);
    expect(body).toContain(`${report.testsAccepted} of ${report.testsGenerated} generated test`);
    expect(first.outputs).toMatchObject({ 'tests-accepted': String(report.testsAccepted), 'tests-generated': String(report.testsGenerated) });
    expect(first.summary).toContain(`${report.testsAccepted} of ${report.testsGenerated} generated test`);
    // Whose figures these are, next to them, with the run that measured them (not this job's run).
    const measured = `_These figures are the report ${FORK_OWNER}/${REPO} uploaded from [its pull_request run](https://github.com/${OWNER}/${REPO}/actions/runs/${nextRunId - 1});`;
    expect(body).toContain(measured);
    expect(first.summary).toContain(measured);

    const second = await commentJob([artifact]);
    expect(second.exitCode).toBe(0);
    expect(ourComments()).toHaveLength(1);
    const writes = api.requests.filter((r) => r.path.includes('/comments') && r.method !== 'GET' && r.status < 400).map((r) => r.method);
    expect(writes).toEqual(['POST', 'PATCH']);
    // The write token went only with the workflow_run jobs' calls, and never to the blob storage.
    expect(api.requests.filter((r) => r.path.startsWith('/_blob/')).every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('workflow_run job: a forged report (another pull request or head) posts nothing and warns; no artifact warns', async () => {
    const before = ourComments();
    const forged = (claim: Partial<NonNullable<RunReport['pullRequest']>>): { name: string; zip: Buffer } => ({
      name: artifact.name,
      zip: buildZip([{ name: 'aqe-report.json', data: JSON.stringify({ ...report, pullRequest: { ...report.pullRequest!, ...claim } }) }])
    });
    for (const claim of [{ number: 8 }, { headSha: 'f'.repeat(40) }]) {
      const run = await commentJob([forged(claim)]);
      expect(run.exitCode).toBe(0);
      expect(warnings(run).join('\n')).toMatch(/A report that does not match the run it came from is not posted/);
    }
    const none = await commentJob([]);
    expect(none.exitCode).toBe(0);
    expect(warnings(none).join('\n')).toMatch(/has no aqe-report-\* artifact/);
    expect(ourComments()).toEqual(before);
  });
});

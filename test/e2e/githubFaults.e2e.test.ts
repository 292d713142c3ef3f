import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { git } from '../../src/repo/git.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import { makeRunnerDirs, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

/**
 * A GitHub API that hangs, fails or loses the comment, through the bundled action: the run ends
 * in bounded time, keeps its outputs and summary, and says what went wrong. The pull request
 * changes only a Markdown file, so each run is quick (no source file to generate tests for).
 */
describe('action against a faulty GitHub API', () => {
  const owner = 'aqe';
  const repo = 'example';
  let api: FakeGitHubApi;
  let dirs: RunnerDirs;
  let pr: ExamplePullRequest;
  let notesSha: string;

  // Short limits, through the documented variables, so a hang costs seconds, not minutes.
  const fastLimits = { AQE_GITHUB_REQUEST_TIMEOUT_MS: '1500', AQE_GITHUB_RETRIES: '1' };
  const inputs = { 'github-token': 't', 'working-directory': 'ts-lib', model: 'demo' };

  beforeAll(async () => {
    api = await startFakeGitHubApi({ token: 't' });
    dirs = await makeRunnerDirs('aqe-ghfaults-');
    pr = await prepareExamplePullRequest(dirs.workspace);
    // One more commit that touches only Markdown: git diff head...notes lists NOTES.md alone.
    await writeFile(path.join(pr.repoDir, 'NOTES.md'), '# Notes\n');
    await git(pr.repoDir, ['add', 'NOTES.md']);
    await git(pr.repoDir, ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'Notes']);
    notesSha = (await git(pr.repoDir, ['rev-parse', 'HEAD'])).trim();
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    expectValidExchanges(api);
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  function pullRequest(number: number): unknown {
    api.setPullFiles(owner, repo, number, [{ filename: 'NOTES.md', status: 'added', additions: 1, patch: '@@ -0,0 +1 @@\n+# Notes' }]);
    return pullRequestPayload({ owner, repo, number, baseSha: pr.headSha, headSha: notesSha });
  }

  const run = (event: unknown, extraEnv: NodeJS.ProcessEnv = fastLimits): Promise<ActionRun> =>
    runAction(dirs, { inputs, event, apiUrl: api.url, timeoutMs: 120_000, extraEnv });

  const lines = (r: ActionRun, prefix: string): string[] => r.stdout.split('\n').filter((l) => l.startsWith(prefix));

  /** Exit 0, no error, every output and the summary: what a finished run must keep whatever GitHub does. */
  function expectFinished(r: ActionRun): void {
    expect({ exitCode: r.exitCode, timedOut: r.timedOut, errors: lines(r, '::error::'), log: r.stdout.slice(-3000) }).toEqual({
      exitCode: 0,
      timedOut: false,
      errors: [],
      log: expect.any(String)
    });
    expect(r.outputs).toMatchObject({
      'tests-generated': '0',
      'tests-accepted': '0',
      backend: expect.any(String),
      'report-path': expect.stringMatching(/\.json$/)
    });
    expect(r.summary).toContain('Generated unit tests');
  }

  it('falls back to git diff when listing the files never answers, and finishes', async () => {
    const event = pullRequest(20);
    api.hangOn({ method: 'GET', path: `/repos/${owner}/${repo}/pulls/20/files` });
    const result = await run(event);
    expectFinished(result);
    expect(lines(result, '::warning::')).toContainEqual(
      expect.stringMatching(
        /Listing the pull request's files through the API failed \(GitHub API did not answer GET \/repos\/aqe\/example\/pulls\/20\/files within 1500 ms \(attempt 2 of 2\)\); using git diff/
      )
    );
    // Two attempts, then git; the comment still went out.
    expect(api.requests.filter((r) => r.path.endsWith('/pulls/20/files'))).toHaveLength(2);
    expect(api.comments.get(20)).toHaveLength(1);
  });

  it('warns and keeps outputs and summary when posting the comment never answers, in bounded time', async () => {
    const event = pullRequest(21);
    api.hangOn({ method: 'POST', path: `/repos/${owner}/${repo}/issues/21/comments` });
    const result = await run(event);
    expectFinished(result);
    expect(lines(result, '::warning::')).toContainEqual(
      expect.stringMatching(
        /Could not post the PR comment: creating the comment failed \(GitHub API did not answer POST \/repos\/aqe\/example\/issues\/21\/comments within 1500 ms \(attempt 2 of 2\)\)\. .*job summary has the full report/
      )
    );
    expect(api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/21/comments'))).toHaveLength(2);
    // Two 1.5 s attempts and a 1 s backoff on top of a quick run: nowhere near the harness's limit.
    expect(result.durationMs).toBeLessThan(90_000);
  });

  it('warns and keeps the outputs when the comments API answers 500 every time', async () => {
    const event = pullRequest(22);
    api.failWith({ path: /\/issues\/22\/comments$/ }, 500, 'Server Error');
    const result = await run(event);
    expectFinished(result);
    expect(lines(result, '::warning::')).toContainEqual(
      expect.stringMatching(/Could not post the PR comment: listing the comments failed \(HTTP 500: Server Error.*\)\. .*job summary has the full report/)
    );
    expect(api.requests.filter((r) => r.path.endsWith('/issues/22/comments')).map((r) => r.status)).toEqual([500, 500]);
  });

  it('posts the comment when a 500 passes on retry, with the default limits', async () => {
    const event = pullRequest(23);
    api.failWith({ method: 'POST', path: `/repos/${owner}/${repo}/issues/23/comments` }, 500, 'Server Error', { times: 1 });
    const result = await run(event, {});
    expectFinished(result);
    expect(lines(result, '::warning::')).toEqual([]);
    expect(api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/23/comments')).map((r) => r.status)).toEqual([500, 201]);
    expect(api.comments.get(23)).toEqual([expect.objectContaining({ body: expect.stringContaining(STICKY_COMMENT_MARKER) })]);
  });

  it('posts a new comment when its old one is gone by the time it edits it (PATCH 404)', async () => {
    const event = pullRequest(24);
    const old = api.addComment(owner, repo, 24, `${STICKY_COMMENT_MARKER}\nold report`);
    api.failWith({ method: 'PATCH', path: `/repos/${owner}/${repo}/issues/comments/${old.id}` }, 404, 'Not Found');
    const result = await run(event);
    expectFinished(result);
    expect(lines(result, '::warning::')).toEqual([]);
    const created = (api.comments.get(24) ?? []).filter((c) => c.id !== old.id);
    expect(created).toEqual([expect.objectContaining({ body: expect.stringContaining('Generated unit tests') })]);
    expect(result.stdout).toContain(`PR comment created: ${created[0]!.html_url}`);
  });

  it('reports an event file that is not JSON in one error line, without a stack trace', async () => {
    const broken = path.join(dirs.root, 'broken-event.json');
    await writeFile(broken, '{"pull_request": ');
    const result = await runAction(dirs, { inputs, apiUrl: api.url, timeoutMs: 60_000, extraEnv: { GITHUB_EVENT_PATH: broken } });
    expect({ exitCode: result.exitCode, errors: lines(result, '::error::') }).toEqual({
      exitCode: 1,
      errors: [`::error::The event file ${broken} (GITHUB_EVENT_PATH) is not valid JSON. Point it at a pull_request webhook payload.`]
    });
    const everything = `${result.stdout}\n${result.stderr}`;
    expect(everything).not.toMatch(/SyntaxError|^\s+at .+:\d+:\d+\)?$/m);
  });
});

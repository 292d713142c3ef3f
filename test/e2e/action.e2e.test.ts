import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runProcess } from '../../src/process/runProcess.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeComment, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

/**
 * The action as a runner starts it (node dist/index.js), on the example pull request, with the
 * demo model running in real llama.cpp and a fake GitHub API on loopback. Nothing is stubbed
 * between the event file and the PR comment.
 */
describe('action end to end on the example pull request', () => {
  const owner = 'aqe';
  const repo = 'example';
  const number = 7;
  let api: FakeGitHubApi;
  let dirs: RunnerDirs;
  let pr: ExamplePullRequest;
  let first: ActionRun;
  let second: ActionRun;
  let userFilesBefore: Map<string, string>;
  /** Comments others left on the PR before the runs, as JSON, to compare byte for byte afterwards. */
  let othersComments: Array<{ id: number; json: string }>;

  const inputs = (reportName: string): Record<string, string> => ({
    'report-path': path.join(dirs.root, reportName),
    'github-token': 'test-token',
    'working-directory': 'ts-lib',
    model: 'demo',
    'max-parallel': '2',
    'context-size': '4096',
    'test-timeout': '120'
  });

  beforeAll(async () => {
    api = await startFakeGitHubApi();
    dirs = await makeRunnerDirs('aqe-e2e-');
    pr = await prepareExamplePullRequest(dirs.workspace);
    api.setPullFiles(owner, repo, number, [
      { filename: 'src/index.ts', status: 'modified' },
      { filename: 'src/math.ts', status: 'modified' },
      { filename: 'src/strings.ts', status: 'added' }
    ]);
    userFilesBefore = await hashTree(pr.repoDir);
    // Another bot's sticky comment, with an HTML marker of its own that shares our prefix, and a person
    // quoting a near miss of ours: neither is the report's comment, so neither may be edited or removed.
    const seeded: FakeComment[] = [
      api.addComment(
        owner,
        repo,
        number,
        '<!-- aqe/local-inference:report-v0 -->\n<!-- codecov-sticky -->\n## Codecov Report\nAll modified lines are covered; the aqe tests were not counted.',
        { login: 'codecov[bot]', id: 22429695, type: 'Bot' }
      ),
      api.addComment(owner, repo, number, 'Could aqe also cover `src/math.ts`? <!-- aqe/local-inference:report--> was in the last run', {
        login: 'reviewer',
        id: 5_000_001,
        type: 'User'
      })
    ];
    othersComments = seeded.map((c) => ({ id: c.id, json: JSON.stringify(c) }));
    const event = pullRequestPayload({ owner, repo, number, baseSha: pr.baseSha, headSha: pr.headSha, title: pr.title });
    first = await runAction(dirs, { inputs: inputs('first.json'), event, apiUrl: api.url });
    second = await runAction(dirs, { inputs: inputs('second.json'), event, apiUrl: api.url });
  }, 900_000);

  afterAll(async () => {
    await api?.close();
    expectValidExchanges(api);
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  it('succeeds and reports the numbers in its outputs', async () => {
    // The log's tail is in the comparison so a failure shows why.
    expect({ exitCode: first.exitCode, log: first.stdout.slice(-4000) }).toEqual({ exitCode: 0, log: expect.not.stringContaining('::error::') });
    expect(first.outputs['tests-generated']).toBe('2');
    expect(first.outputs['tests-accepted']).toBe('1');
    expect(first.outputs['accepted-files']).toBe('test/strings.test.ts');
    expect(first.outputs['backend']).toBe('cpu');
    expect(first.outputs['gpu-device']).toBe('');
    expect(first.outputs['gpu-layers']).toBe('0');
    expect(first.outputs['gpu-vram-mb']).toBe('');
    expect(Number(first.outputs['model-load-ms'])).toBeGreaterThan(0);
    expect(Number(first.outputs['changed-lines-coverage-after'])).toBeGreaterThan(Number(first.outputs['changed-lines-coverage-before']));
    const before = Number(first.outputs['coverage-before']);
    const after = Number(first.outputs['coverage-after']);
    expect(after).toBeGreaterThan(before);
    const report = JSON.parse(await readFile(first.outputs['report-path']!, 'utf8')) as RunReport;
    expect(report.coverageBefore.linesPct).toBe(before);
    expect(report.coverageAfter.linesPct).toBe(after);
    // Both changed source files are measured: 0 of strings.ts's lines were covered before.
    expect(report.coverageBefore.totalLines).toBe(report.coverageAfter.totalLines);
    expect(report.skipped).toEqual([{ file: 'src/index.ts', reason: expect.stringContaining('re-exports') }]);
  });

  it('keeps the passing test that adds coverage and says why the other was rejected', async () => {
    const report = JSON.parse(await readFile(first.outputs['report-path']!, 'utf8')) as RunReport;
    const byTarget = Object.fromEntries(report.candidates.map((c) => [c.targetFile, c]));
    expect(byTarget['src/strings.ts']).toMatchObject({ status: 'accepted', testFile: 'test/strings.test.ts', testsFailed: 0 });
    expect(byTarget['src/strings.ts']!.testsPassed).toBeGreaterThan(0);
    expect(byTarget['src/strings.ts']!.coverageAfter.linesPct).toBe(100);
    expect(byTarget['src/math.ts']).toMatchObject({ status: 'rejected', testFile: 'test/math.aqe.test.ts', rejection: { stage: 'no-coverage-gain' } });
    expect(report.inference.provider).toBe('local');
    expect(report.inference.completionTokens).toBeGreaterThan(100);
    expect(report.inference.tokensPerSecond).toBeGreaterThan(0);
    expect(report.inference.demoModelNotice).toMatch(/demo model/);
  });

  it('writes the accepted test, which passes on its own, and changes no file the user wrote', async () => {
    const testFile = path.join(pr.repoDir, 'test', 'strings.test.ts');
    expect(existsSync(testFile)).toBe(true);
    expect(existsSync(path.join(pr.repoDir, 'test', 'math.aqe.test.ts'))).toBe(false);
    const jest = await runProcess({
      command: process.execPath,
      args: [path.join(pr.repoDir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', 'test/strings.test.ts'],
      cwd: pr.repoDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeoutMs: 120_000
    });
    expect(jest.exitCode).toBe(0);
    const after = await hashTree(pr.repoDir);
    for (const [file, hash] of userFilesBefore) expect([file, after.get(file)]).toEqual([file, hash]);
    expect([...after.keys()].filter((f) => !userFilesBefore.has(f))).toEqual(['test/strings.test.ts']);
  });

  it('writes the job summary with the tables', () => {
    expect(first.summary).toContain('1 of 2');
    expect(first.summary).toContain('`src/strings.ts`');
    expect(first.summary).toContain('no-coverage-gain');
    expect(first.summary).toMatch(/Demo model/i);
  });

  it('posts one sticky comment and updates it in place on the next run', async () => {
    expect({ exitCode: second.exitCode, log: second.stdout.slice(-4000) }).toEqual({ exitCode: 0, log: expect.not.stringContaining('::error::') });
    const others = new Set(othersComments.map((c) => c.id));
    const ours = (api.comments.get(number) ?? []).filter((c) => !others.has(c.id));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toContain(STICKY_COMMENT_MARKER);
    const writes = api.requests.filter((r) => r.path.includes('/comments') && r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual([`POST /repos/${owner}/${repo}/issues/${number}/comments`, `PATCH /repos/${owner}/${repo}/issues/comments/${ours[0]!.id}`]);
    expect(api.requests.every((r) => r.headers.authorization === 'token test-token')).toBe(true);
  });

  it("leaves another tool's comment and a person's comment byte for byte as they were", () => {
    const now = new Map((api.comments.get(number) ?? []).map((c) => [c.id, JSON.stringify(c)]));
    for (const { id, json } of othersComments) expect([id, now.get(id)]).toEqual([id, json]);
    const touched = api.requests.filter((r) => r.method !== 'GET' && othersComments.some((c) => r.path.endsWith(`/comments/${c.id}`)));
    expect(touched).toEqual([]);
  });

  it('on the second run, leaves the now-tested file alone and never overwrites the accepted test', async () => {
    expect(second.outputs['tests-accepted']).toBe('0');
    const report = JSON.parse(await readFile(second.outputs['report-path']!, 'utf8')) as RunReport;
    const strings = report.candidates.find((c) => c.targetFile === 'src/strings.ts')!;
    expect(strings.testFile).toBe('test/strings.aqe.test.ts');
    // The model wrote the same file again: every case repeats the test accepted on the first run.
    expect(strings.rejection?.stage).toBe('duplicate');
    expect(strings.cases.every((c) => c.verdict === 'duplicate')).toBe(true);
    expect(await readdir(path.join(pr.repoDir, 'test'))).toEqual(['math.test.ts', 'strings.test.ts']);
  });
});

async function hashTree(root: string, rel = ''): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of await hashTree(root, child)) hashes.set(k, v);
    else if (entry.isFile())
      hashes.set(
        child,
        createHash('sha256')
          .update(await readFile(path.join(root, child)))
          .digest('hex')
      );
  }
  return hashes;
}

/**
 * Through the bundled action (node dist/index.js): what the existing suite's health does to a
 * run, and faults of the machine. A broken test file of the repository is named; a suite that
 * does not start or never finishes is reported as such, and never blamed on a candidate; a disk
 * that fills mid-run ends the run with the directory to fix instead of rejecting a good test;
 * and no file name from the pull request can run a workflow command.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runProcess } from '../../src/process/runProcess.js';
import { git } from '../../src/repo/git.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { commandsTheRunnerWouldRun } from '../support/runnerCommands.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];
const OWNER = 'aqe';
const REPO = 'example';

let api: FakeGitHubApi;
const cleanups: Array<() => Promise<void>> = [];
let nextPr = 20;

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await api?.close();
  expectValidExchanges(api);
});

interface Scenario {
  dirs: RunnerDirs;
  pr: ExamplePullRequest;
  number: number;
  event: unknown;
}

/** The example pull request in its own runner directories, with extra files committed on its head. */
async function scenario(files: Record<string, string>, pullFiles: string[] = ['src/strings.ts']): Promise<Scenario> {
  api ??= await startFakeGitHubApi();
  const dirs = await makeRunnerDirs('aqe-health-');
  cleanups.push(() => rm(dirs.root, { recursive: true, force: true }));
  const pr = await prepareExamplePullRequest(dirs.workspace);
  if (Object.keys(files).length > 0) {
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(pr.repoDir, file)), { recursive: true });
      await writeFile(path.join(pr.repoDir, file), content);
    }
    await git(pr.repoDir, ['add', ...Object.keys(files)]);
    await git(pr.repoDir, [...AUTHOR, 'commit', '-q', '-m', 'More']);
    pr.headSha = (await git(pr.repoDir, ['rev-parse', 'HEAD'])).trim();
  }
  const number = nextPr++;
  api.setPullFiles(
    OWNER,
    REPO,
    number,
    pullFiles.map((filename) => ({ filename, status: 'added' as const }))
  );
  return { dirs, pr, number, event: pullRequestPayload({ owner: OWNER, repo: REPO, number, baseSha: pr.baseSha, headSha: pr.headSha }) };
}

const inputs = (s: Scenario, extra: Record<string, string> = {}): Record<string, string> => ({
  'github-token': 't',
  'working-directory': 'ts-lib',
  model: 'demo',
  'report-path': path.join(s.dirs.root, 'report.json'),
  'repeat-runs': '2',
  ...extra
});

async function report(run: ActionRun): Promise<RunReport> {
  return JSON.parse(await readFile(run.outputs['report-path']!, 'utf8')) as RunReport;
}

const errorLines = (run: ActionRun): string[] => run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
const warningLines = (run: ActionRun): string[] => run.stdout.split('\n').filter((l) => l.startsWith('::warning::'));

describe('the existing suite, as the baseline', () => {
  it('names an existing test file that does not compile, with the error, and marks coverage before as incomplete', async () => {
    const s = await scenario({
      'test/broken.test.ts': "import { slugify } from '../src/strings';\n\nit('slugs', () => {\n  expect(slugify('A B')).toBe('a-b';\n});\n"
    });
    const run = await runAction(s.dirs, { inputs: inputs(s), event: s.event, apiUrl: api.url, timeoutMs: 300_000 });
    expect({ exitCode: run.exitCode, errors: errorLines(run) }).toEqual({ exitCode: 0, errors: [] });
    const r = await report(run);
    expect(r.baseline.brokenTestFiles).toEqual([{ file: 'test/broken.test.ts', error: expect.stringContaining("')' expected") }]);
    expect(r.baseline).toMatchObject({ suiteFailed: true, coverageComplete: false, runFailures: [] });
    expect(warningLines(run).some((l) => l.includes('test/broken.test.ts') && l.includes('could not be compiled or loaded'))).toBe(true);
    expect(run.summary).toMatch(/broken baseline.*1 test file\(s\) did not load \(`test\/broken\.test\.ts`\)/);
    expect(run.summary).toContain('from a broken baseline');
    // The good candidate is still judged on its own merits.
    expect(r.candidates.find((c) => c.targetFile === 'src/strings.ts')?.status).toBe('accepted');
  }, 400_000);

  it('fails with the runner error, and judges no candidate, when the suite does not start', async () => {
    const s = await scenario({ 'jest.config.js': "throw new Error('config needs SECRET_SAUCE');\n" });
    const run = await runAction(s.dirs, { inputs: inputs(s), event: s.event, apiUrl: api.url, timeoutMs: 300_000 });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      expect.stringMatching(/did not start, so no generated test could be judged: .*config needs SECRET_SAUCE.*Fix the repository's test setup/)
    ]);
    expect(run.stdout).not.toContain('Generating');
    const r = JSON.parse(await readFile(path.join(s.dirs.root, 'report.json'), 'utf8')) as RunReport;
    expect(r.candidates).toEqual([]);
    expect(r.baseline.runFailures).toEqual([{ kind: 'did-not-start', packageDir: '', error: expect.stringContaining('config needs SECRET_SAUCE') }]);
    expect(r.skipped).toEqual(expect.arrayContaining([{ file: 'src/strings.ts', reason: expect.stringContaining('did not start') }]));
  }, 400_000);

  it('keeps a good test when the suite itself never finishes, and says it is not confirmed next to the suite', async () => {
    const s = await scenario({
      'test/spin.test.ts':
        "import { it } from '@jest/globals';\n\nit('spins forever', () => {\n  for (;;) {\n    // never yields, so no per-test timeout can end it\n  }\n});\n"
    });
    const run = await runAction(s.dirs, { inputs: inputs(s, { 'test-timeout': '10' }), event: s.event, apiUrl: api.url, timeoutMs: 400_000 });
    expect({ exitCode: run.exitCode, errors: errorLines(run) }).toEqual({ exitCode: 0, errors: [] });
    const r = await report(run);
    expect(r.baseline.runFailures).toEqual([{ kind: 'timed-out', packageDir: '', error: expect.stringContaining('stopped after 50 s') }]);
    expect(r.candidates.find((c) => c.targetFile === 'src/strings.ts')).toMatchObject({ status: 'accepted', confirmedWithSuite: false });
    expect(r.candidates.some((c) => c.rejection?.stage === 'suite-conflict')).toBe(false);
    expect(warningLines(run).some((l) => l.includes('did not finish within 50 s'))).toBe(true);
    expect(run.summary).toContain('not confirmed next to the suite');
  }, 500_000);
});

describe('untrusted strings in the log', () => {
  it('never lets a pull request file name run a workflow command', async () => {
    const evil = 'src/evil\n::error::pwned\n::add-mask::hidden\n##[error]legacy.ts';
    const s = await scenario({}, [evil, 'README.md']);
    const run = await runAction(s.dirs, { inputs: inputs(s), event: s.event, apiUrl: api.url, timeoutMs: 120_000 });
    expect({ exitCode: run.exitCode, stderr: run.stderr.slice(-2000) }).toEqual({ exitCode: 0, stderr: '' });
    // The name is in the log, shown as text.
    expect(run.stdout).toContain('::error::pwned');
    const commands = commandsTheRunnerWouldRun(run.stdout);
    expect(commands).not.toContain('error');
    expect(commands).not.toContain('add-mask');
    expect(commands).toContain('stop-commands');
  }, 200_000);
});

describe('a disk that fills mid-run', () => {
  it('ends the run naming the directory, and rejects no candidate for it', async () => {
    const s = await scenario({});
    // RUNNER_TEMP on a small file system of its own, filled up once validation has started.
    const mounted = await runProcess({ command: 'mount', args: ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', s.dirs.temp], cwd: '/', timeoutMs: 10_000 });
    if (mounted.exitCode !== 0) throw new Error(`This test mounts a tmpfs (it needs root, as CI has): ${mounted.stderr}`);
    cleanups.push(async () => void (await runProcess({ command: 'umount', args: ['-l', s.dirs.temp], cwd: '/', timeoutMs: 10_000 })));
    const filler = fillWhenValidationStarts(s.dirs.temp);
    const run = await runAction(s.dirs, { inputs: inputs(s), event: s.event, apiUrl: api.url, timeoutMs: 300_000 });
    filler.stop();
    expect({ filled: filler.filled(), log: filler.filled() ? '' : run.stdout.slice(-3000) }).toEqual({ filled: true, log: '' });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([expect.stringMatching(new RegExp(`The disk is full in ${escapeRegExp(s.dirs.temp)}.*\\(ENOSPC\\).*Free space`))]);
    expect(run.stdout).not.toMatch(/rejected test\/strings\.test\.ts \(compile/);
    expect(api.comments.get(s.number) ?? []).toHaveLength(0);
  }, 400_000);
});

/** Writes zeros into `dir` until the disk is full, as soon as a validation run's directory appears. */
function fillWhenValidationStarts(dir: string): { stop(): void; filled(): boolean } {
  let filled = false;
  const timer = setInterval(() => {
    if (filled) return;
    const started = readdirSync(dir)
      .filter((d) => d.startsWith('aqe-run-'))
      .some((d) => existsSync(path.join(dir, d, 'root', 'validation')));
    if (!started) return;
    filled = true;
    const fd = openSync(path.join(dir, 'filler.bin'), 'w');
    const block = Buffer.alloc(1024 * 1024);
    try {
      for (;;) writeSync(fd, block);
    } catch {
      // ENOSPC: full.
    } finally {
      closeSync(fd);
    }
  }, 25);
  return { stop: () => clearInterval(timer), filled: () => filled };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

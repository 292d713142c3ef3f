/**
 * A cancelled job, through the bundled action (node dist/index.js): the runner sends SIGTERM
 * while a candidate is being validated, and that candidate has left a detached process behind
 * and hangs. The action must stop within seconds with 143, leave no process of the run and no
 * scratch directory, change nothing in the working tree, and still write the report of what
 * had finished (the baseline) with the cancellation in it. Run with the sandbox as found (the
 * namespaces where bubblewrap works) and with it off (the fallback's process-group cleanup).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { DEMO_ANSWER_FILE } from '../../src/inference/model/demoModel.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, pullRequestPayload } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { hashTree } from '../support/hashTree.js';
import { startAction } from '../support/signalledAction.js';

const OWNER = 'aqe';
const REPO = 'example';
/** From SIGTERM to exit: the kill grace (2 s) and the unwinding, well inside the 7.5 s a cancelled job gives. */
const EXIT_WITHIN_MS = 6_000;

let api: FakeGitHubApi;
const cleanups: Array<() => Promise<void>> = [];
let nextPr = 60;

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await api?.close();
  expectValidExchanges(api);
});

/**
 * A candidate for src/math.ts with one good case and one that starts a detached, long-lived Node
 * (the token in its arguments finds it in /proc), writes a marker into its working directory (the
 * scratch copy) and never settles. No @types/node in the example, so Node's globals are declared.
 */
function hangingAnswer(token: string): string {
  return [
    'Here is a jest test file for `src/math.ts`:',
    '',
    '```ts',
    "import { expect, it } from '@jest/globals';",
    "import { lerp } from '../src/math';",
    '',
    'declare const require: (id: string) => any;',
    'declare const process: { execPath: string; cwd(): string };',
    '',
    "it('interpolates halfway', () => {",
    '  expect(lerp(0, 10, 0.5)).toBe(5);',
    '});',
    '',
    "it('waits for ever', () => {",
    "  const { spawn } = require('node:child_process');",
    "  const { writeFileSync } = require('node:fs');",
    `  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${token}'], { detached: true, stdio: 'ignore' });`,
    '  child.unref();',
    `  writeFileSync(process.cwd() + '/${token}.marker', String(child.pid));`,
    '  return new Promise(() => undefined);',
    '}, 600_000);',
    '```',
    ''
  ].join('\n');
}

/** Files named `name` under dir, not following node_modules (the scratch copy links the repository's). */
function findFiles(dir: string, name: string, depth = 4): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return [full];
    return e.isDirectory() && e.name !== 'node_modules' ? findFiles(full, name, depth - 1) : [];
  });
}

/** Live processes whose command line contains `text` (zombies have none, so they are not counted). */
function processesWith(text: string): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(text)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(what: string, check: () => boolean, withinMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}. Log so far:\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Cancellable {
  dirs: Awaited<ReturnType<typeof makeRunnerDirs>>;
  repoDir: string;
  token: string;
  reportPath: string;
  treeBefore: Map<string, string>;
  action: Awaited<ReturnType<typeof startAction>>;
  /** The run's work directory (RUNNER_TEMP/aqe-run-*): its path is in every runner process's command line. */
  workRoot: string;
}

/** The example pull request with a good candidate and a hanging one, run by the bundled action until the hanging one is under way. */
async function runUntilTheCandidateHangs(sandbox: string): Promise<Cancellable> {
  api ??= await startFakeGitHubApi();
  const dirs = await makeRunnerDirs('aqe-cancel-');
  cleanups.push(() => rm(dirs.root, { recursive: true, force: true }));
  const pr = await prepareExamplePullRequest(dirs.workspace);
  const number = nextPr++;
  api.setPullFiles(OWNER, REPO, number, [
    { filename: 'src/math.ts', status: 'modified' },
    { filename: 'src/strings.ts', status: 'added' }
  ]);
  const token = `aqe-cancel-${randomBytes(8).toString('hex')}`;
  const replay = path.join(dirs.root, 'answers.jsonl');
  const good = await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8');
  await writeFile(
    replay,
    [
      { target: 'src/strings.ts', response: { text: good } },
      { target: 'src/math.ts', response: { text: hangingAnswer(token) } }
    ]
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('')
  );
  const reportPath = path.join(dirs.root, 'report.json');
  const treeBefore = hashTree(pr.repoDir, ['.git']);
  // Should the test fail, the candidate's child must not outlive it.
  cleanups.push(async () => {
    for (const p of processesWith(token)) process.kill(p.pid, 'SIGKILL');
  });
  const action = await startAction(dirs, {
    inputs: {
      'github-token': 't',
      'working-directory': 'ts-lib',
      model: '',
      'replay-file': replay,
      'report-path': reportPath,
      'test-timeout': '300',
      'repeat-runs': '0',
      'max-repairs': '0',
      comment: 'false',
      sandbox
    },
    event: pullRequestPayload({ owner: OWNER, repo: REPO, number, baseSha: pr.baseSha, headSha: pr.headSha }),
    apiUrl: api.url
  });
  let marker: string | undefined;
  await until(
    "the hanging candidate's marker in the scratch copy",
    () => (marker = findFiles(dirs.temp, `${token}.marker`)[0]) !== undefined,
    240_000,
    action.output
  );
  const workRoot = path.join(dirs.temp, path.relative(dirs.temp, marker!).split(path.sep)[0]!);
  expect(path.basename(workRoot)).toMatch(/^aqe-run-/);
  // The detached child is running now, and it is the run's to stop.
  await until('the detached child', () => processesWith(token).length > 0, 5_000, action.output);
  return { dirs, repoDir: pr.repoDir, token, reportPath, treeBefore, action, workRoot };
}

const logOf = (end: { stdout: string; stderr: string }): string => `${end.stdout.slice(-3000)}\n${end.stderr.slice(-2000)}`;

describe.each([
  { sandbox: 'auto', label: 'with the sandbox as found' },
  { sandbox: 'off', label: 'with the sandbox off' }
])('a SIGTERM during validation, $label', ({ sandbox }) => {
  it('stops within seconds with 143, leaves no process, scratch directory or change behind, and reports what had finished', async () => {
    const { dirs, token, reportPath, treeBefore, action, workRoot, repoDir } = await runUntilTheCandidateHangs(sandbox);
    const signalledAt = Date.now();
    action.child.kill('SIGTERM');
    const end = await action.ended;

    expect({ exitCode: end.exitCode, signal: end.signal, log: end.exitCode === 143 ? '' : logOf(end) }).toEqual({ exitCode: 143, signal: null, log: '' });
    expect(end.endedAt - signalledAt).toBeLessThan(EXIT_WITHIN_MS);
    // Nothing of the run is left: not the detached child, not a runner (jest) working in the scratch copy.
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWith(token)).toEqual([]);
    expect(processesWith(workRoot)).toEqual([]);
    expect(readdirSync(dirs.temp).filter((d) => d.startsWith('aqe-run-'))).toEqual([]);
    expect(hashTree(repoDir, ['.git'])).toEqual(treeBefore);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport;
    expect(report.cancelled).toEqual({
      signal: 'SIGTERM',
      during: 'validating the candidates of the root package (jest)',
      unfinished: expect.arrayContaining([expect.objectContaining({ targetFile: 'src/math.ts' })])
    });
    // The baseline had finished: its figures are the suite's own.
    expect(report.baseline.testsPassed).toBeGreaterThan(0);
    expect(report.baseline.runFailures).toEqual([]);
    expect(report.coverageBefore.linesPct).not.toBeNull();
    // No verdict came from the stopped run, and nothing was delivered.
    expect(report.candidates.filter((c) => c.targetFile === 'src/math.ts')).toEqual([]);
    expect(report.testsAccepted).toBe(0);
    expect(report.delivery).toBeUndefined();
    expect(report.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^The run was cancelled by SIGTERM during validating .*Nothing was delivered/)])
    );

    const errors = end.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toEqual([
      expect.stringMatching(/^::error::The run was cancelled by SIGTERM during validating the candidates of the root package \(jest\).*report\.json/)
    ]);
    expect(end.outputs['report-path']).toBe(reportPath);
    expect(end.outputs['tests-accepted']).toBe('0');
    expect(end.summary).toContain('cancelled by SIGTERM');
  }, 400_000);
});

describe('a second signal while the run is being cancelled', () => {
  it('stops at once: every process group killed and the scratch directory removed, exit 143', async () => {
    const { dirs, token, action, workRoot } = await runUntilTheCandidateHangs('auto');
    // As a cancelled job's runner does, only faster: SIGINT, then SIGTERM long before the run could unwind (it takes
    // the test processes' exit, the reaper's sweep and the removal of the scratch copy).
    action.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 20));
    const signalledAt = Date.now();
    action.child.kill('SIGTERM');
    const end = await action.ended;
    expect({ exitCode: end.exitCode, log: end.exitCode === 143 ? '' : logOf(end) }).toEqual({ exitCode: 143, log: '' });
    expect(end.endedAt - signalledAt).toBeLessThan(2_000);
    expect(end.stdout).toContain('SIGINT received: cancelling the run');
    expect(end.stdout).toContain('SIGTERM received while the run was being cancelled: stopping at once.');
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dirs.temp).filter((d) => d.startsWith('aqe-run-'))).toEqual([]);
    expect(processesWith(workRoot)).toEqual([]);
    // A detached child is found by the namespace's end; the fallback's reaper, killed at once, may not get to it (README).
    const confined = end.stdout.includes('Tests run confined by bubblewrap');
    expect(confined ? processesWith(token) : []).toEqual([]);
  }, 400_000);
});

/**
 * The validation stage against the real example repository (examples/ts-lib laid out as a pull request): the
 * repository's own jest (ts-jest, type-checked) runs candidate test files in one scratch copy and reports per file and
 * per case; judgeCoverageGain decides from the coverage already reached whether a passing file adds anything.
 *
 * Each jest run costs a few seconds, so the suite shares one scratch copy and one baseline run, and judges the three
 * candidates whose coverage does not matter (failing, not compiling, empty) in a single run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoverageData } from '../../src/coverage/CoverageData.js';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { judgeCoverageGain } from '../../src/validation/judgeCoverageGain.js';
import { JestRunner } from '../../src/validation/runners/JestRunner.js';
import { TestRunnerNotFoundError } from '../../src/validation/runners/TestRunnerNotFoundError.js';
import { ScratchCopy } from '../../src/validation/ScratchCopy.js';
import type { TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { hashTree } from '../support/hashTree.js';
import { processesStillAlive } from '../support/processesGone.js';

const TIMEOUT_MS = 120_000;
const COVERAGE_FILES = ['src/math.ts', 'src/strings.ts'];

let root: string;
let repoDir: string;
let scratch: ScratchCopy;
let runner: JestRunner;
let baseline: TestRunResult;
let hashesBefore: Map<string, string>;


let outputs = 0;
async function runJest(testFiles?: string[], timeoutMs = TIMEOUT_MS): Promise<TestRunResult> {
  const outputDir = path.join(root, 'out', String(outputs++));
  await mkdir(outputDir, { recursive: true });
  return runner.run({ rootDir: scratch.dir, testFiles, coverageFiles: COVERAGE_FILES, timeoutMs, outputDir });
}

/** Writes a candidate into the scratch copy, runs it alone, and removes it again. */
async function runCandidate(file: string, content: string, timeoutMs = TIMEOUT_MS): Promise<TestRunResult> {
  await scratch.write(file, content);
  try {
    return await runJest([file], timeoutMs);
  } finally {
    await scratch.remove(file);
  }
}

beforeAll(async () => {
  root = realpathSync(await mkdtemp(path.join(tmpdir(), 'aqe-jest-runner-')));
  ({ repoDir } = await prepareExamplePullRequest(path.join(root, 'repos')));
  // The user's working tree also holds an untracked file and ignored output; only the former belongs in the copy.
  await writeFile(path.join(repoDir, 'NOTES.md'), 'untracked but not ignored\n');
  await mkdir(path.join(repoDir, 'coverage'), { recursive: true });
  await writeFile(path.join(repoDir, 'coverage', 'stale.json'), '{}\n');
  hashesBefore = hashTree(repoDir);

  runner = JestRunner.locate(repoDir);
  scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
  baseline = await runJest();
});

afterAll(async () => {
  await scratch?.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('ScratchCopy', () => {
  it('copies tracked and untracked files, not ignored ones, and links node_modules', () => {
    expect(path.dirname(scratch.dir)).toBe(path.join(root, 'scratch'));
    expect(path.basename(scratch.dir)).toMatch(/^aqe-scratch-/);
    for (const file of ['package.json', 'jest.config.js', 'tsconfig.json', '.gitignore', 'src/math.ts', 'src/strings.ts', 'src/index.ts', 'test/math.test.ts']) {
      expect(readFileSync(path.join(scratch.dir, file), 'utf8')).toBe(readFileSync(path.join(repoDir, file), 'utf8'));
    }
    // The PR's version of the files, not the base commit's.
    expect(readFileSync(path.join(scratch.dir, 'src/math.ts'), 'utf8')).toContain('export function lerp');
    expect(readFileSync(path.join(scratch.dir, 'NOTES.md'), 'utf8')).toBe('untracked but not ignored\n');
    expect(existsSync(path.join(scratch.dir, 'coverage'))).toBe(false);
    expect(existsSync(path.join(scratch.dir, '.git'))).toBe(false);

    const modules = path.join(scratch.dir, 'node_modules');
    expect(lstatSync(modules).isSymbolicLink()).toBe(true);
    expect(realpathSync(modules)).toBe(realpathSync(path.join(repoDir, 'node_modules')));
    expect(existsSync(path.join(modules, 'jest', 'bin', 'jest.js'))).toBe(true);
  });

  it('writes and removes files inside the copy only', async () => {
    await scratch.write('test/nested/dir/probe.txt', 'probe');
    expect(readFileSync(path.join(scratch.dir, 'test/nested/dir/probe.txt'), 'utf8')).toBe('probe');
    await scratch.remove('test/nested/dir/probe.txt');
    expect(existsSync(path.join(scratch.dir, 'test/nested/dir/probe.txt'))).toBe(false);
    await expect(scratch.remove('test/never-written.ts')).resolves.toBeUndefined();
    await rm(path.join(scratch.dir, 'test/nested'), { recursive: true });

    const sibling = `../${path.basename(scratch.dir)}-evil/x.ts`;
    for (const escape of ['../escape.ts', '../../escape.ts', sibling, path.join(root, 'abs.ts'), '.']) {
      await expect(scratch.write(escape, 'x')).rejects.toThrow(/Refusing to write outside the scratch copy/);
    }
    await expect(scratch.remove('../escape.ts')).rejects.toThrow(/outside the scratch copy/);
    expect(existsSync(path.join(root, 'scratch', 'escape.ts'))).toBe(false);
    expect(existsSync(path.join(root, 'abs.ts'))).toBe(false);
    expect(existsSync(path.join(root, 'scratch', `${path.basename(scratch.dir)}-evil`))).toBe(false);
  });
});

describe('JestRunner.locate', () => {
  it('refuses a repository without jest installed and says to install dependencies', async () => {
    const bare = path.join(root, 'bare');
    await mkdir(bare, { recursive: true });
    await writeFile(path.join(bare, 'package.json'), '{"name":"bare"}');
    expect(() => JestRunner.locate(bare)).toThrow(TestRunnerNotFoundError);
    expect(() => JestRunner.locate(bare)).toThrow(/Install the repository's dependencies/);
    expect(() => JestRunner.locate(bare)).toThrow(bare);
  });
});

describe('JestRunner.run and judgeCoverageGain', () => {
  it('runs the repository suite as the baseline, with coverage of the files under test', () => {
    expect(baseline.runnerError).toBeUndefined();
    expect(baseline.timedOut).toBe(false);
    expect(baseline.passed).toBe(3);
    expect(baseline.failed).toBe(0);
    expect(baseline.suites).toHaveLength(1);
    expect(baseline.suites[0]).toMatchObject({ file: 'test/math.test.ts', status: 'passed' });
    expect(baseline.suites[0]!.tests.map((t) => t.name).sort()).toEqual([
      'clamp keeps values inside the range',
      'clamp raises values below the range to min',
      'sum adds all values'
    ]);
    expect(baseline.durationMs).toBeGreaterThan(0);

    // Keys are repo-relative (the run happened in the scratch copy), limited to the files asked for.
    expect(baseline.coverage.files()).toContain('src/math.ts');
    expect(baseline.coverage.files().every((f) => COVERAGE_FILES.includes(f))).toBe(true);
    const math = baseline.coverage.counts('src/math.ts')!;
    expect(math.coveredLines).toBeGreaterThan(0);
    expect(math.coveredLines).toBeLessThan(math.totalLines); // mean() and lerp() are untested
    // The untested mean() and lerp() bodies are among the uncovered lines.
    const mathSource = readFileSync(path.join(repoDir, 'src/math.ts'), 'utf8').split('\n');
    const lerpLine = mathSource.findIndex((l) => l.includes('const k = clamp(t, 0, 1)')) + 1;
    expect(baseline.coverage.uncoveredLines('src/math.ts')).toContain(lerpLine);
    // strings.ts lies outside jest's roots and no test loads it: the baseline has no data for it.
    expect(baseline.coverage.counts('src/strings.ts')).toBeUndefined();
  });

  it('accepts a passing test that covers new lines of its target', async () => {
    const file = 'test/strings.candidate.test.ts';
    const run = await runCandidate(
      file,
      `import { describe, expect, it } from '@jest/globals';
import { slugify, truncate, wordCount } from '../src/strings';

describe('strings', () => {
  it('slugifies titles', () => {
    expect(slugify('Crème Brûlée, à la carte!')).toBe('creme-brulee-a-la-carte');
  });
  it('truncates long text with an ellipsis', () => {
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate('short', 10)).toBe('short');
  });
  it('counts words', () => {
    expect(wordCount('  one two\\tthree ')).toBe(3);
  });
});
`
    );
    expect(run.runnerError).toBeUndefined();
    expect(run.passed).toBe(3);
    expect(run.failed).toBe(0);
    expect(run.suites.map((s) => s.file)).toEqual([file]);
    expect(judgeCoverageGain(run.coverage, 'src/strings.ts', baseline.coverage)).toEqual({ accepted: true });

    const merged = baseline.coverage.merge(run.coverage);
    const strings = merged.counts('src/strings.ts')!;
    expect(strings.coveredLines).toBeGreaterThan(0);
    expect(strings.totalLines).toBeGreaterThan(strings.coveredLines); // truncate's RangeError line is not reached
    expect(merged.uncoveredLines('src/strings.ts')).toEqual([
      readFileSync(path.join(repoDir, 'src/strings.ts'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes("throw new RangeError('truncate")) + 1
    ]);
    // Merging keeps what the baseline had for math.ts, and adds nothing to the baseline itself.
    expect(merged.counts('src/math.ts')).toEqual(baseline.coverage.counts('src/math.ts'));
    expect(baseline.coverage.counts('src/strings.ts')).toBeUndefined();
  });

  it('rejects failing, non-compiling and empty test files at the right stage', async () => {
    const failing = 'test/failing.candidate.test.ts';
    const broken = 'test/broken.candidate.test.ts';
    const empty = 'test/empty.candidate.test.ts';
    await scratch.write(
      failing,
      `import { describe, expect, it } from '@jest/globals';
import { slugify } from '../src/strings';

describe('slugify', () => {
  it('keeps case', () => {
    expect(slugify('Hello World')).toBe('Hello-World');
  });
  it('joins words', () => {
    expect(slugify('a b')).toBe('a-b');
  });
});
`
    );
    await scratch.write(
      broken,
      `import { expect, it } from '@jest/globals';
import { slugify } from '../src/strings';

it('slugifies a number', () => {
  expect(slugify(42)).toBe('42');
});
`
    );
    await scratch.write(
      empty,
      `import { describe } from '@jest/globals';
import { wordCount } from '../src/strings';

describe('wordCount', () => {
  void wordCount;
});
`
    );
    let run: TestRunResult;
    try {
      run = await runJest([failing, broken, empty]);
    } finally {
      for (const f of [failing, broken, empty]) await scratch.remove(f);
    }
    expect(run.runnerError).toBeUndefined();
    expect(run.timedOut).toBe(false);
    expect(run.suites.map((s) => s.file).sort()).toEqual([broken, empty, failing].sort());

    const fails = run.suites.find((s) => s.file === failing)!;
    expect(fails.status).toBe('failed');
    expect(fails.tests.map((t) => [t.name, t.status])).toEqual([
      ['slugify keeps case', 'failed'],
      ['slugify joins words', 'passed']
    ]);
    expect(fails.tests[0]!.failureMessage).toMatch(/Expected: "Hello-World"/);

    // ts-jest type-checks: the suite cannot run at all, and the message carries the compiler's diagnostic.
    const compile = run.suites.find((s) => s.file === broken)!;
    expect(compile).toMatchObject({ status: 'error', tests: [] });
    expect(compile.message).toMatch(/TS2345|not assignable to parameter of type 'string'/);

    // jest fails a file that declares no test ("Your test suite must contain at least one test") before anything
    // runs, so it is reported like a suite that could not run.
    const noTests = run.suites.find((s) => s.file === empty)!;
    expect(noTests).toMatchObject({ status: 'error', tests: [] });
    expect(noTests.message).toMatch(/must contain at least one test/);
  });

  it('rejects a passing test that covers nothing new', async () => {
    const file = 'test/clamp.candidate.test.ts';
    const run = await runCandidate(
      file,
      `import { expect, it } from '@jest/globals';
import { clamp } from '../src/math';

it('keeps 5 in [0, 10]', () => {
  expect(clamp(5, 0, 10)).toBe(5);
});
`
    );
    expect(run.passed).toBe(1);
    expect(run.failed).toBe(0);
    expect(run.coverage.counts('src/math.ts')!.coveredLines).toBeGreaterThan(0);
    expect(judgeCoverageGain(run.coverage, 'src/math.ts', baseline.coverage)).toEqual({
      accepted: false,
      stage: 'no-coverage-gain',
      reason: 'covers no line or branch of src/math.ts that the existing tests do not already cover'
    });
    // Judged against nothing known, the same run is a gain.
    expect(judgeCoverageGain(run.coverage, 'src/math.ts', CoverageData.empty())).toEqual({ accepted: true });
    // A target the test never loads cannot gain.
    expect(judgeCoverageGain(run.coverage, 'src/strings.ts', baseline.coverage)).toMatchObject({
      accepted: false,
      stage: 'no-coverage-gain',
      reason: 'src/strings.ts was never loaded by the test'
    });
  });

  it('runs a batch in one process and reports coverage, case lines and results per test file', async () => {
    const strings = 'test/batch-strings.candidate.test.ts';
    const clamp = 'test/batch-clamp.candidate.test.ts';
    await scratch.write(
      strings,
      `import { expect, it } from '@jest/globals';
import { wordCount } from '../src/strings';

it('counts words', () => {
  expect(wordCount('a b c')).toBe(3);
});

it('counts nothing in blank text', () => {
  expect(wordCount('   ')).toBe(1);
});
`
    );
    await scratch.write(
      clamp,
      `import { expect, it } from '@jest/globals';
import { clamp } from '../src/math';

it('keeps 5 in [0, 10]', () => {
  expect(clamp(5, 0, 10)).toBe(5);
});
`
    );
    let run: TestRunResult;
    try {
      const outputDir = path.join(root, 'out', String(outputs++));
      await mkdir(outputDir, { recursive: true });
      run = await runner.run({
        rootDir: scratch.dir,
        testFiles: [strings, clamp],
        coverageFiles: COVERAGE_FILES,
        timeoutMs: TIMEOUT_MS,
        outputDir,
        perFileCoverage: true,
        shuffleSeed: 7,
        testCaseTimeoutMs: 5000,
        workers: 2
      });
    } finally {
      for (const f of [strings, clamp]) await scratch.remove(f);
    }
    expect(runner.capabilities).toEqual({ perFileCoverage: true, shuffle: true });
    expect(run.runnerError).toBeUndefined();
    expect(run.suites.map((s) => s.file).sort()).toEqual([clamp, strings].sort());
    const stringsSuite = run.suites.find((s) => s.file === strings)!;
    expect(stringsSuite.tests.map((t) => [t.title, t.status, t.line]).sort()).toEqual([
      ['counts nothing in blank text', 'failed', 8],
      ['counts words', 'passed', 4]
    ]);
    // Each file's own counters: the strings test never loads math.ts, the clamp test never loads strings.ts.
    const byFile = run.coverageByTestFile!;
    expect([...byFile.keys()].sort()).toEqual([clamp, strings].sort());
    expect(byFile.get(strings)!.files()).toEqual(['src/strings.ts']);
    expect(byFile.get(clamp)!.files()).toEqual(['src/math.ts']);
    expect(byFile.get(strings)!.counts('src/strings.ts')!.coveredLines).toBeGreaterThan(0);
    // Together they make the run's total.
    expect(byFile.get(strings)!.merge(byFile.get(clamp)!).counts('src/strings.ts')).toEqual(run.coverage.counts('src/strings.ts'));
  });

  it('stops a hanging test file at the time limit and kills its whole process group', async () => {
    const file = 'test/hangs.candidate.test.ts';
    const pidFile = path.join(root, 'hang-pids.json');
    const limit = 8000;
    const started = Date.now();
    const run = await runCandidate(
      file,
      `import { it } from '@jest/globals';
import { spawn } from 'child_process';
import { writeFileSync } from 'fs';

it('hangs', () => {
  // A grandchild in jest's process group, as a test that starts a server would leave behind.
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(${JSON.stringify(pidFile)}, JSON.stringify([process.pid, sleeper.pid]));
  return new Promise(() => {});
}, 600000);
`,
      limit
    );
    const elapsed = Date.now() - started;
    expect(run.timedOut).toBe(true);
    expect(run.runnerError).toMatch(/stopped after 8 s/);
    expect(run.suites).toEqual([]);
    expect(run.durationMs).toBeGreaterThanOrEqual(limit);
    expect(elapsed).toBeLessThan(limit + 5000);

    // Both the jest process and the process it started are gone.
    const pids = JSON.parse(await readFile(pidFile, 'utf8')) as number[];
    expect(pids).toHaveLength(2);
    expect(await processesStillAlive(pids)).toEqual([]);
  });

  it('leaves the user repository untouched', () => {
    const after = hashTree(repoDir);
    expect([...after.keys()].sort()).toEqual([...hashesBefore.keys()].sort());
    for (const [file, hash] of hashesBefore) expect([file, after.get(file)]).toEqual([file, hash]);
    expect(after.has('coverage/stale.json')).toBe(true);
    expect(after.has('test/strings.candidate.test.ts')).toBe(false);
  });
});

describe('ScratchCopy.dispose', () => {
  it('removes the copy and nothing else', async () => {
    const dir = scratch.dir;
    expect(existsSync(dir)).toBe(true);
    await scratch.dispose();
    expect(existsSync(dir)).toBe(false);
    // The linked node_modules was unlinked, not emptied.
    expect(existsSync(path.join(repoDir, 'node_modules', 'jest', 'bin', 'jest.js'))).toBe(true);
    expect(existsSync(path.join(repoDir, 'src', 'math.ts'))).toBe(true);
  });
});

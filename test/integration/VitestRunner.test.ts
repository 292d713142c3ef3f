/**
 * The vitest driver against the real vitest example (examples/vitest-lib laid out as a pull request: ESM TypeScript,
 * vitest 4 with the istanbul coverage provider): the repository's own vitest runs candidate test files in one scratch
 * copy, and reports them in the same shape as jest's (suites, cases with titles and lines, istanbul coverage).
 *
 * The locate tests use small node_modules layouts of their own, to show which installs are found and what the user is
 * told when something is missing. vitest 5 runs in test/integration/vitestVersions.test.ts. The last part lays out the monorepo example (npm workspaces: a jest package and a
 * vitest package, runners hoisted to the root) and drives each package through detectProject and createTestRunner.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { detectProject, type ProjectInfo } from '../../src/repo/detectProject.js';
import { changedFilesFromGit } from '../../src/repo/git.js';
import { createTestRunner } from '../../src/validation/runners/createTestRunner.js';
import { judgeCoverageGain } from '../../src/validation/judgeCoverageGain.js';
import { TestRunnerNotFoundError } from '../../src/validation/runners/TestRunnerNotFoundError.js';
import { ScratchCopy } from '../../src/validation/ScratchCopy.js';
import type { TestRunRequest, TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { VitestRunner } from '../../src/validation/runners/VitestRunner.js';
import { hashTree } from '../support/hashTree.js';
import { processesStillAlive } from '../support/processesGone.js';

const TIMEOUT_MS = 120_000;
const COVERAGE_FILES = ['src/duration.ts', 'src/lruCache.ts'];

let root: string;
let repoDir: string;
let scratch: ScratchCopy;
let runner: VitestRunner;
let baseline: TestRunResult;
let hashesBefore: Map<string, string>;


let outputs = 0;
async function runVitest(testFiles?: string[], extra: Partial<TestRunRequest> = {}): Promise<TestRunResult> {
  const outputDir = path.join(root, 'out', String(outputs++));
  await mkdir(outputDir, { recursive: true });
  return runner.run({ rootDir: scratch.dir, testFiles, coverageFiles: COVERAGE_FILES, timeoutMs: TIMEOUT_MS, outputDir, ...extra });
}

/** Writes a candidate into the scratch copy, runs it (alone, or with files already written), and removes it again. */
async function runCandidate(file: string, content: string, extra: Partial<TestRunRequest> & { extraFiles?: string[] } = {}): Promise<TestRunResult> {
  const { extraFiles = [], ...request } = extra;
  await scratch.write(file, content);
  try {
    return await runVitest([file, ...extraFiles], request);
  } finally {
    await scratch.remove(file);
  }
}

function lineOf(file: string, needle: string): number {
  return readFileSync(path.join(repoDir, file), 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
}

beforeAll(async () => {
  root = realpathSync(await mkdtemp(path.join(tmpdir(), 'aqe-vitest-runner-')));
  ({ repoDir } = await prepareExamplePullRequest(path.join(root, 'repos'), 'vitest-lib'));
  hashesBefore = hashTree(repoDir);
  runner = VitestRunner.locate(repoDir);
  scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
  baseline = await runVitest();
});

afterAll(async () => {
  await scratch?.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('VitestRunner.locate', () => {
  /** A fake install: enough files for the lookup, nothing that runs. */
  async function install(dir: string, packages: Record<string, string>): Promise<void> {
    for (const [name, version] of Object.entries(packages)) {
      const pkgDir = path.join(dir, 'node_modules', name);
      await mkdir(pkgDir, { recursive: true });
      await writeFile(path.join(pkgDir, 'package.json'), JSON.stringify({ name, version }));
      if (name === 'vitest') await writeFile(path.join(pkgDir, 'vitest.mjs'), '');
    }
  }

  it('finds the example repository’s vitest and prefers the istanbul coverage provider', () => {
    expect(runner.name).toBe('vitest');
    expect(runner.capabilities).toEqual({ perFileCoverage: true, shuffle: true });
    expect(runner.coverageProvider).toBe('istanbul');
    expect(runner.version).toMatch(/^4\./);
  });

  it('refuses a package without vitest installed and says to install dependencies', async () => {
    const bare = path.join(root, 'bare');
    await mkdir(bare, { recursive: true });
    await writeFile(path.join(bare, 'package.json'), '{"name":"bare"}');
    expect(() => VitestRunner.locate(bare)).toThrow(TestRunnerNotFoundError);
    expect(() => VitestRunner.locate(bare)).toThrow(/Install the repository's dependencies/);
  });

  it('finds vitest hoisted to the workspace root, but not above the repository', async () => {
    const repo = path.join(root, 'hoisted');
    const pkg = path.join(repo, 'packages', 'a');
    await mkdir(pkg, { recursive: true });
    await install(repo, { vitest: '4.1.0', '@vitest/coverage-istanbul': '4.1.0' });
    const located = VitestRunner.locate(pkg, repo);
    expect(located.version).toBe('4.1.0');
    expect(located.coverageProvider).toBe('istanbul');
    expect(located.capabilities).toEqual({ perFileCoverage: true, shuffle: true });
    // Searching only inside the package (its own repository root) does not climb to the install above it.
    expect(() => VitestRunner.locate(pkg, pkg)).toThrow(TestRunnerNotFoundError);
  });

  it('falls back to the v8 provider, and names the package to install when there is none', async () => {
    const repo = path.join(root, 'providers');
    await mkdir(repo, { recursive: true });
    await install(repo, { vitest: '3.2.4' });
    expect(() => VitestRunner.locate(repo)).toThrow(/@vitest\/coverage-istanbul@3\.2\.4/);
    await install(repo, { '@vitest/coverage-v8': '3.2.4' });
    expect(VitestRunner.locate(repo).coverageProvider).toBe('v8');
    // Per-file coverage is only claimed where it was verified: istanbul on vitest 4 and 5.
    expect(VitestRunner.locate(repo).capabilities).toEqual({ perFileCoverage: false, shuffle: true });
    await install(repo, { '@vitest/coverage-istanbul': '3.2.4' });
    expect(VitestRunner.locate(repo).coverageProvider).toBe('istanbul');
  });

  it('claims per-file coverage for vitest 4 and 5 with istanbul only, and leaves a major it does not know to a coverage run per candidate', async () => {
    const claims = async (version: string, provider: '@vitest/coverage-istanbul' | '@vitest/coverage-v8'): Promise<boolean> => {
      const repo = path.join(root, `claims-${version}-${provider.split('-').pop()}`);
      await mkdir(repo, { recursive: true });
      await install(repo, { vitest: version, [provider]: version });
      return VitestRunner.locate(repo).capabilities.perFileCoverage;
    };
    expect(await claims('4.1.12', '@vitest/coverage-istanbul')).toBe(true);
    expect(await claims('5.1.2', '@vitest/coverage-istanbul')).toBe(true);
    expect(await claims('5.1.2', '@vitest/coverage-v8')).toBe(false);
    expect(await claims('6.0.0', '@vitest/coverage-istanbul')).toBe(false);
    expect(await claims('3.2.4', '@vitest/coverage-istanbul')).toBe(false);
  });

  it('refuses a vitest older than 1.0', async () => {
    const repo = path.join(root, 'old');
    await mkdir(repo, { recursive: true });
    await install(repo, { vitest: '0.34.6', '@vitest/coverage-istanbul': '0.34.6' });
    expect(() => VitestRunner.locate(repo)).toThrow(/vitest 0\.34\.6 .* too old/);
  });
});

describe('VitestRunner.run', () => {
  it('runs the repository suite as the baseline, with per-case titles, lines and coverage of the files under test', () => {
    expect(baseline.runnerError).toBeUndefined();
    expect(baseline.timedOut).toBe(false);
    expect(baseline.passed).toBe(3);
    expect(baseline.failed).toBe(0);
    expect(baseline.suites).toHaveLength(1);
    expect(baseline.suites[0]).toMatchObject({ file: 'test/duration.test.ts', status: 'passed', message: '' });
    expect(baseline.suites[0]!.tests).toEqual([
      { name: 'parseDuration reads combined units', title: 'reads combined units', ancestors: ['parseDuration'], status: 'passed', failureMessage: '', line: lineOf('test/duration.test.ts', "it('reads combined units'") },
      { name: 'parseDuration reads fractional seconds', title: 'reads fractional seconds', ancestors: ['parseDuration'], status: 'passed', failureMessage: '', line: lineOf('test/duration.test.ts', "it('reads fractional seconds'") },
      { name: 'parseDuration rejects unknown units', title: 'rejects unknown units', ancestors: ['parseDuration'], status: 'passed', failureMessage: '', line: lineOf('test/duration.test.ts', "it('rejects unknown units'") }
    ]);
    expect(baseline.durationMs).toBeGreaterThan(0);

    // Keys are repo-relative (the run happened in the scratch copy), limited to the files asked for.
    expect(baseline.coverage.files().sort()).toEqual(COVERAGE_FILES);
    const duration = baseline.coverage.counts('src/duration.ts')!;
    expect(duration.coveredLines).toBeGreaterThan(0);
    expect(duration.coveredLines).toBeLessThan(duration.totalLines); // toSeconds and formatDuration are untested
    expect(baseline.coverage.uncoveredLines('src/duration.ts')).toContain(lineOf('src/duration.ts', 'return Math.round(ms / 1000)'));
    // Unlike jest, vitest 4 reports an included file no test loads, with nothing covered.
    expect(baseline.coverage.counts('src/lruCache.ts')).toMatchObject({ coveredLines: 0 });
    expect(baseline.coverage.counts('src/lruCache.ts')!.totalLines).toBeGreaterThan(10);
    // Reports went to the output directory, not into the copy.
    expect(existsSync(path.join(scratch.dir, 'coverage'))).toBe(false);
  });

  it('runs a passing candidate that covers new lines of its target', async () => {
    const file = 'test/lruCache.candidate.test.ts';
    const run = await runCandidate(
      file,
      `import { describe, expect, it } from 'vitest';
import { LruCache } from '../src/lruCache.js';

describe('LruCache', () => {
  it('evicts the least recently used key', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    expect(cache.set('c', 3)).toBe('b');
    expect(cache.keys()).toEqual(['a', 'c']);
    expect(cache.size).toBe(2);
  });
});
`,
      { workers: 1 }
    );
    expect(run.runnerError).toBeUndefined();
    expect(run.passed).toBe(1);
    expect(run.failed).toBe(0);
    expect(run.suites.map((s) => s.file)).toEqual([file]);
    expect(judgeCoverageGain(run.coverage, 'src/lruCache.ts', baseline.coverage)).toEqual({ accepted: true });
    const merged = baseline.coverage.merge(run.coverage);
    expect(merged.counts('src/lruCache.ts')!.coveredLines).toBeGreaterThan(0);
    expect(merged.uncoveredLines('src/lruCache.ts')).toContain(lineOf('src/lruCache.ts', 'throw new RangeError'));
    expect(merged.counts('src/duration.ts')).toEqual(baseline.coverage.counts('src/duration.ts'));
  });

  it('reports the coverage each test file reaches on its own when asked, in one process', async () => {
    const cacheTest = 'test/cache.candidate.test.ts';
    const formatTest = 'test/format.candidate.test.ts';
    const cacheCode = `import { expect, it } from 'vitest';
import { LruCache } from '../src/lruCache.js';

it('reports its size', () => {
  const cache = new LruCache<string, number>(3);
  cache.set('a', 1);
  expect(cache.size).toBe(1);
});
`;
    const formatCode = `import { expect, it } from 'vitest';
import { formatDuration } from '../src/duration.js';

it('formats hours and minutes', () => {
  expect(formatDuration(3_900_000)).toBe('1h 5m');
});
`;
    await scratch.write(cacheTest, cacheCode);
    await scratch.write(formatTest, formatCode);
    let batch: TestRunResult;
    try {
      batch = await runVitest([cacheTest, formatTest], { perFileCoverage: true, workers: 2 });
    } finally {
      await scratch.remove(cacheTest);
      await scratch.remove(formatTest);
    }
    expect(batch.runnerError).toBeUndefined();
    expect(batch.passed).toBe(2);
    expect([...batch.coverageByTestFile!.keys()].sort()).toEqual([cacheTest, formatTest]);
    const cacheOwn = batch.coverageByTestFile!.get(cacheTest)!;
    const formatOwn = batch.coverageByTestFile!.get(formatTest)!;
    // Each file's own coverage holds only the targets it loaded, with its own hits.
    expect(cacheOwn.files()).toEqual(['src/lruCache.ts']);
    expect(formatOwn.files()).toEqual(['src/duration.ts']);
    // ... and equals what the same file reaches in a run of its own, line for line.
    const alone = await runCandidate(cacheTest, cacheCode);
    expect(cacheOwn.counts('src/lruCache.ts')).toEqual(alone.coverage.counts('src/lruCache.ts'));
    expect(cacheOwn.uncoveredLines('src/lruCache.ts')).toEqual(alone.coverage.uncoveredLines('src/lruCache.ts'));
    expect(judgeCoverageGain(formatOwn, 'src/duration.ts', baseline.coverage)).toEqual({ accepted: true });
    expect(judgeCoverageGain(cacheOwn, 'src/duration.ts', baseline.coverage)).toMatchObject({ accepted: false, reason: 'src/duration.ts was never loaded by the test' });
    // Without the request, no per-file map.
    expect(alone.coverageByTestFile).toBeUndefined();
  });

  it('reports failed cases with nested titles and lines, and files that cannot load or declare no test as errors with the reason', async () => {
    const failing = 'test/failing.candidate.test.ts';
    const missingImport = 'test/missing.candidate.test.ts';
    const syntax = 'test/syntax.candidate.test.ts';
    const empty = 'test/empty.candidate.test.ts';
    await scratch.write(
      failing,
      `import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/duration.js';

describe('formatDuration', () => {
  describe('under a second', () => {
    it('keeps milliseconds', () => {
      expect(formatDuration(250)).toBe('0.25s');
    });
  });
  it('joins units', () => {
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
  });
});
`
    );
    await scratch.write(missingImport, `import { expect, it } from 'vitest';\nimport { nope } from '../src/nope.js';\n\nit('uses nope', () => {\n  expect(nope).toBe(1);\n});\n`);
    await scratch.write(syntax, `import { expect, it } from 'vitest';\n\nit('is cut short', () => {\n  expect(1).toBe(1);\n`);
    await scratch.write(empty, `import { describe } from 'vitest';\n\ndescribe('nothing', () => {});\n`);
    let run: TestRunResult;
    try {
      run = await runVitest([failing, missingImport, syntax, empty]);
    } finally {
      for (const f of [failing, missingImport, syntax, empty]) await scratch.remove(f);
    }
    expect(run.runnerError).toBeUndefined();
    expect(run.timedOut).toBe(false);
    expect(run.suites.map((s) => s.file).sort()).toEqual([empty, failing, missingImport, syntax].sort());
    expect(run.passed).toBe(1);
    expect(run.failed).toBe(1);

    const failingSuite = run.suites.find((s) => s.file === failing)!;
    expect(failingSuite.status).toBe('failed');
    expect(failingSuite.tests.map(({ name, title, ancestors, status, line }) => ({ name, title, ancestors, status, line }))).toEqual([
      { name: 'formatDuration under a second keeps milliseconds', title: 'keeps milliseconds', ancestors: ['formatDuration', 'under a second'], status: 'failed', line: 6 },
      { name: 'formatDuration joins units', title: 'joins units', ancestors: ['formatDuration'], status: 'passed', line: 10 }
    ]);
    expect(failingSuite.tests[0]!.failureMessage).toMatch(/expected '250ms' to be '0\.25s'/);

    for (const [file, reason] of [
      [missingImport, /Cannot find module '\.\.\/src\/nope\.js'/],
      [syntax, /PARSE_ERROR|Expected|Unexpected/],
      [empty, /No test found in suite/]
    ] as const) {
      const suite = run.suites.find((s) => s.file === file)!;
      expect(suite).toMatchObject({ status: 'error', tests: [] });
      expect(suite.message).toMatch(reason);
      expect(suite.message).not.toMatch(/\u001b\[/);
    }
  });

  it('fails the file an unhandled error or a failing hook came from, although its tests passed', async () => {
    const unhandled = 'test/unhandled.candidate.test.ts';
    const hook = 'test/hook.candidate.test.ts';
    await scratch.write(
      hook,
      `import { afterAll, describe, expect, it } from 'vitest';

describe('group', () => {
  afterAll(() => {
    throw new Error('teardown failed');
  });
  it('passes', () => {
    expect(1).toBe(1);
  });
});
`
    );
    const run = await runCandidate(
      unhandled,
      `import { expect, it } from 'vitest';

it('schedules a throw', () => {
  setTimeout(() => {
    throw new Error('late boom');
  }, 0);
  expect(1).toBe(1);
});

it('waits for it', async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
});
`,
      { extraFiles: [hook] }
    ).finally(() => scratch.remove(hook));
    expect(run.runnerError).toBeUndefined();
    expect(run.passed).toBe(3);
    expect(run.failed).toBe(0);
    const unhandledSuite = run.suites.find((s) => s.file === unhandled)!;
    expect(unhandledSuite.status).toBe('failed');
    expect(unhandledSuite.message).toMatch(/^Unhandled Error: late boom\n/);
    expect(unhandledSuite.message).toContain('unhandled.candidate.test.ts:5');
    const hookSuite = run.suites.find((s) => s.file === hook)!;
    expect(hookSuite.status).toBe('failed');
    expect(hookSuite.message).toMatch(/^In "group": Error: teardown failed\n/);
    expect(hookSuite.tests.map((t) => t.status)).toEqual(['passed']);
  });

  it('reports no files and no error when the filter matches no test file', async () => {
    const run = await runVitest(['test/never-written.test.ts']);
    expect(run.runnerError).toBeUndefined();
    expect(run.timedOut).toBe(false);
    expect(run.suites).toEqual([]);
  });

  it('reports a config vitest cannot load as a runner error with vitest’s own message', async () => {
    const config = readFileSync(path.join(scratch.dir, 'vitest.config.ts'), 'utf8');
    await scratch.write('vitest.config.ts', `${config}\nexport const broken = ;\n`);
    let run: TestRunResult;
    try {
      run = await runVitest(['test/duration.test.ts']);
    } finally {
      await scratch.write('vitest.config.ts', config);
    }
    expect(run.timedOut).toBe(false);
    expect(run.suites).toEqual([]);
    expect(run.runnerError).toMatch(/^vitest produced no results \(exit 1\): /);
    expect(run.runnerError).toContain('vitest.config.ts');
  });

  it('shuffles the order of tests with the seed: the same seed gives the same order', async () => {
    const file = 'test/order.candidate.test.ts';
    const log = path.join(root, 'order.log');
    const source = `import { appendFileSync } from 'node:fs';
import { it } from 'vitest';

for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
  it(name, () => {
    appendFileSync(${JSON.stringify(log)}, name);
  });
}
`;
    const orderWith = async (shuffleSeed?: number): Promise<string> => {
      await rm(log, { force: true });
      const run = await runCandidate(file, source, { shuffleSeed, coverageFiles: [] });
      expect(run.passed).toBe(8);
      expect(run.coverage.files()).toEqual([]);
      return readFile(log, 'utf8');
    };
    expect(await orderWith()).toBe('abcdefgh');
    const seeded = await orderWith(7);
    expect(seeded.split('').sort().join('')).toBe('abcdefgh');
    expect(await orderWith(7)).toBe(seeded);
    const others = [seeded, await orderWith(8), await orderWith(9)];
    expect(others.some((order) => order !== 'abcdefgh')).toBe(true);
  });

  it('fails a single test that outlives testCaseTimeoutMs', async () => {
    const file = 'test/slow.candidate.test.ts';
    const run = await runCandidate(
      file,
      `import { expect, it } from 'vitest';

it('waits three seconds', async () => {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(1).toBe(1);
});

it('is quick', () => {
  expect(1).toBe(1);
});
`,
      { testCaseTimeoutMs: 500 }
    );
    expect(run.timedOut).toBe(false);
    expect(run.passed).toBe(1);
    expect(run.failed).toBe(1);
    expect(run.suites[0]!.tests.find((t) => t.status === 'failed')).toMatchObject({ title: 'waits three seconds', failureMessage: expect.stringMatching(/^Error: Test timed out in 500ms/) });
  });

  it('stops a hanging test file at the time limit, kills its whole process group, and keeps the files that finished', async () => {
    const file = 'test/hangs.candidate.test.ts';
    const quick = 'test/quick.candidate.test.ts';
    await scratch.write(quick, `import { expect, it } from 'vitest';\nimport { toSeconds } from '../src/duration.js';\n\nit('rounds', () => {\n  expect(toSeconds(1500)).toBe(2);\n});\n`);
    const pidFile = path.join(root, 'hang-pids.json');
    const limit = 8000;
    const started = Date.now();
    const run = await runCandidate(
      file,
      `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';

it('hangs', () => {
  // A grandchild in vitest's process group, as a test that starts a server would leave behind.
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(${JSON.stringify(pidFile)}, JSON.stringify([process.pid, sleeper.pid]));
  return new Promise(() => {});
}, 600000);
`,
      { timeoutMs: limit, workers: 2, extraFiles: [quick] }
    ).finally(() => scratch.remove(quick));
    const elapsed = Date.now() - started;
    expect(run.timedOut).toBe(true);
    expect(run.runnerError).toMatch(/vitest was stopped after 8 s/);
    expect(run.suites.map((s) => [s.file, s.status])).toEqual([[quick, 'passed']]);
    expect(run.passed).toBe(1);
    expect(run.durationMs).toBeGreaterThanOrEqual(limit);
    expect(elapsed).toBeLessThan(limit + 5000);

    // Both the vitest worker and the process it started are gone.
    const pids = JSON.parse(await readFile(pidFile, 'utf8')) as number[];
    expect(pids).toHaveLength(2);
    expect(await processesStillAlive(pids)).toEqual([]);
  });

  it('leaves the user repository untouched', () => {
    const after = hashTree(repoDir);
    expect([...after.keys()].sort()).toEqual([...hashesBefore.keys()].sort());
    for (const [file, hash] of hashesBefore) expect([file, after.get(file)]).toEqual([file, hash]);
  });
});

describe('the monorepo example: each workspace package with its own runner, hoisted to the root', () => {
  let mono: string;
  let monoScratch: ScratchCopy;

  beforeAll(async () => {
    const pr = await prepareExamplePullRequest(path.join(root, 'mono-repos'), 'monorepo');
    mono = pr.repoDir;
    monoScratch = await ScratchCopy.create(mono, path.join(root, 'mono-scratch'));
  });

  afterAll(async () => {
    await monoScratch?.dispose();
  });

  it('finds the packages the pull request changed and runs each package’s suite with its own runner', async () => {
    const changed = (await changedFilesFromGit(mono, 'HEAD~1', 'HEAD')).map((f) => f.filename).sort();
    expect(changed).toEqual(['packages/core/src/money.ts', 'packages/utils/src/arrays.ts']);
    const runs: Array<{ file: string; info: ProjectInfo; result: TestRunResult }> = [];
    for (const file of changed) {
      const info = detectProject(mono, file);
      // Both runners are hoisted to the root, as npm workspaces install them.
      expect(info.runnerBin).toBe(info.framework === 'jest' ? 'node_modules/jest/bin/jest.js' : 'node_modules/vitest/vitest.mjs');
      const runner = createTestRunner(info, mono);
      expect(runner.name).toBe(info.framework);
      const outputDir = path.join(root, 'mono-out', info.packageDir);
      await mkdir(outputDir, { recursive: true });
      // Runners work in the package's directory of the scratch copy, with paths relative to it.
      const inPackage = path.posix.relative(info.packageDir, file);
      const result = await runner.run({ rootDir: path.join(monoScratch.dir, info.packageDir), coverageFiles: [inPackage], timeoutMs: TIMEOUT_MS, outputDir });
      runs.push({ file: inPackage, info, result });
    }
    const [core, utils] = runs;
    expect(core!.info).toMatchObject({ packageDir: 'packages/core', framework: 'jest', moduleSystem: 'cjs' });
    expect(core!.result.runnerError).toBeUndefined();
    expect(core!.result.suites.map((s) => [s.file, s.status])).toEqual([['test/money.test.ts', 'passed']]);
    expect(core!.result.passed).toBe(3);
    // allocate(), added by the pull request, is not tested yet.
    expect(core!.result.coverage.uncoveredLines('src/money.ts')).toContain(lineIn(mono, 'packages/core/src/money.ts', 'const total = ratios.reduce'));

    expect(utils!.info).toMatchObject({ packageDir: 'packages/utils', framework: 'vitest', moduleSystem: 'esm' });
    expect(utils!.result.runnerError).toBeUndefined();
    expect(utils!.result.suites.map((s) => [s.file, s.status])).toEqual([['src/arrays.test.ts', 'passed']]);
    expect(utils!.result.passed).toBe(2);
    expect(utils!.result.coverage.files()).toEqual(['src/arrays.ts']);
    expect(utils!.result.coverage.uncoveredLines('src/arrays.ts')).toContain(lineIn(mono, 'packages/utils/src/arrays.ts', 'const accepted: T[] = []'));
  });
});

function lineIn(repo: string, file: string, needle: string): number {
  const line = readFileSync(path.join(repo, file), 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
  expect(line).toBeGreaterThan(0);
  return line;
}

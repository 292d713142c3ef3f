/**
 * The contract both test runner drivers keep, as validation relies on it: the same scenarios against the repository's
 * own jest (examples/ts-lib: CommonJS TypeScript through ts-jest, which type-checks) and its own vitest
 * (examples/vitest-lib: ESM TypeScript, vitest 4 with the istanbul provider), each example laid out as a pull request
 * and run in a scratch copy. Suites and cases with their titles, lines and messages, files that cannot run, skips, a
 * seeded shuffle, the per-case and per-run time limits, coverage of a run and of each test file, runner errors, the
 * file filter and workers must read the same from both. What only one runner does is in JestRunner.test.ts and
 * VitestRunner.test.ts.
 *
 * A runner process costs seconds (jest's type-checking most), so one run serves the scenarios that do not get in each
 * other's way: a batch of candidates that each show one thing, and a per-file coverage batch whose files the filter
 * and the "alone" comparison reuse. Each run starts the first time a test asks for it, except the ones that wait for
 * their time limit: they start first, for both runners, and run beside the others.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { JestRunner } from '../../src/validation/runners/JestRunner.js';
import type { SuiteOutcome, TestRunner, TestRunRequest, TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { VitestRunner } from '../../src/validation/runners/VitestRunner.js';
import { ScratchCopy } from '../../src/validation/ScratchCopy.js';
import { hashTree } from '../support/hashTree.js';
import { processesOfRunStillAlive } from '../support/processesGone.js';
import { sandboxFor } from '../support/sandboxFor.js';
import type { TestSandbox } from '../../src/sandbox/TestSandbox.js';

/** Colour codes start with it; runner output must reach reasons and prompts without them. */
const ESC = '\u001b[';

const TIMEOUT_MS = 120_000;

/** A source file of the example and the test code that exercises it. */
interface Target {
  source: string;
  /** Import line(s) of what the snippets below use, from a test file in test/. */
  imports: string;
  /** Statements that pass. */
  passes: string;
}

interface RunnerFixture {
  name: TestRunner['name'];
  example: 'ts-lib' | 'vitest-lib';
  /** The module tests import describe/it/expect from. */
  framework: string;
  locate(repoDir: string): TestRunner;
  /** The example's own suite, and a line of its target that the suite leaves uncovered. */
  suite: { file: string; names: string[]; target: string; uncovered: string };
  /** Whether the run's coverage lists a requested file that no test loaded (with nothing covered), or leaves it out. */
  listsUnloadedFiles: boolean;
  /** Two targets; `a.passesOther` covers lines of A that `a.passes` does not. */
  a: Target & { passesOther: string };
  b: Target;
  /** Statements that fail, and what the failure message says. */
  failing: { statements: string; message: RegExp };
  /** Files that cannot run at all, each with the head of the reason the runner gives. */
  cannotRun: Array<{ file: string; code: string; message: RegExp }>;
  /** The failure of a case that outlived testCaseTimeoutMs (500 ms). */
  caseTimeout: RegExp;
  /** The config file a syntax error is put into, and what the runner says of it. */
  config: { file: string; error: RegExp };
  /**
   * Time limit of the run whose file hangs: long enough for the file beside it to finish. jest starts a ts-jest
   * type-checker in each of its two workers first, which took over 15 s on a 2-core CI machine running the rest of
   * the suite beside it. The run waits beside the other scenarios, so a generous limit costs little.
   */
  hangLimitMs: number;
}

/** A file whose last test is cut short: a syntax error for any compiler. */
const cutShort = (framework: string): string => `import { expect, it } from '${framework}';\n\nit('is cut short', () => {\n  expect(1).toBe(1);\n`;

const FIXTURES: RunnerFixture[] = [
  {
    name: 'jest',
    example: 'ts-lib',
    framework: '@jest/globals',
    locate: (repoDir) => JestRunner.locate(repoDir),
    suite: {
      file: 'test/math.test.ts',
      names: ['clamp keeps values inside the range', 'clamp raises values below the range to min', 'sum adds all values'],
      target: 'src/math.ts',
      uncovered: 'const k = clamp(t, 0, 1)'
    },
    // strings.ts lies outside jest's roots, where jest looks for files no test loaded.
    listsUnloadedFiles: false,
    a: {
      source: 'src/strings.ts',
      imports: "import { slugify, truncate, wordCount } from '../src/strings';",
      passes: "expect(wordCount('a b c')).toBe(3);",
      passesOther: "expect(truncate('abcdefghij', 5)).toBe('abcd…');\n    expect(slugify('A b')).toBe('a-b');"
    },
    b: { source: 'src/math.ts', imports: "import { lerp } from '../src/math';", passes: 'expect(lerp(0, 10, 0.5)).toBe(5);' },
    failing: { statements: "expect(slugify('Hello World')).toBe('Hello-World');", message: /Expected: "Hello-World"/ },
    cannotRun: [
      { file: 'test/syntax.candidate.test.ts', code: cutShort('@jest/globals'), message: /TS1005: '\}' expected/ },
      // ts-jest type-checks: a type error stops the file before any test runs.
      {
        file: 'test/types.candidate.test.ts',
        code: "import { expect, it } from '@jest/globals';\nimport { slugify } from '../src/strings';\n\nit('slugifies a number', () => {\n  expect(slugify(42)).toBe('42');\n});\n",
        message: /TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/
      },
      {
        file: 'test/empty.candidate.test.ts',
        code: "import { describe } from '@jest/globals';\n\ndescribe('nothing', () => {});\n",
        message: /Your test suite must contain at least one test/
      }
    ],
    caseTimeout: /Exceeded timeout of 500 ms for a test/,
    // jest loads its config through require: the error is the parser's, without the file's name.
    config: { file: 'jest.config.js', error: /SyntaxError: Unexpected token ';'/ },
    hangLimitMs: 30_000
  },
  {
    name: 'vitest',
    example: 'vitest-lib',
    framework: 'vitest',
    locate: (repoDir) => VitestRunner.locate(repoDir),
    suite: {
      file: 'test/duration.test.ts',
      names: ['parseDuration reads combined units', 'parseDuration reads fractional seconds', 'parseDuration rejects unknown units'],
      target: 'src/duration.ts',
      uncovered: 'return Math.round(ms / 1000)'
    },
    listsUnloadedFiles: true,
    a: {
      source: 'src/lruCache.ts',
      imports: "import { LruCache } from '../src/lruCache.js';",
      passes: "const cache = new LruCache<string, number>(3);\n    cache.set('a', 1);\n    expect(cache.size).toBe(1);",
      passesOther:
        "const cache = new LruCache<string, number>(1);\n    cache.set('a', 1);\n    expect(cache.set('b', 2)).toBe('a');\n    expect(cache.get('b')).toBe(2);"
    },
    b: {
      source: 'src/duration.ts',
      imports: "import { formatDuration } from '../src/duration.js';",
      passes: "expect(formatDuration(3_900_000)).toBe('1h 5m');"
    },
    failing: { statements: "expect(new LruCache<string, number>(2).keys()).toEqual(['a']);", message: /expected \[\] to deeply equal \[ 'a' \]/ },
    cannotRun: [
      { file: 'test/syntax.candidate.test.ts', code: cutShort('vitest'), message: /PARSE_ERROR|Expected|Unexpected/ },
      // vitest does not type-check; an import that does not resolve stops the file before any test runs.
      {
        file: 'test/missing.candidate.test.ts',
        code: "import { expect, it } from 'vitest';\nimport { nope } from '../src/nope.js';\n\nit('uses nope', () => {\n  expect(nope).toBe(1);\n});\n",
        message: /Cannot find module '\.\.\/src\/nope\.js'/
      },
      {
        file: 'test/empty.candidate.test.ts',
        code: "import { describe } from 'vitest';\n\ndescribe('nothing', () => {});\n",
        message: /No test found in suite/
      }
    ],
    caseTimeout: /^Error: Test timed out in 500ms/,
    config: { file: 'vitest.config.ts', error: /vitest\.config\.ts/ },
    hangLimitMs: 15_000
  }
];

const HANG_FILES = { hangs: 'test/hangs.candidate.test.ts', meets: 'test/meets.candidate.test.ts' };

interface HangingRun {
  result: TestRunResult;
  elapsed: number;
  /** The worker that ran the hanging test, and the process it started. */
  /** As the test saw them: inside a PID namespace they mean nothing outside. */
  pids: number[];
  /** The run's marker, which every process of it carries in its environment. */
  run: string;
}

/**
 * A file that hangs, with a grandchild in the runner's process group, beside one that passes only while the other
 * runs, with two workers and the fixture's time limit. In an example and a scratch copy of its own, as it starts
 * before the other scenarios and runs beside them: it mostly waits for its limit.
 */
async function hangingRun(f: RunnerFixture, watch: { stall: boolean } = { stall: false }): Promise<HangingRun> {
  const root = realpathSync(await mkdtemp(path.join(tmpdir(), `aqe-contract-${f.name}-${watch.stall ? 'stall' : 'hang'}-`)));
  try {
    const { repoDir } = await prepareExamplePullRequest(path.join(root, 'repos'), f.example);
    const copy = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
    // Inside the copy: the sandbox lets a run write nowhere else.
    const pidFile = path.join(copy.dir, 'hang-pids.json');
    const limit = f.hangLimitMs;
    await copy.write(
      HANG_FILES.hangs,
      `import { spawn } from 'child_process';\nimport { writeFileSync } from 'fs';\nimport { it } from '${f.framework}';\n\nit('hangs', () => {\n  // A grandchild in the runner's process group, as a test that starts a server leaves behind.\n  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });\n  writeFileSync(${JSON.stringify(pidFile)}, JSON.stringify({ pids: [process.pid, sleeper.pid], run: process.env.AQE_SANDBOX_RUN }));\n  return new Promise(() => {});\n}, 600000);\n`
    );
    // In one worker it would wait in vain: it shows the two files ran at once.
    await copy.write(
      HANG_FILES.meets,
      `import { existsSync } from 'fs';\nimport { expect, it } from '${f.framework}';\n\nit('meets the hanging file', async () => {\n  const deadline = Date.now() + ${limit};\n  while (!existsSync(${JSON.stringify(pidFile)}) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));\n  expect(existsSync(${JSON.stringify(pidFile)})).toBe(true);\n}, ${limit * 2});\n`
    );
    const outputDir = path.join(root, 'out');
    await mkdir(outputDir);
    const started = Date.now();
    const sandbox = await sandboxFor(copy, repoDir);
    const result = await f.locate(repoDir).run({
      sandbox,
      code: 'candidates',
      label: 'hang',
      rootDir: copy.dir,
      testFiles: [HANG_FILES.hangs, HANG_FILES.meets],
      coverageFiles: [],
      // Watched for stalls, the run has room to show it ended long before its own limit.
      ...(watch.stall ? { timeoutMs: limit * 4, stallMs: limit } : { timeoutMs: limit }),
      outputDir,
      workers: 2
    });
    const elapsed = Date.now() - started;
    const written = await readFile(pidFile, 'utf8').catch(() => {
      throw new Error(
        `The hanging test never started within ${limit / 1000} s (raise hangLimitMs on a slower machine); the run reported ${JSON.stringify(result)}`
      );
    });
    const { pids, run } = JSON.parse(written) as { pids: number[]; run: string };
    await copy.dispose();
    return { result, elapsed, pids, run };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const hangingRuns = new Map<string, Promise<HangingRun>>();
/** The same files again, after the first run (not beside it, which would slow both), watched for a stall. */
const stalledRuns = new Map<string, Promise<HangingRun>>();
beforeAll(() => {
  for (const f of FIXTURES) {
    const hang = hangingRun(f);
    const stall = hang.catch(() => undefined).then(() => hangingRun(f, { stall: true }));
    // The fixture's own tests report a failure.
    hang.catch(() => undefined);
    stall.catch(() => undefined);
    hangingRuns.set(f.name, hang);
    stalledRuns.set(f.name, stall);
  }
});
afterAll(async () => {
  await Promise.allSettled([...hangingRuns.values(), ...stalledRuns.values()]);
});

/** 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const line = text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  expect(line).toBeGreaterThan(0);
  return line;
}

function suiteOf(run: TestRunResult, file: string): SuiteOutcome {
  const suite = run.suites.find((s) => s.file === file);
  if (!suite)
    throw new Error(`No suite for ${file} in a run that reported ${JSON.stringify(run.suites.map((s) => s.file))} (runnerError: ${run.runnerError ?? 'none'})`);
  return suite;
}

/** The run's first result for one request, shared by the tests that read it, started by whichever asks first. */
function once<T>(task: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= task());
}

describe.each(FIXTURES)('the $name driver', (f) => {
  let root: string;
  let repoDir: string;
  let scratch: ScratchCopy;
  let runner: TestRunner;
  let sandbox: TestSandbox;
  let hashesBefore: Map<string, string>;
  let outputs = 0;

  beforeAll(async () => {
    root = realpathSync(await mkdtemp(path.join(tmpdir(), `aqe-contract-${f.name}-`)));
    ({ repoDir } = await prepareExamplePullRequest(path.join(root, 'repos'), f.example));
    hashesBefore = hashTree(repoDir);
    runner = f.locate(repoDir);
    scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
    sandbox = await sandboxFor(scratch, repoDir);
  });

  afterAll(async () => {
    await scratch?.dispose();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function run(
    request: Omit<TestRunRequest, 'rootDir' | 'outputDir' | 'timeoutMs' | 'sandbox' | 'code' | 'label'> & Partial<TestRunRequest>
  ): Promise<TestRunResult> {
    const outputDir = path.join(root, 'out', String(outputs++));
    await mkdir(outputDir, { recursive: true });
    return runner.run({ sandbox, code: 'candidates', label: `run-${outputs}`, rootDir: scratch.dir, timeoutMs: TIMEOUT_MS, outputDir, ...request });
  }

  /** Writes the files into the scratch copy for the length of `task`. */
  async function withFiles<T>(files: Record<string, string>, task: () => Promise<T>): Promise<T> {
    for (const [file, code] of Object.entries(files)) await scratch.write(file, code);
    try {
      return await task();
    } finally {
      for (const file of Object.keys(files)) await scratch.remove(file);
    }
  }

  const header = (target: Target): string => `import { describe, expect, it } from '${f.framework}';\n${target.imports}\n`;

  /** A file of eight tests that log their names in the order they run. */
  const orderFile = (log: string): string =>
    `import { appendFileSync } from 'fs';\nimport { it } from '${f.framework}';\n\nfor (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {\n  it(name, () => {\n    appendFileSync(${JSON.stringify(path.join(scratch.dir, log))}, name);\n  });\n}\n`;
  const orderOf = (log: string): string => readFileSync(path.join(scratch.dir, log), 'utf8');

  const baseline = once(() => run({ coverageFiles: [f.suite.target, f.a.source] }));

  describe('the repository suite (no files named)', () => {
    it('runs every test file with its cases, titles and lines, and coverage of the requested files only', async () => {
      const result = await baseline();
      expect(result.runnerError).toBeUndefined();
      expect(result.timedOut).toBe(false);
      expect([result.passed, result.failed]).toEqual([3, 0]);
      expect(result.suites.map((s) => [s.file, s.status, s.message])).toEqual([[f.suite.file, 'passed', '']]);
      const tests = result.suites[0]!.tests;
      expect(tests.map((t) => t.name).sort()).toEqual(f.suite.names);
      const suiteText = readFileSync(path.join(repoDir, f.suite.file), 'utf8');
      for (const t of tests) {
        expect(t).toEqual({
          name: [...t.ancestors, t.title].join(' '),
          title: t.title,
          ancestors: [t.name.split(' ')[0]],
          status: 'passed',
          failureMessage: '',
          line: lineOf(suiteText, `it('${t.title}'`)
        });
      }
      expect(result.durationMs).toBeGreaterThan(0);

      // Keys are repo-relative (the run happened in the scratch copy), limited to the files asked for.
      expect(result.coverage.files().every((file) => [f.suite.target, f.a.source].includes(file))).toBe(true);
      const target = result.coverage.counts(f.suite.target)!;
      expect(target.coveredLines).toBeGreaterThan(0);
      expect(target.coveredLines).toBeLessThan(target.totalLines);
      expect(result.coverage.uncoveredLines(f.suite.target)).toContain(lineOf(readFileSync(path.join(repoDir, f.suite.target), 'utf8'), f.suite.uncovered));
      // jest lists a requested file no test loaded with zero hits; vitest leaves it out.
      expect(result.coverage.counts(f.a.source)?.coveredLines).toBe(f.listsUnloadedFiles ? 0 : undefined);
      expect(result.coverageByTestFile).toBeUndefined();
    });
  });

  describe('a batch of candidates, each showing one outcome', () => {
    const files = {
      passing: 'test/passing.candidate.test.ts',
      failing: 'test/failing.candidate.test.ts',
      skips: 'test/skips.candidate.test.ts',
      slow: 'test/slow.candidate.test.ts',
      order: 'test/order.candidate.test.ts'
    };
    const failingCode = (): string =>
      `${header(f.a)}\ndescribe('outer', () => {\n  describe('inner', () => {\n    it('fails', () => {\n      ${f.failing.statements}\n    });\n  });\n  it('passes', () => {\n    ${f.a.passes}\n  });\n});\n`;
    const batch = once(() =>
      withFiles(
        {
          // Loads both targets; only A is measured.
          [files.passing]: `${header(f.a)}${f.b.imports}\n\nit('uses both targets', () => {\n  ${f.a.passes}\n  ${f.b.passes}\n});\n`,
          [files.failing]: failingCode(),
          [files.skips]: `import { expect, it } from '${f.framework}';\n\nit('runs', () => {\n  expect(1).toBe(1);\n});\nit.skip('is skipped', () => {\n  expect(1).toBe(2);\n});\nit.todo('is still to write');\n`,
          [files.slow]: `import { expect, it } from '${f.framework}';\n\nit('waits two seconds', async () => {\n  await new Promise((resolve) => setTimeout(resolve, 2000));\n});\n\nit('is quick', () => {\n  expect(1).toBe(1);\n});\n`,
          [files.order]: orderFile('order-1.log'),
          ...Object.fromEntries(f.cannotRun.map((c) => [c.file, c.code]))
        },
        () =>
          run({
            testFiles: [...Object.values(files), ...f.cannotRun.map((c) => c.file)],
            coverageFiles: [f.a.source],
            shuffleSeed: 7,
            testCaseTimeoutMs: 500
          })
      )
    );

    it('reports every file named, and no runner error', async () => {
      const result = await batch();
      expect(result.runnerError).toBeUndefined();
      expect(result.timedOut).toBe(false);
      expect(result.suites.map((s) => s.file).sort()).toEqual([...Object.values(files), ...f.cannotRun.map((c) => c.file)].sort());
      // passing 1, failing 1 of 2, skips 1 of 3, slow 1 of 2, order 8
      expect([result.passed, result.failed]).toEqual([12, 2]);
    });

    it('passes a passing file, with coverage of the requested file only, although it loads another', async () => {
      const result = await batch();
      expect(suiteOf(result, files.passing)).toMatchObject({
        status: 'passed',
        message: '',
        tests: [expect.objectContaining({ title: 'uses both targets', status: 'passed', ancestors: [] })]
      });
      expect(result.coverage.files()).toEqual([f.a.source]);
      expect(result.coverage.counts(f.a.source)!.coveredLines).toBeGreaterThan(0);
    });

    it('fails a failing case with its nested titles, the assertion message and its line, and keeps the passing one', async () => {
      const suite = suiteOf(await batch(), files.failing);
      expect(suite.status).toBe('failed');
      const cases = [...suite.tests].sort((x, y) => x.name.localeCompare(y.name));
      const code = failingCode();
      expect(cases.map(({ name, title, ancestors, status, line }) => ({ name, title, ancestors, status, line }))).toEqual([
        { name: 'outer inner fails', title: 'fails', ancestors: ['outer', 'inner'], status: 'failed', line: lineOf(code, "it('fails'") },
        { name: 'outer passes', title: 'passes', ancestors: ['outer'], status: 'passed', line: lineOf(code, "it('passes'") }
      ]);
      expect(cases[0]!.failureMessage).toMatch(f.failing.message);
      expect(cases[0]!.failureMessage).not.toContain(ESC);
      expect(cases[1]!.failureMessage).toBe('');
    });

    it('reports a file that cannot compile, load or declares no test as an error with the reason at its head', async () => {
      const result = await batch();
      for (const { file, message } of f.cannotRun) {
        const suite = suiteOf(result, file);
        expect([file, suite.status, suite.tests]).toEqual([file, 'error', []]);
        expect(suite.message).toMatch(message);
        expect(suite.message).not.toContain(ESC);
      }
    });

    it('reports skipped and to-do cases as skipped, counted as neither passed nor failed', async () => {
      const suite = suiteOf(await batch(), files.skips);
      expect(suite.status).toBe('passed');
      expect(suite.tests.map((t) => [t.title, t.status]).sort()).toEqual([
        ['is skipped', 'skipped'],
        ['is still to write', 'skipped'],
        ['runs', 'passed']
      ]);
    });

    it('fails a case that outlives testCaseTimeoutMs, and runs the others', async () => {
      const suite = suiteOf(await batch(), files.slow);
      expect(suite.status).toBe('failed');
      expect(suite.tests.find((t) => t.title === 'is quick')!.status).toBe('passed');
      const slow = suite.tests.find((t) => t.title === 'waits two seconds')!;
      expect(slow.status).toBe('failed');
      expect(slow.failureMessage).toMatch(f.caseTimeout);
    });

    it('shuffles the order of cases with the seed', async () => {
      await batch();
      const order = orderOf('order-1.log');
      expect(order.split('').sort().join('')).toBe('abcdefgh');
      expect(order).not.toBe('abcdefgh');
    });
  });

  describe('a batch that reports coverage per test file, then one of its files alone', () => {
    const own = 'test/own.candidate.test.ts';
    const other = 'test/other.candidate.test.ts';
    const seeded = 'test/seeded.candidate.test.ts';
    const plain = 'test/plain.candidate.test.ts';
    const ownCode = (): string => `${header(f.a)}\nit('covers a little', () => {\n  ${f.a.passes}\n});\n`;
    const runs = once(() =>
      withFiles(
        {
          [own]: ownCode(),
          // Loads A (other lines of it) and B.
          [other]: `${header(f.a)}${f.b.imports}\n\nit('covers more', () => {\n  ${f.a.passesOther}\n  ${f.b.passes}\n});\n`,
          [seeded]: orderFile('order-2.log'),
          [plain]: orderFile('order-3.log')
        },
        async () => {
          const batch = await run({
            testFiles: [own, other, seeded],
            coverageFiles: [f.a.source, f.b.source],
            perFileCoverage: true,
            shuffleSeed: 7,
            workers: 1
          });
          // The same copy reached through a link: results are still keyed by repo-relative paths.
          const linked = path.join(root, 'linked-scratch');
          await symlink(scratch.dir, linked, 'dir');
          const alone = await run({ rootDir: linked, testFiles: [own, plain], coverageFiles: [f.a.source, f.b.source] });
          return { batch, alone };
        }
      )
    );

    it('keys each test file’s own coverage by its path, with only the sources it loaded', async () => {
      const { batch } = await runs();
      expect(batch.runnerError).toBeUndefined();
      expect(batch.suites.map((s) => [s.file, s.status]).sort()).toEqual([
        [other, 'passed'],
        [own, 'passed'],
        [seeded, 'passed']
      ]);
      const byFile = batch.coverageByTestFile!;
      // A file that loaded no measured source has no entry, as the runner hands over nothing for it.
      expect([...byFile.keys()].sort()).toEqual([other, own]);
      expect(byFile.get(own)!.files()).toEqual([f.a.source]);
      expect(byFile.get(other)!.files().sort()).toEqual([f.a.source, f.b.source].sort());
      // Two files covered A, each its own lines: one file's share is less than the run's.
      expect(byFile.get(own)!.counts(f.a.source)!.coveredLines).toBeLessThan(batch.coverage.counts(f.a.source)!.coveredLines);
      expect(byFile.get(own)!.merge(byFile.get(other)!).counts(f.a.source)).toEqual(batch.coverage.counts(f.a.source));
    });

    it('gives each file the coverage it reaches in a run of its own, line for line', async () => {
      const { batch, alone } = await runs();
      const ownShare = batch.coverageByTestFile!.get(own)!;
      expect(alone.runnerError).toBeUndefined();
      expect(ownShare.counts(f.a.source)).toEqual(alone.coverage.counts(f.a.source));
      expect(ownShare.uncoveredLines(f.a.source)).toEqual(alone.coverage.uncoveredLines(f.a.source));
      // Without the request, no per-file map.
      expect(alone.coverageByTestFile).toBeUndefined();
    });

    it('runs only the files named, although others lie beside them', async () => {
      const { alone } = await runs();
      expect(alone.suites.map((s) => [s.file, s.status]).sort()).toEqual([
        [own, 'passed'],
        [plain, 'passed']
      ]);
      expect([alone.passed, alone.failed]).toEqual([9, 0]);
    });

    it('keeps the declared order without a seed, and gives the same order for the same seed in another process', async () => {
      await runs();
      expect(orderOf('order-3.log')).toBe('abcdefgh');
      expect(orderOf('order-2.log')).toBe(orderOf('order-1.log'));
    });
  });

  it('stops a hanging file at the run’s time limit with its process group, keeping the file that ran beside it with two workers', async () => {
    const { result, elapsed, pids, run } = await hangingRuns.get(f.name)!;
    const limit = f.hangLimitMs;
    expect(result.timedOut).toBe(true);
    expect(result.runnerError).toBe(`${f.name} was stopped after ${limit / 1000} s (test-timeout)`);
    expect(result.suites.map((s) => [s.file, s.status])).toEqual([[HANG_FILES.meets, 'passed']]);
    expect([result.passed, result.failed]).toEqual([1, 0]);
    expect(result.durationMs).toBeGreaterThanOrEqual(limit);
    expect(elapsed).toBeLessThan(limit + 5000);
    // Both the worker that ran the hanging test and the process it started are gone.
    expect(pids).toHaveLength(2);
    expect(run).toMatch(/^\d+-\d+-[0-9a-f]{12}$/);
    expect(await processesOfRunStillAlive(run)).toEqual([]);
  });

  it('stops a run once no file has finished for its stall limit, long before its own limit, keeping the file that ended', async () => {
    const { result, elapsed, run } = await stalledRuns.get(f.name)!;
    const limit = f.hangLimitMs;
    expect(result.timedOut).toBe(true);
    expect(result.runnerError).toBe(`${f.name} was stopped when no test file had finished for ${limit / 1000} s (test-timeout)`);
    expect(result.suites.map((s) => [s.file, s.status])).toEqual([[HANG_FILES.meets, 'passed']]);
    // The passing file ended within one limit, and the stall a limit after it: well short of the run's 4.
    expect(elapsed).toBeLessThan(limit * 3);
    expect(await processesOfRunStillAlive(run)).toEqual([]);
  });

  it('reports a config the runner cannot load as a runner error with the runner’s own message, and no results', async () => {
    const config = readFileSync(path.join(scratch.dir, f.config.file), 'utf8');
    await scratch.write(f.config.file, `${config}\nexport const broken = ;\n`);
    let result: TestRunResult;
    try {
      result = await run({ testFiles: [f.suite.file], coverageFiles: [] });
    } finally {
      await scratch.write(f.config.file, config);
    }
    expect(result.timedOut).toBe(false);
    expect(result.suites).toEqual([]);
    expect(result.runnerError).toMatch(new RegExp(`^${f.name} produced no results \\(exit 1\\): `));
    expect(result.runnerError).toMatch(f.config.error);
  });

  it('leaves the user repository untouched', () => {
    const after = hashTree(repoDir);
    expect([...after.keys()].sort()).toEqual([...hashesBefore.keys()].sort());
    for (const [file, hash] of hashesBefore) expect([file, after.get(file)]).toEqual([file, hash]);
  });
});

/**
 * What only the vitest driver does, on the vitest example (examples/vitest-lib laid out as a pull request: ESM
 * TypeScript, vitest 4 with the istanbul coverage provider). What both drivers do alike is in
 * testRunnerContract.test.ts; vitest 5 runs in vitestVersions.test.ts.
 *
 * The locate tests use small node_modules layouts of their own, to show which installs are found, which versions and
 * providers get which capabilities, and what the user is told when something is missing. The last part lays out the
 * monorepo example (npm workspaces: a jest package and a vitest package, runners hoisted to the root) and drives each
 * package through detectProject and createTestRunner.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { detectProject, type ProjectInfo } from '../../src/repo/detectProject.js';
import { changedFilesFromGit } from '../../src/repo/git.js';
import { createTestRunner } from '../../src/validation/runners/createTestRunner.js';
import { TestRunnerNotFoundError } from '../../src/validation/runners/TestRunnerNotFoundError.js';
import { ScratchCopy } from '../../src/validation/ScratchCopy.js';
import type { TestSandbox } from '../../src/sandbox/TestSandbox.js';
import { sandboxFor } from '../support/sandboxFor.js';
import type { TestRunRequest, TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { VitestRunner } from '../../src/validation/runners/VitestRunner.js';
import { hashTree } from '../support/hashTree.js';

const TIMEOUT_MS = 120_000;
const COVERAGE_FILES = ['src/duration.ts', 'src/lruCache.ts'];

let root: string;
let repoDir: string;
let scratch: ScratchCopy;
let runner: VitestRunner;
let sandbox: TestSandbox | undefined;
let hashesBefore: Map<string, string>;

let outputs = 0;
async function runVitest(testFiles?: string[], extra: Partial<TestRunRequest> = {}): Promise<TestRunResult> {
  const outputDir = path.join(root, 'out', String(outputs++));
  await mkdir(outputDir, { recursive: true });
  sandbox ??= await sandboxFor(scratch, repoDir);
  return runner.run({
    sandbox,
    code: 'candidates',
    label: `run-${outputs}`,
    rootDir: scratch.dir,
    testFiles,
    coverageFiles: COVERAGE_FILES,
    timeoutMs: TIMEOUT_MS,
    outputDir,
    ...extra
  });
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

beforeAll(async () => {
  root = realpathSync(await mkdtemp(path.join(tmpdir(), 'aqe-vitest-runner-')));
  ({ repoDir } = await prepareExamplePullRequest(path.join(root, 'repos'), 'vitest-lib'));
  hashesBefore = hashTree(repoDir);
  runner = VitestRunner.locate(repoDir);
  scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
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
      const result = await runner.run({
        sandbox: await sandboxFor(monoScratch, mono),
        code: 'suite',
        label: 'baseline',
        rootDir: path.join(monoScratch.dir, info.packageDir),
        coverageFiles: [inPackage],
        timeoutMs: TIMEOUT_MS,
        outputDir
      });
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
  const line =
    readFileSync(path.join(repo, file), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle)) + 1;
  expect(line).toBeGreaterThan(0);
  return line;
}

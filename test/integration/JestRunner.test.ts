/**
 * What only the jest driver does, and the scratch copy validation runs in, on the jest example (examples/ts-lib laid
 * out as a pull request). What both drivers do alike is in testRunnerContract.test.ts.
 *
 * The ESM part uses a small repository of its own: plain ESM JavaScript with no transform, which jest runs only
 * with Node's --experimental-vm-modules, so the flag its test script sets must reach the jest aqe starts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { packageRoot } from '../../src/core/packageRoot.js';
import { JestRunner } from '../../src/validation/runners/JestRunner.js';
import type { TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { TestRunnerNotFoundError } from '../../src/validation/runners/TestRunnerNotFoundError.js';
import { ScratchCopy } from '../../src/validation/ScratchCopy.js';
import { sandboxFor } from '../support/sandboxFor.js';

let root: string;
let repoDir: string;
let scratch: ScratchCopy;

beforeAll(async () => {
  root = realpathSync(await mkdtemp(path.join(tmpdir(), 'aqe-jest-runner-')));
  ({ repoDir } = await prepareExamplePullRequest(path.join(root, 'repos')));
  // The user's working tree also holds an untracked file and ignored output; only the former belongs in the copy.
  await writeFile(path.join(repoDir, 'NOTES.md'), 'untracked but not ignored\n');
  await mkdir(path.join(repoDir, 'coverage'), { recursive: true });
  await writeFile(path.join(repoDir, 'coverage', 'stale.json'), '{}\n');
  scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
});

afterAll(async () => {
  await scratch?.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('ScratchCopy', () => {
  it('copies tracked and untracked files, not ignored ones, and links node_modules', () => {
    expect(path.dirname(scratch.dir)).toBe(path.join(root, 'scratch'));
    expect(path.basename(scratch.dir)).toMatch(/^aqe-scratch-/);
    for (const file of [
      'package.json',
      'jest.config.js',
      'tsconfig.json',
      '.gitignore',
      'src/math.ts',
      'src/strings.ts',
      'src/index.ts',
      'test/math.test.ts'
    ]) {
      expect(readFileSync(path.join(scratch.dir, file), 'utf8')).toBe(readFileSync(path.join(repoDir, file), 'utf8'));
    }
    // The PR's version of the files, not the base commit's.
    expect(readFileSync(path.join(scratch.dir, 'src/math.ts'), 'utf8')).toContain('export function lerp');
    expect(readFileSync(path.join(scratch.dir, 'NOTES.md'), 'utf8')).toBe('untracked but not ignored\n');
    expect(existsSync(path.join(scratch.dir, 'coverage'))).toBe(false);
    expect(existsSync(path.join(scratch.dir, '.git'))).toBe(false);

    // node_modules of its own, each entry a link to the repository's, so caches tools create there stay in the copy.
    const modules = path.join(scratch.dir, 'node_modules');
    expect(lstatSync(modules).isDirectory()).toBe(true);
    expect(lstatSync(path.join(modules, 'jest')).isSymbolicLink()).toBe(true);
    expect(realpathSync(path.join(modules, 'jest'))).toBe(realpathSync(path.join(repoDir, 'node_modules', 'jest')));
    expect(existsSync(path.join(modules, 'jest', 'bin', 'jest.js'))).toBe(true);
    expect(readdirSync(modules).sort()).toEqual(
      readdirSync(path.join(repoDir, 'node_modules'))
        .filter((e) => !['.cache', '.vite', '.vite-temp'].includes(e))
        .sort()
    );
    expect(scratch.linkedDirs).toEqual([realpathSync(path.join(repoDir, 'node_modules'))]);
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

  it('shuffles only with a jest that has --randomize (29.2, prereleases included)', async () => {
    const shuffles = async (version: string): Promise<boolean> => {
      const repo = path.join(root, `jest-${version}`);
      await mkdir(path.join(repo, 'node_modules', 'jest', 'bin'), { recursive: true });
      await writeFile(path.join(repo, 'node_modules', 'jest', 'package.json'), JSON.stringify({ name: 'jest', version }));
      await writeFile(path.join(repo, 'node_modules', 'jest', 'bin', 'jest.js'), '');
      const { capabilities } = JestRunner.locate(repo);
      expect(capabilities.perFileCoverage).toBe(true);
      return capabilities.shuffle;
    };
    expect(await shuffles('29.1.2')).toBe(false);
    expect(await shuffles('29.2.0-beta.1')).toBe(true);
    expect(await shuffles('30.0.0')).toBe(true);
  });
});

describe('JestRunner with an ESM repository', () => {
  const DOUBLE = "export function double(n) {\n  if (n < 0) {\n    throw new RangeError('negative');\n  }\n  return n * 2;\n}\n";
  const TEST =
    "import { expect, it } from '@jest/globals';\nimport { double } from '../src/double.js';\n\nit('doubles', () => {\n  expect(double(2)).toBe(4);\n  expect(import.meta.url).toMatch(/^file:/);\n});\n";

  /** A package whose tests are ESM, with the given test script; node_modules is this package's (it has jest). */
  async function esmRepo(name: string, testScript: string): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'test'), { recursive: true });
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({ name, private: true, type: 'module', scripts: { test: testScript }, jest: { testEnvironment: 'node', transform: {} } })
    );
    await writeFile(path.join(dir, 'src', 'double.js'), DOUBLE);
    await writeFile(path.join(dir, 'test', 'double.test.js'), TEST);
    await symlink(path.join(packageRoot(), 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    return dir;
  }

  let withFlag: string;
  let without: string;
  beforeAll(async () => {
    withFlag = await esmRepo('esm-flag', 'NODE_OPTIONS=--experimental-vm-modules jest');
    without = await esmRepo('esm-plain', 'jest');
  });

  async function runIn(dir: string, testFiles: string[]): Promise<TestRunResult> {
    const outputDir = path.join(dir, '..', `${path.basename(dir)}-out`);
    await mkdir(outputDir, { recursive: true });
    const sandbox = await sandboxFor({ dir, linkedDirs: [] }, dir);
    return JestRunner.locate(dir).run({
      sandbox,
      code: 'candidates',
      label: 'esm',
      rootDir: dir,
      testFiles,
      coverageFiles: ['src/double.js'],
      timeoutMs: 120_000,
      outputDir
    });
  }

  it('passes on the --experimental-vm-modules its test script sets, with coverage, whatever NODE_OPTIONS aqe runs under', async () => {
    // This suite itself runs with NODE_OPTIONS=--experimental-vm-modules; the flag must come from the test script.
    const result = await runIn(withFlag, ['test/double.test.js']);
    expect(result.runnerError).toBeUndefined();
    expect(result.suites.map((s) => [s.file, s.status])).toEqual([['test/double.test.js', 'passed']]);
    expect(result.coverage.counts('src/double.js')).toMatchObject({ coveredLines: 2, totalLines: 3 });
  });

  it('cannot load ESM tests when the test script does not set the flag, and says so', async () => {
    const result = await runIn(without, ['test/double.test.js']);
    expect(result.runnerError).toBeUndefined();
    expect(result.suites).toHaveLength(1);
    expect(result.suites[0]).toMatchObject({ file: 'test/double.test.js', status: 'error', tests: [] });
    expect(result.suites[0]!.message).toMatch(/Must use import to load ES Module/);
  });

  it('reports a named test file that does not exist as a file that could not run (vitest reports nothing for it)', async () => {
    const result = await runIn(withFlag, ['test/double.test.js', 'test/never-written.test.js']);
    expect(result.suites.map((s) => [s.file, s.status]).sort()).toEqual([
      ['test/double.test.js', 'passed'],
      ['test/never-written.test.js', 'error']
    ]);
    expect(result.suites.find((s) => s.status === 'error')!.message).toMatch(/ENOENT: no such file or directory/);
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

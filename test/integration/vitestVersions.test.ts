/**
 * The vitest example's pull request validated by each vitest major that aqe measures per-file coverage with: vitest 4
 * (this package's own devDependency) and vitest 5 (test/fixtures/vitest5, installed by .ci/run; it needs Node 22 or
 * later). vitest 5 changed what the istanbul provider's per-file hand-over holds (the name of a file the worker wrote
 * instead of the counters themselves), which once made every correct test read as "never loaded". Both majors must
 * measure each test file's own coverage in one process, and so accept and reject the same candidates for the same
 * reasons, with the same coverage. A hand-over that is not istanbul data makes validation measure each candidate alone,
 * and a passing test whose imported target gets no coverage at all is reported as a measurement failure.
 *
 * Under a Node older than 22 the vitest 5 part cannot run; it is skipped with a line saying why (CI runs on Node 24).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { packageRoot } from '../../src/core/packageRoot.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import type { CandidateTest } from '../../src/validation/CandidateTest.js';
import { ScratchCopy } from '../../src/validation/ScratchCopy.js';
import { sandboxFor } from '../support/sandboxFor.js';
import type { TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { validateCandidates } from '../../src/validation/validateCandidates.js';
import { VitestRunner } from '../../src/validation/runners/VitestRunner.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const TIMEOUT_MS = 120_000;

interface Install {
  major: 4 | 5;
  /** The node_modules the example repository is given. */
  nodeModules: string;
  /** Why this install cannot run here; undefined when it can. */
  cannotRun?: string;
}

const INSTALLS: Install[] = [
  { major: 4, nodeModules: path.join(packageRoot(), 'node_modules') },
  {
    major: 5,
    nodeModules: path.join(packageRoot(), 'test', 'fixtures', 'vitest5', 'node_modules'),
    ...(NODE_MAJOR < 22
      ? { cannotRun: `vitest 5 needs Node 22 or later and this is Node ${process.versions.node}; run the suite under Node 24 as .ci/run does` }
      : {})
  }
];

const fence = (code: string): string => `\`\`\`ts\n${code}\`\`\`\n`;

/** A correct test of each changed file: each covers changed lines the suite does not. */
const CORRECT = {
  'src/duration.ts': fence(`import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/duration.js';

describe('formatDuration', () => {
  it('writes hours and minutes', () => {
    expect(formatDuration(3_900_000)).toBe('1h 5m');
  });

  it('keeps milliseconds under a second', () => {
    expect(formatDuration(250)).toBe('250ms');
  });

  it('rejects negative durations', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
  });
});
`),
  'src/lruCache.ts': fence(`import { describe, expect, it } from 'vitest';
import { LruCache } from '../src/lruCache';

describe('LruCache', () => {
  it('evicts the least recently used key', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    expect(cache.set('c', 3)).toBe('b');
    expect(cache.keys()).toEqual(['a', 'c']);
  });
});
`)
};

/** Tests that pass but add nothing: one only re-reads unchanged code, one never loads its target. */
const WITHOUT_GAIN = {
  'src/duration.ts': fence(`import { expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';

it('reads whole hours', () => {
  expect(parseDuration('2h')).toBe(7_200_000);
});
`),
  'src/lruCache.ts': fence(`import { expect, it } from 'vitest';
import { toSeconds } from '../src/duration.js';

it('rounds to whole seconds', () => {
  expect(toSeconds(1500)).toBe(2);
});
`)
};

/**
 * A passing test that replaces the coverage provider's store in its worker with something that is not a coverage map:
 * what reaches the hand-over is then not istanbul data, as with a vitest whose hand-over changed shape.
 */
const GARBLES_HAND_OVER = `import { afterAll, expect, it } from 'vitest';

afterAll(() => {
  (globalThis as Record<string, unknown>).__VITEST_COVERAGE__ = { 'src/duration.ts': 'not counters' };
});

it('passes', () => {
  expect(1).toBe(1);
});
`;

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** The example laid out as a pull request, with the install's node_modules linked in. */
async function exampleWith(install: Install, root: string): Promise<Awaited<ReturnType<typeof prepareExamplePullRequest>>> {
  if (!existsSync(path.join(install.nodeModules, 'vitest', 'package.json'))) {
    throw new Error(
      `vitest ${install.major} is not installed in ${install.nodeModules}: run \`npm ci --prefix test/fixtures/vitest5 --no-audit --no-fund\` (as .ci/run does) first.`
    );
  }
  const pr = await prepareExamplePullRequest(path.join(root, 'repos'), 'vitest-lib');
  await rm(path.join(pr.repoDir, 'node_modules'));
  await symlink(install.nodeModules, path.join(pr.repoDir, 'node_modules'), 'dir');
  return pr;
}

/** The pipeline on the example, fed the answers (replay file, keyed by target); one result per install and answer set. */
const pipelineRuns = new Map<string, Promise<RunReport>>();
function pipeline(install: Install, answers: Record<string, string>): Promise<RunReport> {
  const key = `${install.major}:${JSON.stringify(answers)}`;
  if (!pipelineRuns.has(key)) pipelineRuns.set(key, runExample(install, answers));
  return pipelineRuns.get(key)!;
}

async function runExample(install: Install, answers: Record<string, string>, prepare?: (repoDir: string) => Promise<void>): Promise<RunReport> {
  const root = realpathSync(await mkdtemp(path.join(os.tmpdir(), `aqe-vitest${install.major}-`)));
  roots.push(root);
  const pr = await exampleWith(install, root);
  await prepare?.(pr.repoDir);
  return runPipelineOnReplay({ ...pr, root, answers, repository: 'examples/vitest-lib', inputs: { 'repeat-runs': '2', 'max-repairs': '0' } });
}

function verdicts(report: RunReport): Array<[string, string, string | undefined, string | undefined]> {
  return report.candidates.map((c) => [c.targetFile, c.status, c.rejection?.stage, c.rejection?.reason]);
}

for (const install of INSTALLS) {
  const run = install.cannotRun === undefined ? describe : describe.skip;
  if (install.cannotRun !== undefined) console.warn(`Skipping the vitest ${install.major} tests of vitestVersions.test.ts: ${install.cannotRun}.`);

  run(`vitest ${install.major}`, () => {
    it('is the install it claims to be, and measures coverage per test file with the istanbul provider', async () => {
      const root = realpathSync(await mkdtemp(path.join(os.tmpdir(), `aqe-vitest${install.major}-locate-`)));
      roots.push(root);
      const { repoDir } = await exampleWith(install, root);
      const runner = VitestRunner.locate(repoDir);
      expect(runner.version.split('.')[0]).toBe(String(install.major));
      expect(runner.coverageProvider).toBe('istanbul');
      expect(runner.capabilities).toEqual({ perFileCoverage: true, shuffle: true });
    });

    it('hands over each test file’s own coverage in one process, equal to a run of that file alone', async () => {
      const root = realpathSync(await mkdtemp(path.join(os.tmpdir(), `aqe-vitest${install.major}-runner-`)));
      roots.push(root);
      const { repoDir } = await exampleWith(install, root);
      const runner = VitestRunner.locate(repoDir);
      const scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
      let outputs = 0;
      const runVitest = async (testFiles: string[], perFileCoverage: boolean): Promise<TestRunResult> => {
        const outputDir = path.join(root, 'out', String(outputs++));
        await mkdir(outputDir, { recursive: true });
        return runner.run({
          sandbox: await sandboxFor(scratch, repoDir),
          code: 'candidates',
          label: 'check',
          rootDir: scratch.dir,
          testFiles,
          coverageFiles: ['src/duration.ts', 'src/lruCache.ts'],
          timeoutMs: TIMEOUT_MS,
          outputDir,
          perFileCoverage,
          workers: 2
        });
      };
      try {
        await scratch.write('test/cache.candidate.test.ts', extractCode(CORRECT['src/lruCache.ts']));
        await scratch.write('test/format.candidate.test.ts', extractCode(CORRECT['src/duration.ts']));
        const batch = await runVitest(['test/cache.candidate.test.ts', 'test/format.candidate.test.ts'], true);
        expect(batch.runnerError).toBeUndefined();
        expect(batch.passed).toBe(4);
        expect([...batch.coverageByTestFile!.keys()].sort()).toEqual(['test/cache.candidate.test.ts', 'test/format.candidate.test.ts']);
        const cacheOwn = batch.coverageByTestFile!.get('test/cache.candidate.test.ts')!;
        expect(cacheOwn.files()).toEqual(['src/lruCache.ts']);
        expect(cacheOwn.counts('src/lruCache.ts')!.coveredLines).toBeGreaterThan(0);
        const alone = await runVitest(['test/cache.candidate.test.ts'], false);
        expect(cacheOwn.counts('src/lruCache.ts')).toEqual(alone.coverage.counts('src/lruCache.ts'));
        expect(cacheOwn.uncoveredLines('src/lruCache.ts')).toEqual(alone.coverage.uncoveredLines('src/lruCache.ts'));
        expect(batch.coverageByTestFile!.get('test/format.candidate.test.ts')!.files()).toEqual(['src/duration.ts']);
      } finally {
        await scratch.dispose();
      }
    });

    it('gives no per-file coverage, rather than empty coverage, when a hand-over is not istanbul data', async () => {
      const root = realpathSync(await mkdtemp(path.join(os.tmpdir(), `aqe-vitest${install.major}-garbled-`)));
      roots.push(root);
      const { repoDir } = await exampleWith(install, root);
      const runner = VitestRunner.locate(repoDir);
      const scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
      try {
        await scratch.write('test/format.candidate.test.ts', extractCode(CORRECT['src/duration.ts']));
        await scratch.write('test/garbled.candidate.test.ts', GARBLES_HAND_OVER);
        const outputDir = path.join(root, 'out');
        await mkdir(outputDir, { recursive: true });
        const batch = await runner.run({
          sandbox: await sandboxFor(scratch, repoDir),
          code: 'candidates',
          label: 'check',
          rootDir: scratch.dir,
          testFiles: ['test/format.candidate.test.ts', 'test/garbled.candidate.test.ts'],
          coverageFiles: ['src/duration.ts'],
          timeoutMs: TIMEOUT_MS,
          outputDir,
          perFileCoverage: true,
          workers: 2
        });
        expect(batch.suites.map((s) => [s.file, s.status]).sort()).toEqual([
          ['test/format.candidate.test.ts', 'passed'],
          ['test/garbled.candidate.test.ts', 'passed']
        ]);
        expect(batch.coverageByTestFile).toBeUndefined();
      } finally {
        await scratch.dispose();
      }
    });

    it('measures each candidate alone when a batch’s hand-over is not istanbul data, and keeps its true coverage', async () => {
      const root = realpathSync(await mkdtemp(path.join(os.tmpdir(), `aqe-vitest${install.major}-fallback-`)));
      roots.push(root);
      const { repoDir } = await exampleWith(install, root);
      const runner = VitestRunner.locate(repoDir);
      const scratch = await ScratchCopy.create(repoDir, path.join(root, 'scratch'));
      const candidate = (target: string, testFile: string, code: string): CandidateTest => ({
        target,
        testFile,
        code,
        attempts: 1,
        runs: 0,
        cases: [],
        state: 'pending'
      });
      const correct = candidate('src/duration.ts', 'test/duration.aqe.test.ts', extractCode(CORRECT['src/duration.ts']));
      const garbling = candidate('src/lruCache.ts', 'test/lruCache.aqe.test.ts', GARBLES_HAND_OVER);
      try {
        const stats = await validateCandidates(
          [correct, garbling],
          {
            runner,
            sandbox: await sandboxFor(scratch, repoDir),
            scratch,
            workRoot: path.join(root, 'work'),
            coverageFiles: ['src/duration.ts', 'src/lruCache.ts'],
            existingTests: [],
            log: () => undefined
          },
          { repeatRuns: 2, maxRepairs: 0, testTimeoutMs: TIMEOUT_MS, workers: 2, strategy: 'batched', seed: 1 }
        );
        expect([correct.state, garbling.state]).toEqual(['stable', 'stable']);
        // First run, two repetition batches, then one coverage run per candidate instead of none.
        expect(stats.processes).toBe(5);
        const outputDir = path.join(root, 'alone');
        await mkdir(outputDir, { recursive: true });
        await scratch.write(correct.testFile, correct.code);
        const alone = await runner.run({
          sandbox: await sandboxFor(scratch, repoDir),
          code: 'candidates',
          label: 'check',
          rootDir: scratch.dir,
          testFiles: [correct.testFile],
          coverageFiles: ['src/duration.ts', 'src/lruCache.ts'],
          timeoutMs: TIMEOUT_MS,
          outputDir
        });
        expect(correct.coverage!.counts('src/duration.ts')).toEqual(alone.coverage.counts('src/duration.ts'));
        expect(correct.coverage!.counts('src/duration.ts')!.coveredLines).toBeGreaterThan(0);
      } finally {
        await scratch.dispose();
      }
    });

    it('accepts a correct test of each changed file', async () => {
      const report = await pipeline(install, CORRECT);
      expect(verdicts(report)).toEqual([
        ['src/duration.ts', 'accepted', undefined, undefined],
        ['src/lruCache.ts', 'accepted', undefined, undefined]
      ]);
      expect(report.candidates.flatMap((c) => c.cases.map((k) => k.verdict))).toEqual(['kept', 'kept', 'kept', 'kept']);
      expect(report.changedLinesAfter!.coveredLines).toBeGreaterThan(report.changedLinesBefore!.coveredLines);
    });

    it('rejects tests that pass without gain, each for its own reason', async () => {
      const report = await pipeline(install, WITHOUT_GAIN);
      expect(verdicts(report)).toEqual([
        ['src/duration.ts', 'rejected', 'no-coverage-gain', 'covers no changed line or branch of src/duration.ts that the existing tests do not already cover'],
        ['src/lruCache.ts', 'rejected', 'no-coverage-gain', 'src/lruCache.ts was never loaded by the test']
      ]);
    });

    it('reports a passing test that imports its target but gets no coverage of it as unmeasured, not as without gain', async () => {
      // The repository's own coverage settings leave the target out: no run can measure it, whatever the test does.
      const report = await runExample(install, CORRECT, async (repoDir) => {
        const config = path.join(repoDir, 'vitest.config.ts');
        await writeFile(
          config,
          (await readFile(config, 'utf8')).replace("include: ['src/**/*.ts'],", "include: ['src/**/*.ts'],\n      exclude: ['src/lruCache.ts'],")
        );
      });
      const [duration, cache] = report.candidates;
      expect([duration!.status, cache!.status, cache!.rejection?.stage]).toEqual(['accepted', 'rejected', 'coverage-unmeasured']);
      expect(cache!.rejection!.reason).toMatch(/^coverage could not be measured: the test imports src\/lruCache\.ts and passes/);
    });

    if (install.major !== 4) {
      it('reaches the same coverage as vitest 4, in as many runner processes (no fallback to a run per candidate)', async () => {
        const vitest4 = INSTALLS.find((i) => i.major === 4)!;
        for (const answers of [CORRECT, WITHOUT_GAIN]) {
          const [mine, theirs] = await Promise.all([pipeline(install, answers), pipeline(vitest4, answers)]);
          expect(mine.candidates.map((c) => [c.targetFile, c.coverageBefore, c.coverageAfter])).toEqual(
            theirs.candidates.map((c) => [c.targetFile, c.coverageBefore, c.coverageAfter])
          );
          expect([mine.coverageBefore, mine.coverageAfter, mine.changedLinesAfter]).toEqual([
            theirs.coverageBefore,
            theirs.coverageAfter,
            theirs.changedLinesAfter
          ]);
          expect(mine.validation!.processes).toBe(theirs.validation!.processes);
        }
      });
    }
  });
}

/** The code inside an answer's fence, as the replay provider's text is turned into a test file. */
function extractCode(answer: string): string {
  return answer.replace(/^```ts\n/, '').replace(/```\n$/, '');
}

/**
 * `npm run bench:validation`: validates the same candidate test files for the example pull request with
 * validateCandidates twice, batched (one jest process per stage for all candidates) and isolated (one jest
 * process per file per run), and reports what each costs per candidate. See README.md, "Validation benchmark".
 * Figures are reported, never asserted; differing verdicts are a failure (non-zero exit).
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadTypeScript } from '../src/analysis/loadTypeScript.js';
import { prepareExamplePullRequest } from '../src/cli/exampleRepo.js';
import { analysisTestCaseEditor } from '../src/validation/analysisTestCaseEditor.js';
import { JestRunner } from '../src/validation/runners/JestRunner.js';
import { ScratchCopy } from '../src/validation/ScratchCopy.js';
import type { TestCaseEditor } from '../src/validation/TestCaseEditor.js';
import { type ValidationSettings, validateCandidates } from '../src/validation/validateCandidates.js';
import { benchCandidates, type BenchCandidate, toCandidateTest } from './validationCandidates.js';
import { parseValidationBenchOptions } from './validationOptions.js';
import { renderValidationSvg, renderValidationTable, type StrategyFigures, type ValidationBenchResults } from './validationReport.js';
import { compareVerdicts, compareWithExpected, verdictOf } from './validationVerdicts.js';

const EXAMPLE = 'ts-lib';
const TARGETS = ['src/math.ts', 'src/strings.ts'];
const EXISTING_TESTS = ['test/math.test.ts'];
const SPEED_UP_TARGET = 3;
const TEST_TIMEOUT_MS = 120_000;

const benchStarted = performance.now();
const progress = (message: string): void => {
  process.stderr.write(`[bench:validation ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
};

interface StrategyRun {
  root: string;
  repoDir: string;
  runner: JestRunner;
  editor?: TestCaseEditor;
  existingTests: Array<{ file: string; code: string }>;
  built: BenchCandidate[];
  settings: Omit<ValidationSettings, 'strategy'>;
}

/**
 * One strategy from a fresh scratch copy and a fresh jest cache, warmed by an untimed run of the
 * example's own suite (as a real run's baseline warms it), so neither strategy inherits the other's
 * compiled files and the order they run in does not matter.
 */
async function runStrategy(strategy: ValidationSettings['strategy'], round: number, run: StrategyRun): Promise<Omit<StrategyFigures, 'wallMsPerRound'>> {
  const strategyRoot = path.join(run.root, `${strategy}-${round}`);
  const jestTmp = path.join(strategyRoot, 'tmp');
  await mkdir(jestTmp, { recursive: true });
  const scratch = await ScratchCopy.create(run.repoDir, path.join(strategyRoot, 'scratch'));
  // jest puts its cache under os.tmpdir(); the runner passes our environment on to jest.
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = jestTmp;
  try {
    progress(`round ${round + 1}, ${strategy}: warm-up (the example's own suite, untimed)`);
    const warmUpOut = path.join(strategyRoot, 'warm-up');
    await mkdir(warmUpOut, { recursive: true });
    const warmUp = await run.runner.run({ rootDir: scratch.dir, coverageFiles: TARGETS, timeoutMs: TEST_TIMEOUT_MS * 5, outputDir: warmUpOut });
    if (warmUp.runnerError || warmUp.failed > 0 || warmUp.passed === 0) {
      throw new Error(
        `The example's own suite did not pass in the scratch copy (${warmUp.passed} passed, ${warmUp.failed} failed${warmUp.runnerError ? `; ${warmUp.runnerError}` : ''}); the benchmark needs a working jest there.`
      );
    }
    const candidates = run.built.map(toCandidateTest);
    progress(`round ${round + 1}, ${strategy}: validating ${candidates.length} candidates`);
    const started = performance.now();
    const stats = await validateCandidates(
      candidates,
      {
        runner: run.runner,
        scratch,
        workRoot: path.join(strategyRoot, 'work'),
        coverageFiles: TARGETS,
        existingTests: run.existingTests,
        ...(run.editor ? { editor: run.editor } : {}),
        log: (m) => progress(`${strategy}: ${m.trim()}`)
      },
      { ...run.settings, strategy }
    );
    const wallMs = performance.now() - started;
    progress(`round ${round + 1}, ${strategy}: ${(wallMs / 1000).toFixed(1)} s, ${stats.processes} processes, ${stats.fileRuns} file runs`);
    return {
      strategy,
      wallMs,
      processes: stats.processes,
      fileRuns: stats.fileRuns,
      perCandidateMs: wallMs / candidates.length,
      warmUpMs: warmUp.durationMs,
      stable: candidates.filter((c) => c.state === 'stable').length,
      rejected: candidates.filter((c) => c.state === 'rejected').length,
      verdicts: candidates.map((c) => verdictOf(c, TARGETS))
    };
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await scratch.dispose();
  }
}

function jestVersion(repoDir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoDir, 'node_modules', 'jest', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseValidationBenchOptions(process.argv.slice(2));
  const started = new Date();
  const loadAverageStart = os.loadavg()[0]!;
  await mkdir(options.outDir, { recursive: true });
  const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-bench-validation-'));
  try {
    progress(`example pull request (${EXAMPLE}) in ${root}`);
    const pr = await prepareExamplePullRequest(path.join(root, 'repos'), EXAMPLE);
    const runner = JestRunner.locate(pr.repoDir);
    let editor: TestCaseEditor | undefined;
    if (options.editor) {
      const typescript = await loadTypeScript(pr.repoDir, [process.cwd()], progress);
      if (!typescript) throw new Error('typescript could not be loaded for the analysis editor: run npm ci, or pass --no-editor.');
      editor = analysisTestCaseEditor(typescript);
    }
    const existingTests = await Promise.all(EXISTING_TESTS.map(async (file) => ({ file, code: await readFile(path.join(pr.repoDir, file), 'utf8') })));
    const built = benchCandidates(options.candidates, editor !== undefined);
    const settings: Omit<ValidationSettings, 'strategy'> = {
      repeatRuns: options.repeatRuns,
      maxRepairs: 0,
      testTimeoutMs: TEST_TIMEOUT_MS,
      workers: options.workers || os.availableParallelism(),
      seed: options.seed
    };
    const run: StrategyRun = { root, repoDir: pr.repoDir, runner, ...(editor ? { editor } : {}), existingTests, built, settings };

    const runs: Record<ValidationSettings['strategy'], Array<Omit<StrategyFigures, 'wallMsPerRound'>>> = { batched: [], isolated: [] };
    for (let round = 0; round < options.rounds; round++) {
      // Alternating which goes first spreads any drift in machine load over both.
      for (const strategy of round % 2 === 0 ? (['batched', 'isolated'] as const) : (['isolated', 'batched'] as const))
        runs[strategy].push(await runStrategy(strategy, round, run));
    }
    const fastest = (strategy: ValidationSettings['strategy']): StrategyFigures => ({
      ...runs[strategy].reduce((a, b) => (b.wallMs < a.wallMs ? b : a)),
      wallMsPerRound: runs[strategy].map((x) => x.wallMs)
    });
    const batched = fastest('batched');
    const isolated = fastest('isolated');

    const reference = runs.batched[0]!;
    const mismatches = [
      ...compareVerdicts(reference.verdicts, runs.isolated[0]!.verdicts),
      ...runs.batched.slice(1).flatMap((x, i) => compareVerdicts(reference.verdicts, x.verdicts, ['batched round 1', `batched round ${i + 2}`])),
      ...runs.isolated.slice(1).flatMap((x, i) => compareVerdicts(reference.verdicts, x.verdicts, ['batched round 1', `isolated round ${i + 2}`])),
      ...runs.batched.flatMap((x, i) => compareWithExpected(`batched round ${i + 1}`, x.verdicts, built)),
      ...runs.isolated.flatMap((x, i) => compareWithExpected(`isolated round ${i + 1}`, x.verdicts, built))
    ];
    const results: ValidationBenchResults = {
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      machine: {
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
        availableParallelism: os.availableParallelism(),
        memoryBytes: os.totalmem(),
        loadAverageStart,
        loadAverageEnd: os.loadavg()[0]!,
        node: process.version,
        jest: jestVersion(pr.repoDir)
      },
      settings: {
        quick: options.quick,
        candidates: options.candidates,
        repeatRuns: settings.repeatRuns,
        maxRepairs: settings.maxRepairs,
        testTimeoutMs: settings.testTimeoutMs,
        workers: settings.workers,
        seed: settings.seed,
        rounds: options.rounds,
        editor: editor ? 'analysis' : 'none',
        example: `examples/${EXAMPLE}`,
        targets: TARGETS,
        withFailingCase: built.filter((c) => c.expected.failingCase !== undefined).length
      },
      strategies: [batched, isolated],
      speedUp: isolated.perCandidateMs / batched.perCandidateMs,
      speedUpTarget: SPEED_UP_TARGET,
      mismatches
    };

    const stamp = started
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replace(/:/g, '-');
    const jsonFile = path.join(options.outDir, `validation-${stamp}.json`);
    const svgFile = path.join(options.outDir, `validation-${stamp}.svg`);
    await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(svgFile, renderValidationSvg(results));
    console.log(renderValidationTable(results));
    console.log(`\nWrote ${jsonFile} and ${svgFile}`);
    if (mismatches.length > 0) {
      console.error(`\nVERDICT MISMATCH: ${mismatches.length} difference(s) between the strategies or from the expected verdicts (listed above).`);
      process.exitCode = 1;
    }
  } finally {
    if (options.keep) progress(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});

import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TypeScriptApi } from '../analysis/loadTypeScript.js';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import { CoverageData } from '../coverage/CoverageData.js';
import { diffCoverage } from '../coverage/diffCoverage.js';
import { type Generation, generateCandidates, repairCandidate } from '../generation/generateCandidates.js';
import { detectTestLayout, placeTest } from '../generation/TestLayout.js';
import type { HybridRouter } from '../routing/HybridRouter.js';
import { RunCancelledError, throwIfCancelled } from '../process/cancellation.js';
import type { PackageResult } from '../reporting/buildRunReport.js';
import type { CancelledRun } from '../reporting/RunReport.js';
import { PhaseClock } from '../reporting/phaseTimes.js';
import type { TestSandbox } from '../sandbox/TestSandbox.js';
import type { PackageWork } from '../targets/groupByPackage.js';
import { analysisTestCaseEditor } from '../validation/analysisTestCaseEditor.js';
import { acceptCandidates } from '../validation/acceptCandidates.js';
import type { CandidateTest } from '../validation/CandidateTest.js';
import { firstLine } from '../validation/condenseFailureText.js';
import { throwOnMachineFault } from '../validation/machineFaults.js';
import { type Baseline, runBaseline } from '../validation/runBaseline.js';
import { runFailures } from '../validation/runFailures.js';
import type { TestRunResult } from '../validation/runners/TestRunner.js';
import type { ScratchCopy } from '../validation/ScratchCopy.js';
import { type ValidationSettings, type ValidationStats, validateCandidates } from '../validation/validateCandidates.js';
import { candidateOf } from './candidateOf.js';
import { escalateFailures } from './escalateFailures.js';
import { toRecord } from './candidateRecord.js';
import { focusOn, routeTaskOf } from './targetFocus.js';
import { type RejectedTestFile, rejectedTestFile } from './runArtifact.js';

export interface PackageServices {
  options: RunOptions;
  /** The whole repository's scratch copy. */
  scratch: ScratchCopy;
  /** Where every test-runner process starts. */
  sandbox: TestSandbox;
  workRoot: string;
  logger: Logger;
  warn: (message: string) => void;
  /** Decides who answers each target (loading the local model on first use, once per run) and keeps the account. */
  router: HybridRouter;
  typescript?: TypeScriptApi;
  seed: number;
}

/** What one package's stages produced, for the report, and the generations behind it (for the inference figures). */
export interface PackageOutcome {
  result: PackageResult;
  generations: Generation[];
  generationMs: number;
  /** The rejected candidates' code and failure output, for the run artifact; absent when none got a verdict. */
  rejected?: RejectedTestFile[];
}

/** A package's stages, in order, as a cancellation names the one under way. */
export type PackageStage = 'baseline' | 'model loading' | 'generation' | 'validation' | 'escalation' | 'acceptance';

const STAGE_WORDS: Readonly<Record<PackageStage, string>> = {
  baseline: 'the baseline run of',
  'model loading': 'loading the model for',
  generation: 'generating tests for',
  validation: 'validating the candidates of',
  escalation: 'escalating the failed files of',
  acceptance: 'the final run of'
};

/**
 * The run was cancelled while this package was under way: what it had finished (the baseline,
 * the candidates with a verdict) as its result, and the candidates still without one.
 */
export class PackageCancelledError extends RunCancelledError {
  constructor(
    cause: RunCancelledError,
    readonly during: string,
    readonly partial: PackageOutcome,
    readonly unfinished: CancelledRun['unfinished']
  ) {
    super(cause.signal);
  }
}

/** The baseline suite is a whole-package run, so it gets a longer limit than one candidate. */
const BASELINE_TIMEOUT_FACTOR = 5;
/** Existing tests read for duplicate checks, in characters. */
const EXISTING_TESTS_CAP = 4_000_000;

/**
 * One package through the stages, in order: baseline (the suite alone) → generate (a test per
 * target) → validate (each proven in the scratch copy) → accept (raises coverage, passes next to
 * the suite). Each stage returns its result; the package's result is put together once, here.
 */
export async function runPackage(work: PackageWork, services: PackageServices): Promise<PackageOutcome> {
  const { options, logger, warn } = services;
  const repoDir = path.join(options.repoDir, work.packageDir);
  const scratch = services.scratch.within(work.packageDir);
  const label = work.packageDir === '' ? '' : ` (${work.packageDir}, ${work.runner.name})`;
  const inRepo = (file: string): string => (work.packageDir === '' ? file : path.posix.join(work.packageDir, file));
  const suiteTimeoutMs = options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR;
  const runSuite = async (name: string): Promise<TestRunResult> => {
    const outputDir = path.join(services.workRoot, 'runs', `${slug(work.packageDir || 'root')}-${name}`);
    await mkdir(outputDir, { recursive: true });
    // The final run has the accepted candidates in it, and candidates never get the network.
    const code = name === 'baseline' ? 'suite' : 'candidates';
    const result = await work.runner.run({
      sandbox: services.sandbox,
      code,
      label: `${name}${label}`,
      rootDir: scratch.dir,
      outputDir,
      coverageFiles: work.targets,
      timeoutMs: suiteTimeoutMs,
      ...(options.testWorkers > 0 ? { workers: options.testWorkers } : {})
    });
    await throwOnMachineFault(result, [outputDir, scratch.dir]);
    services.sandbox.recordFailures(`${name}${label}`, code, runFailures(result));
    return result;
  };
  /** One worker per CPU, or test-workers when set, and never more than the batch has candidates. */
  const batchWorkers = (candidates: number): number => Math.max(1, Math.min(options.testWorkers || os.availableParallelism(), candidates));
  const changed = work.targets.map((filename) => ({ filename, changedLines: work.changedLines.get(filename) }));
  const figures = (
    before: CoverageData,
    after: CoverageData
  ): Pick<PackageResult, 'before' | 'after' | 'changedBefore' | 'changedAfter' | 'uncoveredChangedAfter'> => {
    const changedAfter = diffCoverage(after, changed);
    return {
      before: before.lineFigures(work.targets),
      after: after.lineFigures(work.targets),
      changedBefore: diffCoverage(before, changed).total,
      changedAfter: changedAfter.total,
      uncoveredChangedAfter: changedAfter.files
        .filter((f) => f.uncoveredChangedLines.length > 0)
        .map((f) => ({ file: inRepo(f.file), lines: f.uncoveredChangedLines }))
    };
  };
  // Every result carries the time of the stages that ran, a cancelled package's included.
  const clock = new PhaseClock();
  const result = (parts: Omit<PackageResult, 'packageDir' | 'targets' | 'phases'>): PackageResult => ({
    packageDir: work.packageDir,
    targets: work.targets.map(inRepo),
    ...parts,
    phases: clock.phases()
  });

  // Where the package stands, for a cancellation: it reports what had finished and nothing else.
  const stood: { stage: PackageStage; baseline?: Baseline; generations?: Generation[]; candidates?: CandidateTest[]; generationMs: number } = {
    stage: 'baseline',
    generationMs: 0
  };
  const cancelledHere = (cause: RunCancelledError): PackageCancelledError => {
    const during = `${STAGE_WORDS[stood.stage]} ${work.packageDir === '' ? 'the root package' : work.packageDir} (${work.runner.name})`;
    const generations = stood.generations ?? [];
    if (!stood.baseline) {
      const none = CoverageData.empty();
      const notRun = `the run was cancelled by ${cause.signal} during the ${work.runner.name} baseline${label}, before any test was generated`;
      const partial = { result: result({ baseline: NO_BASELINE, notRun, candidates: [], ...figures(none, none) }), generations, generationMs: 0 };
      return new PackageCancelledError(
        cause,
        during,
        partial,
        work.targets.map((t) => ({ targetFile: inRepo(t), state: 'not started' }))
      );
    }
    const before = stood.baseline.result.coverage;
    const candidates = stood.candidates ?? [];
    // Only a rejection is a verdict reached before the cancellation; passing, stable and even accepted files were still being proven.
    const decided = candidates.filter((c) => c.state === 'rejected');
    const unfinished: CancelledRun['unfinished'] =
      stood.candidates === undefined
        ? work.targets.map((t) => ({ targetFile: inRepo(t), state: stood.stage === 'generation' ? 'generating' : 'not started' }))
        : candidates.filter((c) => c.state !== 'rejected').map((c) => ({ targetFile: inRepo(c.target), testFile: inRepo(c.testFile), state: c.state }));
    const partial: PackageOutcome = {
      result: result({
        baseline: stood.baseline.figures,
        candidates: decided.map((c) => toRecord(c, generations, before, inRepo, services.router, [])),
        ...figures(before, before)
      }),
      generations,
      generationMs: stood.generationMs
    };
    return new PackageCancelledError(cause, during, partial, unfinished);
  };
  /**
   * One stage. A cancellation during it ends the package with what had finished; it is also
   * checked right after, since model work (loading, generating, repairing) starts no process.
   */
  const stage = async <T>(name: PackageStage, run: () => Promise<T>): Promise<T> => {
    stood.stage = name;
    try {
      const value = await clock.time(name, run);
      throwIfCancelled();
      return value;
    } catch (error) {
      throw error instanceof RunCancelledError && !(error instanceof PackageCancelledError) ? cancelledHere(error) : error;
    }
  };

  const baseline = await stage('baseline', () =>
    runBaseline({
      runSuite: () => runSuite('baseline'),
      runnerName: work.runner.name,
      packageDir: work.packageDir,
      timeoutMs: suiteTimeoutMs,
      logger,
      warn
    })
  );
  stood.baseline = baseline;
  if (baseline.health.runFailure?.kind === 'did-not-start') {
    // Candidates would run through the same broken setup: every verdict would be about the setup, not about them.
    const reason = `the existing ${work.runner.name} suite${label} did not start, so no generated test could be judged: ${firstLine(baseline.health.runFailure.error)}`;
    const none = CoverageData.empty();
    return { result: result({ baseline: baseline.figures, notRun: reason, candidates: [], ...figures(none, none) }), generations: [], generationMs: 0 };
  }

  const layout = detectTestLayout(repoDir);
  const taken = new Set<string>();
  const placements = await Promise.all(
    work.targets.map(async (target) => {
      const placement = placeTest(repoDir, layout, target, taken);
      taken.add(placement.testFile);
      const focused = await focusOn(target, repoDir, work.changedLines.get(target), baseline.result.coverage, services.typescript);
      return { target, placement, ...focused };
    })
  );
  // Each target's decision (and the local model, loaded the first time a decision needs it).
  const routed = await stage('model loading', () =>
    Promise.all(
      placements.map(async (p) => {
        const route = routeTaskOf(inRepo(p.target), p.focus, p.sourceChars, options.maxTokens);
        const { provider } = await services.router.route(route);
        return { generation: { target: p.target, placement: p.placement, focus: p.focus, provider }, route };
      })
    )
  );
  const tasks = new Map(routed.map((r) => [r.generation.target, r]));
  const generationSettings = {
    repoDir,
    packageDir: work.packageDir,
    framework: work.runner.name,
    maxTokens: options.maxTokens,
    existingTests: layout.existingTests,
    baseline: baseline.result.coverage
  };
  const generationStarted = Date.now();
  const generations = await stage('generation', () =>
    logger.group(`Generating ${placements.length} test file(s)${label}`, () =>
      generateCandidates(
        routed.map((r) => r.generation),
        generationSettings,
        logger
      )
    )
  );
  stood.generations = generations;
  stood.generationMs = Date.now() - generationStarted;

  const first = generations.map(candidateOf);
  stood.candidates = first;
  const settings: ValidationSettings = {
    repeatRuns: options.repeatRuns,
    maxRepairs: options.maxRepairs,
    testTimeoutMs: options.testTimeoutMs,
    workers: batchWorkers(first.length),
    strategy: 'batched',
    seed: services.seed
  };
  const existingTests = await readExistingTests(repoDir, layout.existingTests);
  // Each validation gets its own output folder: a second one reusing the first's run names would read its leftovers.
  const validate = (batch: CandidateTest[], pool: readonly Generation[], repairs: number, name: string, folder: string): Promise<ValidationStats> =>
    logger.group(`${name}${label}`, () =>
      validateCandidates(
        batch,
        {
          runner: work.runner,
          sandbox: services.sandbox,
          scratch,
          workRoot: path.join(services.workRoot, folder),
          coverageFiles: work.targets,
          existingTests,
          ...(services.typescript ? { editor: analysisTestCaseEditor(services.typescript) } : {}),
          repair: (c, failure) =>
            repairCandidate(
              pool.find((g) => g.target === c.target)!,
              c.code,
              failure,
              options.maxTokens,
              logger
            ),
          log: (m) => logger.info(m)
        },
        { ...settings, maxRepairs: repairs, workers: batchWorkers(batch.length) }
      )
    );
  const firstValidation = await stage('validation', () =>
    validate(first, generations, options.maxRepairs, 'Validating candidates in a scratch copy', slug(work.packageDir || 'root'))
  );

  const escalationStarted = Date.now();
  const escalated = await stage('escalation', () =>
    escalateFailures({
      candidates: first,
      generations,
      tasks,
      router: services.router,
      baseline: baseline.result.coverage,
      changedLines: work.changedLines,
      generate: (again) => logger.group(`Escalating ${again.length} test file(s)${label}`, () => generateCandidates(again, generationSettings, logger)),
      validate: (batch) => validate(batch, generations, 0, 'Validating the escalated candidates', `${slug(work.packageDir || 'root')}-escalation`),
      logger
    })
  );
  const candidates = escalated.candidates;
  const allGenerations = [...generations, ...escalated.generations.filter((g) => !generations.includes(g))];
  stood.candidates = candidates;
  stood.generations = escalated.generations;
  if (escalated.escalations.length > 0) stood.generationMs += Date.now() - escalationStarted;
  const validation = sumValidation(firstValidation, escalated.validation);

  const suiteFinishes = baseline.health.runFailure?.kind !== 'timed-out';
  const acceptance = await stage('acceptance', () =>
    acceptCandidates(candidates, {
      baseline: baseline.result.coverage,
      changedLines: work.changedLines,
      // The suite alone does not finish in time; with the accepted tests added it would not either, and its timeout would say nothing about them.
      ...(suiteFinishes
        ? { runSuite: (attempt: number) => logger.group(`Final run: the suite with the accepted tests${label}`, () => runSuite(`final-${attempt}`)) }
        : {}),
      remove: (file) => scratch.remove(file),
      warn
    })
  );
  if (!suiteFinishes && candidates.some((c) => c.state === 'accepted')) {
    warn(
      `The final run of the suite with the accepted tests${label} was skipped because the suite alone did not finish in time; the accepted tests passed every run on their own, but are not confirmed next to the suite.`
    );
  }
  return {
    result: result({
      baseline: baseline.figures,
      candidates: candidates.map((c) => toRecord(c, escalated.generations, acceptance.before, inRepo, services.router, escalated.escalations)),
      validation,
      ...figures(acceptance.before, acceptance.after)
    }),
    generations: allGenerations,
    generationMs: stood.generationMs,
    rejected: candidates.flatMap((c) => rejectedTestFile(c, inRepo) ?? [])
  };
}

/** The baseline of a package whose suite had not finished when the run was cancelled: nothing measured. */
const NO_BASELINE: PackageResult['baseline'] = { passed: 0, failed: 0, durationMs: 0, brokenTestFiles: [] };

function sumValidation(a: ValidationStats, b: ValidationStats | undefined): ValidationStats {
  return b ? { processes: a.processes + b.processes, fileRuns: a.fileRuns + b.fileRuns, durationMs: a.durationMs + b.durationMs } : a;
}

/** Contents of the package's existing tests, for duplicate checks; capped so a huge suite cannot flood memory. */
async function readExistingTests(repoDir: string, files: readonly string[]): Promise<Array<{ file: string; code: string }>> {
  const out: Array<{ file: string; code: string }> = [];
  let chars = 0;
  for (const file of files) {
    const code = await readFile(path.join(repoDir, file), 'utf8').catch(() => undefined);
    if (code === undefined) continue;
    chars += code.length;
    if (chars > EXISTING_TESTS_CAP) break;
    out.push({ file, code });
  }
  return out;
}

function slug(file: string): string {
  return file.replace(/[^\w.-]+/g, '_');
}

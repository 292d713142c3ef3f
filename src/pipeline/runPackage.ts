import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractUnits } from '../analysis/extractUnits.js';
import type { TypeScriptApi } from '../analysis/loadTypeScript.js';
import { summarizeImports } from '../analysis/summarizeImports.js';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import { CoverageData } from '../coverage/CoverageData.js';
import { diffCoverage } from '../coverage/diffCoverage.js';
import { type Generation, generateCandidates, repairCandidate, type TargetFocus } from '../generation/generateCandidates.js';
import { detectTestLayout, placeTest } from '../generation/TestLayout.js';
import type { TextProvider } from '../inference/TextProvider.js';
import type { CandidateRecord, ValidationFigures } from '../reporting/RunReport.js';
import type { PackageWork } from '../targets/groupByPackage.js';
import { analysisTestCaseEditor } from '../validation/analysisTestCaseEditor.js';
import { baselineHealth, type BaselineHealth } from '../validation/baselineHealth.js';
import { type CandidateTest, reject } from '../validation/CandidateTest.js';
import { judgeCoverageGain } from '../validation/judgeCoverageGain.js';
import { throwOnMachineFault } from '../validation/machineFaults.js';
import type { TestRunResult } from '../validation/runners/TestRunner.js';
import type { ScratchCopy } from '../validation/ScratchCopy.js';
import { type ValidationSettings, validateCandidates } from '../validation/validateCandidates.js';

export interface PackageServices {
  options: RunOptions;
  /** The whole repository's scratch copy. */
  scratch: ScratchCopy;
  workRoot: string;
  logger: Logger;
  warn: (message: string) => void;
  /** Loads the model on first use (once per run, shared by all packages). */
  provider: () => Promise<{ provider: TextProvider; model: string }>;
  typescript?: TypeScriptApi;
  seed: number;
}

/** What one package's run contributes to the report; paths are package-relative. */
export interface PackageOutcome {
  baseline: { passed: number; failed: number; runnerError?: string; durationMs: number; health: BaselineHealth };
  /** Set when the package's suite did not start: no test was generated for it, and this says why. */
  notRun?: string;
  records: CandidateRecord[];
  generations: Generation[];
  generationMs: number;
  validation?: Omit<ValidationFigures, 'strategy' | 'seed' | 'repeatRuns' | 'maxRepairs'>;
  /** Line coverage of the targets, and of their changed lines, before and after. */
  before: CoverageFigures;
  after: CoverageFigures;
  changedBefore: CoverageFigures;
  changedAfter: CoverageFigures;
}

/** The baseline suite is a whole-package run, so it gets a longer limit than one candidate. */
const BASELINE_TIMEOUT_FACTOR = 5;
/** Existing tests read for duplicate checks, in characters. */
const EXISTING_TESTS_CAP = 4_000_000;

/**
 * One package from baseline to proven tests: measure its suite, generate a test per target,
 * prove each in the scratch copy, keep those that raise coverage, and check the kept ones pass
 * together with the suite.
 */
export async function runPackage(work: PackageWork, services: PackageServices): Promise<PackageOutcome> {
  const { options, logger, warn } = services;
  const repoDir = path.join(options.repoDir, work.packageDir);
  const scratch = services.scratch.within(work.packageDir);
  const label = work.packageDir === '' ? '' : ` (${work.packageDir}, ${work.runner.name})`;
  const run = async (name: string, request: { testFiles?: string[]; coverageFiles: string[]; timeoutMs: number }): Promise<TestRunResult> => {
    const outputDir = path.join(services.workRoot, 'runs', `${slug(work.packageDir || 'root')}-${name}`);
    await mkdir(outputDir, { recursive: true });
    const result = await work.runner.run({ rootDir: scratch.dir, outputDir, ...request });
    await throwOnMachineFault(result, [outputDir, scratch.dir]);
    return result;
  };

  const baseline = await logger.group(`Baseline: the ${work.runner.name} suite with coverage${label}`, () =>
    run('baseline', { coverageFiles: work.targets, timeoutMs: options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR })
  );
  const health = baselineHealth(baseline, work.packageDir, (file) => (work.packageDir === '' ? file : path.posix.join(work.packageDir, file)));
  const baselineFigures = { passed: baseline.passed, failed: baseline.failed, ...(baseline.runnerError ? { runnerError: baseline.runnerError } : {}), durationMs: baseline.durationMs, health };
  reportBaselineHealth(health, baseline, work.runner.name, label, options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR, warn);
  logger.info(`Baseline${label}: ${baseline.passed} passed, ${baseline.failed} failed${health.brokenTestFiles.length > 0 ? `, ${health.brokenTestFiles.length} test file(s) did not load` : ''}.`);
  if (health.runFailure?.kind === 'did-not-start') {
    // Candidates would run through the same broken setup: every verdict would be about the setup, not about them.
    return notRun(baselineFigures, `the existing ${work.runner.name} suite${label} did not start, so no generated test could be judged: ${firstLine(health.runFailure.error)}`, work.targets);
  }

  const { provider, model } = await services.provider();
  const layout = detectTestLayout(repoDir);
  const taken = new Set<string>();
  const placements = await Promise.all(
    work.targets.map(async (target) => {
      const placement = placeTest(repoDir, layout, target, taken);
      taken.add(placement.testFile);
      return { target, placement, focus: await focusOn(target, repoDir, work.changedLines.get(target), baseline.coverage, services.typescript) };
    })
  );
  const generationStarted = Date.now();
  const generations = await logger.group(`Generating ${placements.length} test file(s)${label}`, () =>
    generateCandidates(placements, provider, { repoDir, packageDir: work.packageDir, framework: work.runner.name, maxTokens: options.maxTokens, existingTests: layout.existingTests, baseline: baseline.coverage }, logger)
  );
  const generationMs = Date.now() - generationStarted;

  const candidates = generations.map(toCandidate);
  const settings: ValidationSettings = {
    repeatRuns: options.repeatRuns,
    maxRepairs: options.maxRepairs,
    testTimeoutMs: options.testTimeoutMs,
    workers: Math.max(1, Math.min(os.availableParallelism(), candidates.length)),
    strategy: 'batched',
    seed: services.seed
  };
  const stats = await logger.group(`Validating candidates in a scratch copy${label}`, async () =>
    validateCandidates(
      candidates,
      {
        runner: work.runner,
        scratch,
        workRoot: path.join(services.workRoot, slug(work.packageDir || 'root')),
        coverageFiles: work.targets,
        existingTests: await readExistingTests(repoDir, layout.existingTests),
        ...(services.typescript ? { editor: analysisTestCaseEditor(services.typescript) } : {}),
        repair: (c, failure) => repairCandidate(generations.find((g) => g.target === c.target)!, c.code, failure, provider, options.maxTokens, logger),
        log: (m) => logger.info(m)
      },
      settings
    )
  );

  const { before, known } = judgeCoverage(candidates, baseline.coverage, work.changedLines);
  const records = candidates.map((c) => toRecord(c, generations, before, model));
  let after = known;
  if (records.some((r) => r.status === 'accepted')) {
    if (health.runFailure?.kind === 'timed-out') {
      // The suite alone does not finish in time; with the accepted tests added it would not either, and its
      // timeout would say nothing about them.
      warn(`The final run of the suite with the accepted tests${label} was skipped because the suite alone did not finish in time; the accepted tests passed every run on their own, but are not confirmed next to the suite.`);
      for (const r of records) if (r.status === 'accepted') r.confirmedWithSuite = false;
    } else {
      after = await logger.group(`Final run: the suite with the accepted tests${label}`, () => confirmTogether(records, run, scratch, options, work.targets, warn));
    }
  }
  after = after.withUnloadedFiles(before);
  const changed = work.targets.map((filename) => ({ filename, changedLines: work.changedLines.get(filename) }));
  return {
    baseline: baselineFigures,
    records,
    generations,
    generationMs,
    validation: stats,
    before: before.lineFigures(work.targets),
    after: after.lineFigures(work.targets),
    changedBefore: diffCoverage(before, changed).total,
    changedAfter: diffCoverage(after, changed).total
  };
}

/**
 * What the prompt for a target concentrates on: the changed lines the suite leaves uncovered,
 * the changed units with their complexity, and the signatures of what the file imports.
 */
async function focusOn(target: string, repoDir: string, changedLines: number[] | undefined, baseline: CoverageData, typescript: TypeScriptApi | undefined): Promise<TargetFocus> {
  const uncovered = baseline.uncoveredLines(target);
  const changed = changedLines ? new Set(changedLines) : undefined;
  // A file no test loads has no baseline data: every changed line is uncovered.
  const focus: TargetFocus = { uncoveredLines: baseline.counts(target) ? uncovered.filter((l) => !changed || changed.has(l)) : (changedLines ?? []) };
  if (!typescript) return focus;
  const text = await readFile(path.join(repoDir, target), 'utf8').catch(() => undefined);
  if (text === undefined) return focus;
  const units = extractUnits(typescript, target, text, changedLines).filter((u) => u.changed && u.exported && u.kind !== 'class');
  focus.changedUnits = units.map((u) => ({ name: u.name, signature: u.signature, complexity: u.complexity }));
  const imports = summarizeImports(typescript, path.join(repoDir, target), text, { rootDir: repoDir });
  if (imports.text) focus.importSignatures = imports.text;
  return focus;
}

function toCandidate(g: Generation): CandidateTest {
  const candidate: CandidateTest = { target: g.target, testFile: g.placement.testFile, code: g.code ?? '', attempts: g.answers.length, runs: 0, cases: [], state: 'pending' };
  if (g.code === undefined) reject(candidate, 'generation', g.error ?? 'the answer held no test code');
  return candidate;
}

/**
 * Stable candidates are judged in target order against what the suite and the candidates
 * accepted before them already cover, so two tests covering the same lines are not both kept.
 */
function judgeCoverage(candidates: CandidateTest[], baseline: CoverageData, changedLines: Map<string, number[] | undefined>): { before: CoverageData; known: CoverageData } {
  let before = baseline;
  for (const c of candidates) if (c.coverage) before = before.withUnloadedFiles(c.coverage);
  let known = before;
  for (const c of candidates.filter((x) => x.state === 'stable')) {
    const verdict = judgeCoverageGain(c.coverage ?? CoverageData.empty(), c.target, known, changedLines.get(c.target), c);
    if (verdict.accepted) known = known.merge(c.coverage!);
    else reject(c, verdict.stage, verdict.reason);
  }
  return { before, known };
}

function toRecord(c: CandidateTest, generations: Generation[], before: CoverageData, model: string): CandidateRecord {
  const answers = generations.find((g) => g.target === c.target)?.answers ?? [];
  return {
    targetFile: c.target,
    testFile: c.testFile,
    status: c.state === 'stable' ? 'accepted' : 'rejected',
    ...(c.rejection ? { rejection: c.rejection } : {}),
    testsPassed: c.cases.filter((k) => k.verdict === 'kept').length,
    testsFailed: c.cases.filter((k) => k.verdict === 'fails' || k.verdict === 'timeout' || k.verdict === 'flaky').length,
    cases: c.cases,
    attempts: c.attempts,
    runs: c.runs,
    coverageBefore: before.lineFigures([c.target]),
    // What the file reaches next to the suite (for a rejected one: what it would have reached).
    coverageAfter: (c.coverage ? before.merge(c.coverage) : before).lineFigures([c.target]),
    promptTokens: answers.reduce((n, a) => n + a.usage.promptTokens, 0),
    completionTokens: answers.reduce((n, a) => n + a.usage.completionTokens, 0),
    generationMs: answers.reduce((n, a) => n + a.timings.generationMs, 0),
    provider: answers[0]?.provider ?? 'local',
    model
  };
}

/**
 * Accepted files passed alone; they must also pass next to the existing suite (shared state,
 * module mocks, ports). Any that fail there are rejected and the suite is measured again.
 */
async function confirmTogether(
  records: CandidateRecord[],
  run: (name: string, request: { coverageFiles: string[]; timeoutMs: number }) => Promise<TestRunResult>,
  scratch: ScratchCopy,
  options: RunOptions,
  targets: string[],
  warn: (m: string) => void
): Promise<CoverageData> {
  for (let attempt = 1; ; attempt++) {
    const result = await run(`final-${attempt}`, { coverageFiles: targets, timeoutMs: options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR });
    const accepted = records.filter((r) => r.status === 'accepted');
    const outcome = (r: CandidateRecord): string | undefined => result.suites.find((s) => s.file === r.testFile)?.status;
    // A file the run never reached (it timed out or crashed first) has no verdict: the suite's fault is not the file's.
    const unreached = result.runnerError !== undefined ? accepted.filter((r) => outcome(r) === undefined) : [];
    const conflicts = accepted.filter((r) => !unreached.includes(r) && outcome(r) !== 'passed');
    if (unreached.length > 0) {
      warn(
        `The final run of the suite with the accepted tests ${result.timedOut ? 'did not finish in time' : 'failed'} (${firstLine(result.runnerError ?? '')}) before it reached ${unreached.map((r) => r.testFile).join(', ')}; ` +
          'those tests passed every run on their own and are kept, but are not confirmed next to the suite.'
      );
      for (const r of unreached) r.confirmedWithSuite = false;
    }
    if (conflicts.length === 0 || attempt >= 3) {
      if (conflicts.length > 0) warn(`Accepted tests still fail alongside the suite after ${attempt} runs: ${conflicts.map((c) => c.testFile).join(', ')}.`);
      else if (result.runnerError && unreached.length === 0) warn(`The final suite run failed: ${firstLine(result.runnerError)}`);
      return result.coverage;
    }
    for (const r of conflicts) {
      r.status = 'rejected';
      r.rejection = { stage: 'suite-conflict', reason: 'passes alone but fails when run with the repository suite' };
      await scratch.remove(r.testFile);
    }
  }
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

/** Warnings that name each broken test file and a suite that did not start or finish, with the runner's own words. */
function reportBaselineHealth(health: BaselineHealth, baseline: TestRunResult, runner: string, label: string, limitMs: number, warn: (m: string) => void): void {
  const broken = health.brokenTestFiles;
  if (broken.length > 0) {
    const shown = broken.slice(0, 5).map((b) => `${b.file}: ${firstLine(b.error)}`);
    warn(
      `${broken.length} existing test file(s)${label} could not be compiled or loaded, so their tests did not run and coverage before is measured without them: ${shown.join('; ')}${broken.length > 5 ? '; …' : ''}. Fix them (run ${runner} locally) for true figures.`
    );
  }
  if (health.runFailure?.kind === 'did-not-start') {
    warn(`The existing ${runner} suite${label} did not start: ${health.runFailure.error}\nFix the test setup (run ${runner} locally in that directory) and run again; no test was generated for it.`);
  } else if (health.runFailure?.kind === 'timed-out') {
    warn(`The existing ${runner} suite${label} did not finish within ${Math.round(limitMs / 1000)} s (5 × test-timeout); coverage before is measured from the files that finished. Raise test-timeout, or fix the test that hangs.`);
  } else if (baseline.runnerError) {
    warn(`The baseline run of the existing suite${label} ended with an error: ${firstLine(baseline.runnerError)}. Coverage before is measured from what ran.`);
  }
  if (baseline.failed > 0) warn(`${baseline.failed} existing test(s)${label} fail before any generated test is added; they are left as they are.`);
}

function notRun(baseline: PackageOutcome['baseline'], reason: string, targets: string[]): PackageOutcome {
  const none = CoverageData.empty();
  return {
    baseline,
    notRun: reason,
    records: [],
    generations: [],
    generationMs: 0,
    before: none.lineFigures(targets),
    after: none.lineFigures(targets),
    changedBefore: none.lineFigures([]),
    changedAfter: none.lineFigures([])
  };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, 300);
}

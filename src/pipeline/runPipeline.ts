import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunOptions } from '../config/RunOptions.js';
import { CoverageData } from '../coverage/CoverageData.js';
import { deliverAcceptedTests, type DeliverySettings } from '../delivery/deliverAcceptedTests.js';
import { type Generation, generateCandidates, repairCandidate } from '../generation/generateCandidates.js';
import { selectTargets } from '../generation/selectTargets.js';
import { detectTestLayout, placeTest } from '../generation/TestLayout.js';
import type { TextProvider } from '../inference/TextProvider.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { PullRequestHost } from '../repo/ChangedFile.js';
import type { CandidateRecord, CoverageFigures, InferenceFigures, RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';
import { JestRunner } from '../validation/JestRunner.js';
import { type CandidateTest, reject } from '../validation/CandidateTest.js';
import { judgeCoverageGain } from '../validation/judgeCoverageGain.js';
import { ScratchCopy } from '../validation/ScratchCopy.js';
import { type ValidationSettings, validateCandidates } from '../validation/validateCandidates.js';
import type { TestRunner, TestRunResult } from '../validation/TestRunner.js';
import type { Logger } from './Logger.js';

export interface LoadedProvider {
  provider: TextProvider;
  /** Set when the model is the generated demo model, so every report says so. */
  demoNotice?: string;
}

export interface PipelineContext {
  options: RunOptions;
  host: PullRequestHost;
  pullRequest: PullRequestInfo | null;
  repository: string;
  logger: Logger;
  /** Called only when there is something to generate: loading a model takes time. */
  loadProvider: () => Promise<LoadedProvider>;
  /** Where scratch copies and runner output go (RUNNER_TEMP in the action). */
  tempDir: string;
  toolVersion: string;
  /** Where accepted tests go besides the working tree: the PR branch's push credentials, an artifact uploader. */
  delivery?: DeliverySettings;
}

/** The baseline suite is a whole-repository run, so it gets a longer limit than one candidate. */
const BASELINE_TIMEOUT_FACTOR = 5;
/** Existing tests read for duplicate checks, in characters. */
const EXISTING_TESTS_CAP = 4_000_000;

/**
 * One run from a pull request to a report: pick targets, measure the baseline, generate a test
 * per target, prove each one in a scratch copy, write back only the proven ones, and record why
 * every other one was turned away.
 */
export async function runPipeline(ctx: PipelineContext): Promise<RunReport> {
  const { options, logger } = ctx;
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    logger.warn(message);
  };
  const changed = await ctx.host.listChangedFiles();
  const { targets, skipped } = selectTargets(options.repoDir, changed);
  logger.info(`${changed.length} changed file(s); ${targets.length} to generate tests for${targets.length ? `: ${targets.join(', ')}` : ''}.`);
  for (const s of skipped) logger.info(`  skipped ${s.file}: ${s.reason}`);

  const report: RunReport = {
    schemaVersion: 1,
    tool: { name: 'aqe/local-inference', version: ctx.toolVersion },
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    repository: ctx.repository,
    pullRequest: ctx.pullRequest
      ? { number: ctx.pullRequest.number, title: ctx.pullRequest.title, baseSha: ctx.pullRequest.baseSha, headSha: ctx.pullRequest.headSha, url: ctx.pullRequest.url }
      : null,
    changedFiles: changed.map((c) => c.filename),
    targets,
    skipped,
    baseline: { testsPassed: 0, testsFailed: 0, suiteFailed: false, durationMs: 0 },
    coverageBefore: emptyFigures(),
    coverageAfter: emptyFigures(),
    candidates: [],
    testsGenerated: 0,
    testsAccepted: 0,
    inference: emptyInference(),
    warnings
  };
  if (targets.length === 0) {
    logger.info('Nothing to generate: no changed JavaScript/TypeScript source files with code of their own.');
    return finish(report, started, options.reportPath);
  }

  const runner = JestRunner.locate(options.repoDir);
  await mkdir(ctx.tempDir, { recursive: true });
  const workRoot = await mkdtemp(path.join(ctx.tempDir, 'aqe-run-'));
  const scratch = await ScratchCopy.create(options.repoDir, workRoot);
  let provider: TextProvider | undefined;
  try {
    const baseline = await logger.group('Baseline: the repository suite with coverage', () =>
      runTests(runner, scratch, workRoot, 'baseline', { coverageFiles: targets, timeoutMs: options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR })
    );
    report.baseline = { testsPassed: baseline.passed, testsFailed: baseline.failed, suiteFailed: baseline.failed > 0 || !!baseline.runnerError, durationMs: baseline.durationMs };
    if (baseline.runnerError) warn(`The baseline run of the existing suite failed: ${baseline.runnerError}. Coverage before is measured from what ran.`);
    else if (baseline.failed > 0) warn(`${baseline.failed} existing test(s) fail before any generated test is added; they are left as they are.`);
    logger.info(`Baseline: ${baseline.passed} passed, ${baseline.failed} failed.`);

    const loaded = await logger.group('Loading the model', ctx.loadProvider);
    provider = loaded.provider;
    const info = provider.info();
    logger.info(`Model ${info.model} on ${info.hardware}; ${info.parallelSequences} parallel sequence(s) of ${info.contextSize} tokens; loaded in ${info.modelLoadMs} ms.`);
    if (loaded.demoNotice) logger.warn(loaded.demoNotice);

    const layout = detectTestLayout(options.repoDir);
    const taken = new Set<string>();
    const placements = targets.map((target) => {
      const placement = placeTest(options.repoDir, layout, target, taken);
      taken.add(placement.testFile);
      return { target, placement };
    });

    const generationStarted = Date.now();
    const generations = await logger.group(`Generating ${placements.length} test file(s)`, () =>
      generateCandidates(placements, provider!, { repoDir: options.repoDir, framework: runner.name, maxTokens: options.maxTokens, existingTests: layout.existingTests, baseline: baseline.coverage }, logger)
    );
    const generationMs = Date.now() - generationStarted;

    const candidates = generations.map(toCandidate);
    const settings: ValidationSettings = {
      repeatRuns: options.repeatRuns,
      maxRepairs: options.maxRepairs,
      testTimeoutMs: options.testTimeoutMs,
      workers: Math.max(1, Math.min(os.availableParallelism(), candidates.length)),
      strategy: 'batched',
      seed: shuffleSeed(ctx.pullRequest?.headSha)
    };
    const stats = await logger.group('Validating candidates in a scratch copy', async () =>
      validateCandidates(
        candidates,
        {
          runner,
          scratch,
          workRoot,
          coverageFiles: targets,
          existingTests: await readExistingTests(options.repoDir, layout.existingTests),
          repair: (c, failure) => repairCandidate(generations.find((g) => g.target === c.target)!, c.code, failure, provider!, options.maxTokens, logger),
          log: (m) => logger.info(m)
        },
        settings
      )
    );
    report.validation = { ...stats, strategy: settings.strategy, seed: settings.seed, repeatRuns: settings.repeatRuns, maxRepairs: settings.maxRepairs };

    const { before, known } = judgeCoverage(candidates, baseline.coverage);
    let after = known;
    const records = candidates.map((c) => toRecord(c, generations, before, info.model));
    for (const c of candidates.filter((x) => x.state === 'rejected')) await scratch.remove(c.testFile);
    if (records.some((r) => r.status === 'accepted')) {
      after = await logger.group('Final run: the suite with the accepted tests', () => confirmTogether(records, runner, scratch, workRoot, options, targets, warn));
    }
    for (const r of records) logger.info(`  ${r.status} ${r.testFile}${r.rejection ? ` (${r.rejection.stage}: ${r.rejection.reason})` : ''}`);
    report.coverageBefore = before.lineFigures(targets);
    report.coverageAfter = after.withUnloadedFiles(before).lineFigures(targets);
    report.candidates = records;
    // A target the model produced no test file for is a candidate (with its reason), not a generated test.
    report.testsGenerated = records.filter((r) => r.rejection?.stage !== 'generation').length;
    report.testsAccepted = records.filter((r) => r.status === 'accepted').length;
    report.inference = inferenceFigures(generations, info, generationMs, loaded.demoNotice);

    const accepted = await Promise.all(
      records
        .filter((r) => r.status === 'accepted')
        .map(async (r) => ({ testFile: r.testFile, targetFile: r.targetFile, content: await readFile(path.join(scratch.dir, r.testFile), 'utf8') }))
    );
    const delivery = await deliverAcceptedTests(options.onAccepted, { ...ctx.delivery, repoDir: options.repoDir, tempDir: workRoot, tests: accepted, warn });
    report.delivery = { requested: delivery.requested, mode: delivery.mode, files: delivery.artifact?.files ?? delivery.written, ...(delivery.committed ? { commit: delivery.committed } : {}), ...(delivery.artifact ? { artifact: delivery.artifact.name } : {}) };
  } finally {
    await provider?.dispose().catch((e: unknown) => logger.warn(`Releasing the model failed: ${(e as Error).message}`));
    await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  logger.info(`Accepted ${report.testsAccepted} of ${report.testsGenerated} generated test file(s); changed-file line coverage ${fmtPct(report.coverageBefore)} → ${fmtPct(report.coverageAfter)}.`);
  return finish(report, started, options.reportPath);
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
function judgeCoverage(candidates: CandidateTest[], baseline: CoverageData): { before: CoverageData; known: CoverageData } {
  let before = baseline;
  let known = baseline;
  for (const c of candidates) {
    if (c.coverage) {
      before = before.withUnloadedFiles(c.coverage);
      known = known.withUnloadedFiles(c.coverage);
    }
  }
  for (const c of candidates.filter((x) => x.state === 'stable')) {
    const verdict = judgeCoverageGain(c.coverage ?? CoverageData.empty(), c.target, known);
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

/** Contents of the repository's existing tests, for duplicate checks; capped so a huge suite cannot flood memory. */
async function readExistingTests(repoDir: string, files: readonly string[]): Promise<Array<{ file: string; code: string }>> {
  const out: Array<{ file: string; code: string }> = [];
  let bytes = 0;
  for (const file of files) {
    const code = await readFile(path.join(repoDir, file), 'utf8').catch(() => undefined);
    if (code === undefined) continue;
    bytes += code.length;
    if (bytes > EXISTING_TESTS_CAP) break;
    out.push({ file, code });
  }
  return out;
}

/** Same pull request head, same shuffled orders: a run can be repeated exactly. */
function shuffleSeed(headSha: string | undefined): number {
  return headSha && /^[0-9a-f]{8}/i.test(headSha) ? Number.parseInt(headSha.slice(0, 8), 16) % 1_000_000 : 1;
}

/**
 * Accepted files passed alone; they must also pass next to the existing suite (shared state,
 * module mocks, ports). Any that fail there are rejected and the suite is measured again.
 */
async function confirmTogether(
  records: CandidateRecord[],
  runner: TestRunner,
  scratch: ScratchCopy,
  workRoot: string,
  options: RunOptions,
  targets: string[],
  warn: (m: string) => void
): Promise<CoverageData> {
  for (let attempt = 1; ; attempt++) {
    const run = await runTests(runner, scratch, workRoot, `final-${attempt}`, { coverageFiles: targets, timeoutMs: options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR });
    const conflicts = records.filter((r) => r.status === 'accepted' && run.suites.find((s) => s.file === r.testFile)?.status !== 'passed');
    if (conflicts.length === 0 || attempt >= 3) {
      if (conflicts.length > 0) warn(`Accepted tests still fail alongside the suite after ${attempt} runs: ${conflicts.map((c) => c.testFile).join(', ')}.`);
      if (run.runnerError) warn(`The final suite run failed: ${run.runnerError}`);
      return run.coverage;
    }
    for (const r of conflicts) {
      r.status = 'rejected';
      r.rejection = { stage: 'suite-conflict', reason: 'passes alone but fails when run with the repository suite' };
      await scratch.remove(r.testFile);
    }
  }
}

async function runTests(
  runner: TestRunner,
  scratch: ScratchCopy,
  workRoot: string,
  name: string,
  request: { testFiles?: string[]; coverageFiles: string[]; timeoutMs: number }
): Promise<TestRunResult> {
  const outputDir = path.join(workRoot, 'runs', name);
  await mkdir(outputDir, { recursive: true });
  return runner.run({ rootDir: scratch.dir, outputDir, ...request });
}

function inferenceFigures(generations: Generation[], info: ReturnType<TextProvider['info']>, generationMs: number, demoNotice?: string): InferenceFigures {
  const answers = generations.flatMap((g) => g.answers);
  const promptTokens = answers.reduce((n, a) => n + a.usage.promptTokens, 0);
  const completionTokens = answers.reduce((n, a) => n + a.usage.completionTokens, 0);
  return {
    provider: info.provider,
    model: info.model,
    hardware: info.hardware,
    backend: info.backend,
    threads: info.threads,
    parallelSequences: info.parallelSequences,
    contextSize: info.contextSize,
    modelLoadMs: info.modelLoadMs,
    promptTokens,
    completionTokens,
    tokensPerSecond: generationMs > 0 ? Math.round(((completionTokens * 1000) / generationMs) * 10) / 10 : 0,
    costUsd: 0,
    ...(demoNotice ? { demoModelNotice: demoNotice } : {})
  };
}

async function finish(report: RunReport, started: number, reportPath: string): Promise<RunReport> {
  report.durationMs = Date.now() - started;
  await writeJsonReport(report, reportPath);
  return report;
}

function emptyFigures(): CoverageFigures {
  return { linesPct: null, coveredLines: 0, totalLines: 0 };
}

function emptyInference(): InferenceFigures {
  return { provider: 'none', model: 'none', hardware: 'n/a', backend: 'n/a', threads: 0, parallelSequences: 0, contextSize: 0, modelLoadMs: 0, promptTokens: 0, completionTokens: 0, tokensPerSecond: 0, costUsd: 0 };
}

function fmtPct(f: CoverageFigures): string {
  return f.linesPct === null ? 'n/a' : `${f.linesPct}%`;
}

function slug(file: string): string {
  return file.replace(/[^\w.-]+/g, '_');
}

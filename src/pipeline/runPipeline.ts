import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunOptions } from '../config/RunOptions.js';
import { CoverageData } from '../coverage/CoverageData.js';
import { buildPrompt } from '../generation/buildPrompt.js';
import { extractCode } from '../generation/extractCode.js';
import { selectTargets } from '../generation/selectTargets.js';
import { detectTestLayout, placeTest, type TestPlacement } from '../generation/TestLayout.js';
import type { GenerationResult, TextProvider } from '../inference/TextProvider.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { PullRequestHost } from '../repo/ChangedFile.js';
import type { CandidateRecord, CoverageFigures, InferenceFigures, RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';
import { JestRunner } from '../validation/JestRunner.js';
import { judgeCandidate } from '../validation/judgeCandidate.js';
import { ScratchCopy } from '../validation/ScratchCopy.js';
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
}

/** The baseline suite is a whole-repository run, so it gets a longer limit than one candidate. */
const BASELINE_TIMEOUT_FACTOR = 5;
const PROGRESS_INTERVAL_MS = 10_000;

interface Candidate {
  target: string;
  placement: TestPlacement;
  generation?: GenerationResult;
  error?: string;
  code?: string;
}

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
    const candidates: Candidate[] = targets.map((target) => {
      const placement = placeTest(options.repoDir, layout, target, taken);
      taken.add(placement.testFile);
      return { target, placement };
    });

    const generationStarted = Date.now();
    await logger.group(`Generating ${candidates.length} test file(s)`, () =>
      Promise.all(candidates.map((c, i) => generate(c, i, candidates.length, provider!, options, baseline.coverage, layout.existingTests, logger)))
    );
    const generationMs = Date.now() - generationStarted;

    let before = baseline.coverage;
    let known = baseline.coverage;
    const records: CandidateRecord[] = [];
    await logger.group('Validating candidates in a scratch copy', async () => {
      for (const c of candidates) {
        const { record, coverage } = await validate(c, runner, scratch, workRoot, options, known, info.model);
        before = before.withUnloadedFiles(coverage);
        known = known.withUnloadedFiles(coverage);
        if (record.status === 'accepted') known = known.merge(coverage);
        logger.info(`  ${record.status} ${c.placement.testFile}${record.rejection ? ` (${record.rejection.stage}: ${record.rejection.reason})` : ''}`);
        records.push(record);
      }
    });

    let after = known;
    if (records.some((r) => r.status === 'accepted')) {
      after = await logger.group('Final run: the suite with the accepted tests', () => confirmTogether(records, runner, scratch, workRoot, options, targets, warn));
    }
    report.coverageBefore = before.lineFigures(targets);
    report.coverageAfter = after.withUnloadedFiles(before).lineFigures(targets);
    report.candidates = records;
    // A target the model produced no test file for is a candidate (with its reason), not a generated test.
    report.testsGenerated = records.filter((r) => r.rejection?.stage !== 'generation').length;
    report.testsAccepted = records.filter((r) => r.status === 'accepted').length;
    report.inference = inferenceFigures(candidates, info, generationMs, loaded.demoNotice);

    await deliver(records, scratch, options.repoDir, warn);
  } finally {
    await provider?.dispose().catch((e: unknown) => logger.warn(`Releasing the model failed: ${(e as Error).message}`));
    await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  logger.info(`Accepted ${report.testsAccepted} of ${report.testsGenerated} generated test file(s); changed-file line coverage ${fmtPct(report.coverageBefore)} → ${fmtPct(report.coverageAfter)}.`);
  return finish(report, started, options.reportPath);
}

async function generate(
  c: Candidate,
  index: number,
  total: number,
  provider: TextProvider,
  options: RunOptions,
  baseline: CoverageData,
  existingTests: readonly string[],
  logger: Logger
): Promise<void> {
  const source = await readFile(path.join(options.repoDir, c.target), 'utf8');
  const exampleFile = c.placement.siblingTest ?? existingTests[0];
  const example = exampleFile ? { file: exampleFile, content: await readFile(path.join(options.repoDir, exampleFile), 'utf8').catch(() => '') } : undefined;
  // ~3 characters per token is a safe floor for code; the answer's tokens are reserved.
  const maxChars = Math.max(1000, (provider.info().contextSize - options.maxTokens) * 3);
  const prompt = buildPrompt({ framework: 'jest', sourceFile: c.target, source, placement: c.placement, example, uncoveredLines: baseline.uncoveredLines(c.target), maxChars });
  let tokens = 0;
  let lastLog = Date.now();
  const label = `[${index + 1}/${total}] ${c.target}`;
  try {
    c.generation = await provider.chat({
      system: prompt.system,
      user: prompt.user,
      maxTokens: options.maxTokens,
      temperature: 0,
      target: c.target,
      onText: () => {
        tokens++;
        if (Date.now() - lastLog >= PROGRESS_INTERVAL_MS) {
          lastLog = Date.now();
          logger.info(`  ${label}: ~${tokens} tokens so far…`);
        }
      }
    });
    const g = c.generation;
    logger.info(`  ${label}: ${g.usage.completionTokens} tokens in ${(g.timings.generationMs / 1000).toFixed(1)} s (${g.timings.tokensPerSecond.toFixed(1)} tokens/s)${g.finishReason === 'length' ? ', cut at max-tokens' : ''}`);
    c.code = extractCode(g.text);
  } catch (error) {
    c.error = (error as Error).message;
    logger.warn(`${label}: generation failed: ${c.error}`);
  }
}

async function validate(
  c: Candidate,
  runner: TestRunner,
  scratch: ScratchCopy,
  workRoot: string,
  options: RunOptions,
  known: CoverageData,
  model: string
): Promise<{ record: CandidateRecord; coverage: CoverageData }> {
  const started = Date.now();
  const record: CandidateRecord = {
    targetFile: c.target,
    testFile: c.placement.testFile,
    status: 'rejected',
    testsPassed: 0,
    testsFailed: 0,
    coverageBefore: known.lineFigures([c.target]),
    coverageAfter: known.lineFigures([c.target]),
    promptTokens: c.generation?.usage.promptTokens ?? 0,
    completionTokens: c.generation?.usage.completionTokens ?? 0,
    generationMs: c.generation?.timings.generationMs ?? 0,
    validationMs: 0,
    provider: c.generation?.provider ?? 'local',
    model
  };
  const done = (coverage: CoverageData) => {
    record.validationMs = Date.now() - started;
    return { record, coverage };
  };
  if (c.code === undefined) {
    record.rejection = {
      stage: 'generation',
      reason: c.error ? `the model failed: ${c.error}` : `the answer held no test code${c.generation?.finishReason === 'length' ? ' (it was cut at max-tokens; raise max-tokens)' : ''}`
    };
    return done(CoverageData.empty());
  }
  await scratch.write(c.placement.testFile, c.code);
  const run = await runTests(runner, scratch, workRoot, `candidate-${slug(c.target)}`, {
    testFiles: [c.placement.testFile],
    coverageFiles: [c.target],
    timeoutMs: options.testTimeoutMs
  });
  const suite = run.suites.find((s) => s.file === c.placement.testFile);
  record.testsPassed = suite?.tests.filter((t) => t.status === 'passed').length ?? 0;
  record.testsFailed = suite?.tests.filter((t) => t.status === 'failed').length ?? 0;
  const knownShaped = known.withUnloadedFiles(run.coverage);
  record.coverageBefore = record.coverageAfter = knownShaped.lineFigures([c.target]);
  const verdict = judgeCandidate(run, c.placement.testFile, c.target, knownShaped, options.testTimeoutMs);
  if (verdict.accepted) {
    record.status = 'accepted';
    record.coverageAfter = knownShaped.merge(run.coverage).lineFigures([c.target]);
  } else {
    record.rejection = { stage: verdict.stage, reason: verdict.reason };
    await scratch.remove(c.placement.testFile);
  }
  return done(run.coverage);
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

/** Writes accepted tests into the working tree; an existing file is never replaced. */
async function deliver(records: CandidateRecord[], scratch: ScratchCopy, repoDir: string, warn: (m: string) => void): Promise<void> {
  for (const r of records.filter((x) => x.status === 'accepted')) {
    const content = await readFile(path.join(scratch.dir, r.testFile));
    const target = path.join(repoDir, r.testFile);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      const handle = await open(target, 'wx');
      await handle.writeFile(content);
      await handle.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      warn(`${r.testFile} appeared in the working tree during the run; the generated test was not written over it.`);
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

function inferenceFigures(candidates: Candidate[], info: ReturnType<TextProvider['info']>, generationMs: number, demoNotice?: string): InferenceFigures {
  const promptTokens = candidates.reduce((n, c) => n + (c.generation?.usage.promptTokens ?? 0), 0);
  const completionTokens = candidates.reduce((n, c) => n + (c.generation?.usage.completionTokens ?? 0), 0);
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

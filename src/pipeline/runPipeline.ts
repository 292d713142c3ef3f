import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadTypeScript } from '../analysis/loadTypeScript.js';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import { sumCoverageFigures } from '../coverage/coverageFigures.js';
import { deliverAcceptedTests, type DeliverySettings } from '../delivery/deliverAcceptedTests.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { Generation } from '../generation/generateCandidates.js';
import type { LoadedProvider } from '../inference/LoadedProvider.js';
import type { TextProvider } from '../inference/TextProvider.js';
import { asInfrastructureError } from '../process/InfrastructureError.js';
import type { PullRequestHost } from '../repo/ChangedFile.js';
import type { InferenceFigures, RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';
import { groupByPackage, type PackageWork } from '../targets/groupByPackage.js';
import { scopeToWorkingDirectory } from '../targets/scopeToWorkingDirectory.js';
import { selectTargets } from '../targets/selectTargets.js';
import { ScratchCopy } from '../validation/ScratchCopy.js';
import { type PackageOutcome, type PackageServices, runPackage } from './runPackage.js';

/** No package's existing suite could start: the run cannot judge any test, and the setup is what to fix. */
export class BaselineDidNotStartError extends Error {
  override readonly name = 'BaselineDidNotStartError';
  constructor(reasons: string) {
    super(`${reasons.charAt(0).toUpperCase()}${reasons.slice(1)}. Fix the repository's test setup so its own suite runs (the log above has the runner's error), then run again.`);
  }
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
  /** Directories besides the repository where a `typescript` package for source analysis may be found. */
  analysisSearchDirs?: string[];
  /** Where accepted tests go besides the working tree: the PR branch's push credentials, an artifact uploader. */
  delivery?: DeliverySettings;
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
  const { inside: changed, outside } = await scopeToWorkingDirectory(options.repoDir, await ctx.host.listChangedFiles());
  const { targets, skipped } = selectTargets(options.repoDir, changed);
  for (const file of outside) skipped.push({ file, reason: 'outside working-directory' });
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
    changedFiles: [...changed.map((c) => c.filename), ...outside],
    targets,
    skipped,
    baseline: { testsPassed: 0, testsFailed: 0, suiteFailed: false, durationMs: 0, brokenTestFiles: [], runFailures: [], coverageComplete: true },
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

  const packages = groupByPackage(options.repoDir, targets, changed, report, logger);
  const workRoot = await mkdir(ctx.tempDir, { recursive: true })
    .then(() => mkdtemp(path.join(ctx.tempDir, 'aqe-run-')))
    .catch((error: unknown) => {
      throw asInfrastructureError(error, ctx.tempDir) ?? error;
    });
  let loaded: LoadedProvider | undefined;
  try {
    const scratch = await ScratchCopy.create(options.repoDir, workRoot);
    const typescript = await loadTypeScript(options.repoDir, ctx.analysisSearchDirs ?? [], (m) => logger.info(m));
    if (!typescript) {
      warn(
        "No TypeScript compiler was found in the repository or beside aqe, so generated files are checked whole: a file with one failing test is rejected instead of pruned, and tests without assertions or repeating existing ones are not detected. Add typescript to the repository's devDependencies to enable it."
      );
    }
    const services: PackageServices = {
      options,
      scratch,
      workRoot,
      logger,
      warn,
      seed: shuffleSeed(ctx.pullRequest?.headSha),
      ...(typescript ? { typescript } : {}),
      provider: async () => {
        if (!loaded) {
          loaded = await logger.group('Loading the model', ctx.loadProvider);
          const info = loaded.provider.info();
          logger.info(`Model ${info.model} on ${info.hardware}; ${info.parallelSequences} parallel sequence(s) of ${info.contextSize} tokens; loaded in ${info.modelLoadMs} ms.`);
          if (loaded.demoNotice) logger.warn(loaded.demoNotice);
          const targetsWarning = loaded.targetsWarning?.(report.targets);
          if (targetsWarning) warn(targetsWarning);
        }
        return { provider: loaded.provider, model: loaded.provider.info().model };
      }
    };
    const outcomes: Array<{ work: PackageWork; outcome: PackageOutcome }> = [];
    for (const work of packages) outcomes.push({ work, outcome: await runPackage(work, services) });
    mergeOutcomes(report, outcomes, services.seed, options);
    if (outcomes.length > 0 && outcomes.every((o) => o.outcome.notRun !== undefined)) {
      await finish(report, started, options.reportPath);
      throw new BaselineDidNotStartError(outcomes.map((o) => o.outcome.notRun!).join('; '));
    }
    for (const r of report.candidates) logger.info(`  ${r.status} ${r.testFile}${r.rejection ? ` (${r.rejection.stage}: ${r.rejection.reason})` : ''}`);
    if (loaded) {
      const generations = outcomes.flatMap((o) => o.outcome.generations);
      report.inference = inferenceFigures(generations, loaded.provider.info(), outcomes.reduce((n, o) => n + o.outcome.generationMs, 0), loaded.demoNotice);
    }

    const accepted = await Promise.all(
      report.candidates
        .filter((r) => r.status === 'accepted')
        .map(async (r) => ({ testFile: r.testFile, targetFile: r.targetFile, content: await readFile(path.join(scratch.dir, r.testFile), 'utf8') }))
    );
    const delivery = await deliverAcceptedTests(options.onAccepted, { ...ctx.delivery, repoDir: options.repoDir, tempDir: workRoot, tests: accepted, warn });
    report.delivery = {
      requested: delivery.requested,
      mode: delivery.mode,
      files: delivery.artifact?.files ?? delivery.written,
      ...(delivery.committed ? { commit: delivery.committed } : {}),
      ...(delivery.artifact ? { artifact: delivery.artifact.name } : {})
    };
  } catch (error) {
    // A full disk or a read-only directory surfaces wherever a file is written; the user needs the directory, not the call.
    throw asInfrastructureError(error, workRoot) ?? error;
  } finally {
    await loaded?.provider.dispose().catch((e: unknown) => logger.warn(`Releasing the model failed: ${(e as Error).message}`));
    await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  logger.info(`Accepted ${report.testsAccepted} of ${report.testsGenerated} generated test file(s); changed-file line coverage ${fmtPct(report.coverageBefore)} → ${fmtPct(report.coverageAfter)}.`);
  return finish(report, started, options.reportPath);
}

/** Package outcomes into the report, with package-relative paths made repo-relative again. */
function mergeOutcomes(report: RunReport, outcomes: Array<{ work: PackageWork; outcome: PackageOutcome }>, seed: number, options: RunOptions): void {
  const inRepo = (work: PackageWork, file: string): string => (work.packageDir === '' ? file : path.posix.join(work.packageDir, file));
  report.candidates = outcomes.flatMap(({ work, outcome }) => outcome.records.map((r) => ({ ...r, targetFile: inRepo(work, r.targetFile), testFile: inRepo(work, r.testFile) })));
  report.candidates.sort((a, b) => a.targetFile.localeCompare(b.targetFile));
  const baselines = outcomes.map((o) => o.outcome.baseline);
  const brokenTestFiles = baselines.flatMap((b) => b.health.brokenTestFiles);
  const runFailures = baselines.flatMap((b) => (b.health.runFailure ? [b.health.runFailure] : []));
  report.baseline = {
    testsPassed: baselines.reduce((n, b) => n + b.passed, 0),
    testsFailed: baselines.reduce((n, b) => n + b.failed, 0),
    suiteFailed: baselines.some((b) => b.failed > 0 || b.runnerError !== undefined) || brokenTestFiles.length > 0,
    durationMs: baselines.reduce((n, b) => n + b.durationMs, 0),
    brokenTestFiles,
    runFailures,
    coverageComplete: brokenTestFiles.length === 0 && runFailures.length === 0
  };
  // Targets of a package whose suite did not start were never worked on: they are skipped, with why.
  for (const { work, outcome } of outcomes.filter((o) => o.outcome.notRun !== undefined)) {
    const files = work.targets.map((t) => inRepo(work, t));
    report.targets = report.targets.filter((t) => !files.includes(t));
    for (const file of files) report.skipped.push({ file, reason: outcome.notRun! });
  }
  report.coverageBefore = sumCoverageFigures(outcomes.map((o) => o.outcome.before));
  report.coverageAfter = sumCoverageFigures(outcomes.map((o) => o.outcome.after));
  report.changedLinesBefore = sumCoverageFigures(outcomes.map((o) => o.outcome.changedBefore));
  report.changedLinesAfter = sumCoverageFigures(outcomes.map((o) => o.outcome.changedAfter));
  // A target the model produced no test file for is a candidate (with its reason), not a generated test.
  report.testsGenerated = report.candidates.filter((r) => r.rejection?.stage !== 'generation').length;
  report.testsAccepted = report.candidates.filter((r) => r.status === 'accepted').length;
  const stats = outcomes.flatMap((o) => (o.outcome.validation ? [o.outcome.validation] : []));
  report.validation = {
    strategy: 'batched',
    seed,
    repeatRuns: options.repeatRuns,
    maxRepairs: options.maxRepairs,
    processes: stats.reduce((n, v) => n + v.processes, 0),
    fileRuns: stats.reduce((n, v) => n + v.fileRuns, 0),
    durationMs: stats.reduce((n, v) => n + v.durationMs, 0)
  };
}

/** Same pull request head, same shuffled orders: a run can be repeated exactly. */
function shuffleSeed(headSha: string | undefined): number {
  return headSha && /^[0-9a-f]{8}/i.test(headSha) ? Number.parseInt(headSha.slice(0, 8), 16) % 1_000_000 : 1;
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
    ...(info.gpu ? { gpu: { ...info.gpu } } : {}),
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

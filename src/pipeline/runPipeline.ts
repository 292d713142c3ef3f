import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadTypeScript } from '../analysis/loadTypeScript.js';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import type { IsolationInEffect } from '../core/Isolation.js';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import { deliverAcceptedTests, type DeliverySettings } from '../delivery/deliverAcceptedTests.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { LoadedProvider } from '../inference/LoadedProvider.js';
import { asInfrastructureError } from '../process/InfrastructureError.js';
import type { PullRequestHost } from '../repo/ChangedFile.js';
import { buildRunReport, inferenceFigures, type PackageResult } from '../reporting/buildRunReport.js';
import type { DeliveryFigures, InferenceFigures, RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';
import { findTargets } from '../targets/findTargets.js';
import { groupByPackage, type PackageWork } from '../targets/groupByPackage.js';
import { TestSandbox } from '../sandbox/TestSandbox.js';
import { ScratchCopy } from '../validation/ScratchCopy.js';
import { type PackageOutcome, type PackageServices, runPackage } from './runPackage.js';

/** No package's existing suite could start: the run cannot judge any test, and the setup is what to fix. */
export class BaselineDidNotStartError extends Error {
  override readonly name = 'BaselineDidNotStartError';
  constructor(reasons: string) {
    super(
      `${reasons.charAt(0).toUpperCase()}${reasons.slice(1)}. Fix the repository's test setup so its own suite runs (the log above has the runner's error), then run again.`
    );
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
 * One run from a pull request to a report, stage by stage: targets → (per package) baseline →
 * generate → validate → accept → deliver → report. Each stage returns its result; the report is
 * built once from them at the end and written as JSON.
 */
export async function runPipeline(ctx: PipelineContext): Promise<RunReport> {
  const { options, logger } = ctx;
  const startedAt = Date.now();
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    logger.warn(message);
  };
  const found = await findTargets(ctx.host, options.repoDir, logger);
  const grouped = found.targets.length > 0 ? groupByPackage(options.repoDir, found.targets, found.changed, logger) : { packages: [], skipped: [] };
  const worked = grouped.packages.length > 0 ? await runPackages(ctx, grouped.packages, warn) : undefined;
  if (!worked) logger.info('Nothing to generate: no changed JavaScript/TypeScript source files with code of their own.');

  const report = buildRunReport({
    toolVersion: ctx.toolVersion,
    startedAt,
    finishedAt: Date.now(),
    repository: ctx.repository,
    pullRequest: ctx.pullRequest,
    changedFiles: found.changedFiles,
    targets: found.targets.filter((t) => !grouped.skipped.some((s) => s.file === t)),
    skipped: [...found.skipped, ...grouped.skipped],
    packages: worked?.packages ?? [],
    validationSettings: { seed: shuffleSeed(ctx.pullRequest?.headSha), repeatRuns: options.repeatRuns, maxRepairs: options.maxRepairs },
    ...(worked?.inference ? { inference: worked.inference } : {}),
    ...(worked?.delivery ? { delivery: worked.delivery } : {}),
    ...(worked?.isolation ? { isolation: worked.isolation } : {}),
    warnings
  });
  await writeJsonReport(report, options.reportPath);
  if (worked && worked.packages.every((p) => p.notRun !== undefined)) throw new BaselineDidNotStartError(worked.packages.map((p) => p.notRun!).join('; '));
  for (const r of report.candidates) logger.info(`  ${r.status} ${r.testFile}${r.rejection ? ` (${r.rejection.stage}: ${r.rejection.reason})` : ''}`);
  if (worked) {
    logger.info(
      `Accepted ${report.testsAccepted} of ${report.testsGenerated} generated test file(s); changed-file line coverage ${fmtPct(report.coverageBefore)} → ${fmtPct(report.coverageAfter)}.`
    );
  }
  return report;
}

/** What the packages' stages and the delivery produced, for the report. */
interface PackagesWorked {
  packages: PackageResult[];
  inference?: InferenceFigures;
  delivery?: DeliveryFigures;
  isolation: RunReport['isolation'];
}

/**
 * Every package through its stages in one scratch copy of the repository, with the model loaded
 * on first use and released at the end, then the accepted tests delivered. The scratch copy goes
 * whatever happens; a full disk or an unwritable directory ends the run naming it.
 */
async function runPackages(ctx: PipelineContext, packages: PackageWork[], warn: (message: string) => void): Promise<PackagesWorked> {
  const { options, logger } = ctx;
  const workRoot = await mkdir(ctx.tempDir, { recursive: true })
    .then(() => mkdtemp(path.join(ctx.tempDir, 'aqe-run-')))
    .catch((error: unknown) => {
      throw asInfrastructureError(error, ctx.tempDir) ?? error;
    });
  let loaded: LoadedProvider | undefined;
  let sandbox: TestSandbox | undefined;
  const isolation = (): PackagesWorked['isolation'] => (sandbox ? { ...sandbox.isolation, events: [...sandbox.events] } : undefined);
  try {
    const scratch = await ScratchCopy.create(options.repoDir, workRoot);
    sandbox = await TestSandbox.prepare({
      option: options.sandbox,
      workRoot,
      scratchDir: scratch.dir,
      repoDir: options.repoDir,
      linkedDirs: scratch.linkedDirs,
      passThrough: options.testEnv
    });
    reportIsolation(sandbox.isolation, logger, warn);
    const typescript = await loadTypeScript(options.repoDir, ctx.analysisSearchDirs ?? [], (m) => logger.info(m));
    if (!typescript) {
      warn(
        "No TypeScript compiler was found in the repository or beside aqe, so generated files are checked whole: a file with one failing test is rejected instead of pruned, and tests without assertions or repeating existing ones are not detected. Add typescript to the repository's devDependencies to enable it."
      );
    }
    const services: PackageServices = {
      options,
      scratch,
      sandbox,
      workRoot,
      logger,
      warn,
      seed: shuffleSeed(ctx.pullRequest?.headSha),
      ...(typescript ? { typescript } : {}),
      provider: async () => {
        if (!loaded) {
          loaded = await logger.group('Loading the model', ctx.loadProvider);
          const info = loaded.provider.info();
          logger.info(
            `Model ${info.model} on ${info.hardware}; ${info.parallelSequences} parallel sequence(s) of ${info.contextSize} tokens; loaded in ${info.modelLoadMs} ms.`
          );
          if (loaded.demoNotice) logger.warn(loaded.demoNotice);
          const targetsWarning = loaded.targetsWarning?.(
            packages.flatMap((p) => p.targets.map((t) => (p.packageDir === '' ? t : path.posix.join(p.packageDir, t))))
          );
          if (targetsWarning) warn(targetsWarning);
        }
        return { provider: loaded.provider, model: loaded.provider.info().model };
      }
    };
    const outcomes: PackageOutcome[] = [];
    for (const work of packages) outcomes.push(await runPackage(work, services));
    const results = outcomes.map((o) => o.result);
    const answers = outcomes.flatMap((o) => o.generations.flatMap((g) => g.answers));
    const inference = loaded
      ? inferenceFigures(
          loaded.provider.info(),
          { promptTokens: answers.reduce((n, a) => n + a.usage.promptTokens, 0), completionTokens: answers.reduce((n, a) => n + a.usage.completionTokens, 0) },
          outcomes.reduce((n, o) => n + o.generationMs, 0),
          loaded.demoNotice
        )
      : undefined;
    if (results.every((r) => r.notRun !== undefined)) return { packages: results, ...(inference ? { inference } : {}), isolation: isolation() };
    const delivery = await deliver(ctx, results, scratch.dir, workRoot, warn);
    return { packages: results, ...(inference ? { inference } : {}), delivery, isolation: isolation() };
  } catch (error) {
    // A full disk or a read-only directory surfaces wherever a file is written; the user needs the directory, not the call.
    throw asInfrastructureError(error, workRoot) ?? error;
  } finally {
    await loaded?.provider.dispose().catch((e: unknown) => logger.warn(`Releasing the model failed: ${(e as Error).message}`));
    await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The accepted tests, as proven in the scratch copy, go where on-accepted says. */
async function deliver(
  ctx: PipelineContext,
  results: PackageResult[],
  scratchDir: string,
  workRoot: string,
  warn: (message: string) => void
): Promise<DeliveryFigures> {
  const accepted = await Promise.all(
    results
      .flatMap((r) => r.candidates)
      .filter((c) => c.status === 'accepted')
      .map(async (c) => ({ testFile: c.testFile, targetFile: c.targetFile, content: await readFile(path.join(scratchDir, c.testFile), 'utf8') }))
  );
  const delivery = await deliverAcceptedTests(ctx.options.onAccepted, {
    ...ctx.delivery,
    repoDir: ctx.options.repoDir,
    tempDir: workRoot,
    tests: accepted,
    warn
  });
  return {
    requested: delivery.requested,
    mode: delivery.mode,
    files: delivery.artifact?.files ?? delivery.written,
    ...(delivery.committed ? { commit: delivery.committed } : {}),
    ...(delivery.artifact ? { artifact: delivery.artifact.name } : {})
  };
}

/** The log says which confinement is in effect; a fallback the user did not ask for is a warning naming what it lacks. */
function reportIsolation(isolation: IsolationInEffect, logger: Logger, warn: (message: string) => void): void {
  if (isolation.kind === 'namespaces') {
    logger.info(`Tests run confined by ${isolation.tool}: ${isolation.guarantees.join('; ')}.`);
  } else if (isolation.requested === 'off') {
    logger.info(`sandbox is off: tests run with ${isolation.guarantees.join('; ')}. Not confined: ${isolation.gaps.join('; ')}.`);
  } else {
    warn(
      `Tests run without namespaces (${isolation.reason}), so only the fallback confines them: ${isolation.guarantees.join('; ')}. Not confined: ${isolation.gaps.join('; ')}. Install bubblewrap on the runner, or set sandbox to require to fail instead.`
    );
  }
}

/** Same pull request head, same shuffled orders: a run can be repeated exactly. */
function shuffleSeed(headSha: string | undefined): number {
  return headSha && /^[0-9a-f]{8}/i.test(headSha) ? Number.parseInt(headSha.slice(0, 8), 16) % 1_000_000 : 1;
}

function fmtPct(f: CoverageFigures): string {
  return f.linesPct === null ? 'n/a' : `${f.linesPct}%`;
}

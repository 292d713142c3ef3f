import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadTypeScript } from '../analysis/loadTypeScript.js';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import { CONFINEMENT_EVENT_LABELS, type IsolationInEffect } from '../core/Isolation.js';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import type { AcceptedTest } from '../delivery/AcceptedTest.js';
import { deliverAcceptedTests, type DeliverySettings } from '../delivery/deliverAcceptedTests.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import { ProviderUnavailableError } from '../inference/errors.js';
import type { LoadedProvider } from '../inference/LoadedProvider.js';
import { ModelDownloadError } from '../inference/model/errors.js';
import { processesSettled, removeOnForcedStop, RunCancelledError, throwIfCancelled } from '../process/cancellation.js';
import { asInfrastructureError } from '../process/InfrastructureError.js';
import type { PullRequestHost } from '../repo/ChangedFile.js';
import { buildRunReport, inferenceFigures, type PackageResult, type RoutingResults } from '../reporting/buildRunReport.js';
import type { HybridRouter } from '../routing/HybridRouter.js';
import type { CancelledRun, DeliveryFigures, InferenceFigures, RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';
import { PhaseClock } from '../reporting/phaseTimes.js';
import { createRouter, routingResults } from './createRouter.js';
import { type FoundTargets, findTargets } from '../targets/findTargets.js';
import { groupByPackage, type PackageWork } from '../targets/groupByPackage.js';
import { TestSandbox } from '../sandbox/TestSandbox.js';
import { ScratchCopy } from '../validation/ScratchCopy.js';
import { packageRoot } from '../core/packageRoot.js';
import { AuditLog } from '../privacy/AuditLog.js';
import { type EgressConfinement, type EgressPlan, type FirewallStateStore, planEgressConfinement } from './confineEgress.js';
import { AuditReader, complianceSection, type EnforcementHeld } from './complianceSection.js';
import { PackageCancelledError, type PackageOutcome, type PackageServices, runPackage } from './runPackage.js';
import { type ArtifactTestFile, publishRunArtifact, type RejectedTestFile, type RunArtifactTarget } from './runArtifact.js';

/** No package's existing suite could start: the run cannot judge any test, and the setup is what to fix. */
export class BaselineDidNotStartError extends Error {
  override readonly name = 'BaselineDidNotStartError';
  constructor(reasons: string) {
    super(
      `${reasons.charAt(0).toUpperCase()}${reasons.slice(1)}. Fix the repository's test setup so its own suite runs (the log above has the runner's error), then run again.`
    );
  }
}

/**
 * The run was cancelled (SIGINT/SIGTERM): its processes were stopped, its work directory removed,
 * nothing was delivered, and the report of what had finished was written; `report` is that report.
 */
export class PipelineCancelledError extends RunCancelledError {
  constructor(
    readonly report: RunReport & { cancelled: CancelledRun },
    readonly reportPath: string
  ) {
    super(
      report.cancelled.signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM',
      ` during ${report.cancelled.during}: its test processes were stopped, its scratch copy removed and nothing was delivered. The report of what had finished is at ${reportPath}`
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
  /** privacy strict: the bundled egress guard (dist/egressGuardPreload.js by default), and where the firewall is kept for the post step. */
  egress?: { preloadFile?: string; firewallState?: FirewallStateStore };
  /** Where the run artifact goes when report-artifact is on; absent = the host offers none (the caller says why). */
  runArtifact?: RunArtifactTarget;
}

/**
 * One run from a pull request to a report, stage by stage: targets → (per package) baseline →
 * generate → validate → accept → deliver → report. Each stage returns its result; the report is
 * built once from them at the end and written as JSON.
 */
export async function runPipeline(ctx: PipelineContext): Promise<RunReport> {
  const { options, logger } = ctx;
  const startedAt = Date.now();
  const clock = new PhaseClock();
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    logger.warn(message);
  };
  let found: FoundTargets = { changedFiles: [], changed: [], targets: [], skipped: [] };
  let grouped: ReturnType<typeof groupByPackage> = { packages: [], skipped: [] };
  let worked: PackagesWorked | undefined;
  const audit = new AuditLog(options.privacy.auditLog);
  const auditReader = AuditReader.from(audit);
  // Before anything is read: privacy-require-isolation fails here when no OS layer can be had.
  const egress =
    options.routing.privacy === 'strict'
      ? await planEgressConfinement({
          privacy: options.privacy,
          audit,
          preloadFile: ctx.egress?.preloadFile ?? path.join(packageRoot(), 'dist', 'egressGuardPreload.js'),
          logger,
          ...(ctx.egress?.firewallState ? { firewallState: ctx.egress.firewallState } : {})
        })
      : undefined;
  audit.append({ type: 'run', time: new Date().toISOString(), event: 'start', privacy: options.routing.privacy, enforcement: egress?.layers ?? [] });
  try {
    found = await clock.time('targets', () => findTargets(ctx.host, options.repoDir, logger, options.shard));
    if (found.targets.length > 0) grouped = groupByPackage(options.repoDir, found.targets, found.changed, logger);
    if (grouped.packages.length > 0)
      worked = await runPackages(ctx, grouped.packages, warn, { audit, ...(egress ? { plan: egress } : {}) }, clock, found.allTargets);
  } catch (error) {
    if (!(error instanceof RunCancelledError)) throw error;
    // Reading the pull request's changes (git, the API) is all that had begun.
    worked = { packages: [], isolation: undefined, cancelled: { signal: error.signal, during: 'reading the pull request’s changes', unfinished: [] } };
  }
  if (worked?.cancelled) warn(cancellationWarning(worked.cancelled, worked.packages));
  else if (!worked && found.targets.length === 0 && found.allTargets?.length)
    logger.info(`Nothing to generate in this shard: the other shards have all ${found.allTargets.length} target(s).`);
  else if (!worked) logger.info('Nothing to generate: no changed JavaScript/TypeScript source files with code of their own.');

  const audited = auditReader.read();
  if (audited.skipped > 0) {
    warn(
      `${audited.skipped} line(s) of this run in the audit log ${options.privacy.auditLog} are not valid entries and were not counted; the file keeps them as written.`
    );
  }
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
    ...(worked?.routing ? { routing: worked.routing } : {}),
    ...(worked?.delivery ? { delivery: worked.delivery } : {}),
    ...(worked?.isolation ? { isolation: worked.isolation } : {}),
    compliance: complianceSection(options, audited.entries, worked?.enforcement ?? { layers: [], gaps: egress?.gaps ?? [] }),
    ...(worked?.cancelled ? { cancelled: worked.cancelled } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
    warnings,
    coverageGates: options.coverageGates,
    phases: clock.phases()
  });
  await writeJsonReport(report, options.reportPath);
  if (report.cancelled) throw new PipelineCancelledError({ ...report, cancelled: report.cancelled }, options.reportPath);
  if (options.reportArtifact && ctx.runArtifact) {
    const files = worked?.artifactFiles ?? { accepted: [], rejected: [] };
    const contents = { reportFile: options.reportPath, schemaVersion: report.schemaVersion, audit: audited.entries, ...files };
    await publishRunArtifact(contents, ctx.runArtifact, ctx.tempDir, logger);
  }
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
  routing?: RoutingResults;
  delivery?: DeliveryFigures;
  isolation: RunReport['isolation'];
  /** privacy strict: the layers that held during the packages' stages, and what they did not cover. */
  enforcement?: EnforcementHeld;
  /** Set when the run was cancelled: `packages` are then those that finished, and the one under way as it stood. */
  cancelled?: CancelledRun;
  /** The test files the run artifact holds (report-artifact), read before the scratch copy goes. */
  artifactFiles?: { accepted: ArtifactTestFile[]; rejected: RejectedTestFile[] };
}

/** The run's audit log, and strict mode's plan when privacy is strict. */
interface PrivacyRun {
  audit: AuditLog;
  plan?: EgressPlan;
}

/**
 * Every package through its stages in one scratch copy of the repository, with the model loaded
 * on first use and released at the end, then the accepted tests delivered. The scratch copy goes
 * whatever happens; a full disk or an unwritable directory ends the run naming it.
 */
async function runPackages(
  ctx: PipelineContext,
  packages: PackageWork[],
  warn: (message: string) => void,
  privacy: PrivacyRun,
  clock: PhaseClock,
  runTargets?: readonly string[]
): Promise<PackagesWorked> {
  const { options, logger } = ctx;
  const workRoot = await mkdir(ctx.tempDir, { recursive: true })
    .then(() => mkdtemp(path.join(ctx.tempDir, 'aqe-run-')))
    .catch((error: unknown) => {
      throw asInfrastructureError(error, ctx.tempDir) ?? error;
    });
  // A forced stop (a second signal) has no time to unwind: it removes the directory itself.
  const releaseWorkRoot = removeOnForcedStop(workRoot);
  const router = createRouter({ ...ctx, audit: privacy.audit, ...(runTargets ? { runTargets } : {}) }, packages, warn);
  let sandbox: TestSandbox | undefined;
  let confinement: EgressConfinement | undefined;
  let step = 'preparing the scratch copy';
  const setupStarted = Date.now();
  const outcomes: PackageOutcome[] = [];
  const isolation = (): PackagesWorked['isolation'] => (sandbox ? { ...sandbox.isolation, events: [...sandbox.events] } : undefined);
  const { plan } = privacy;
  let enforcement: EnforcementHeld | undefined;
  /** Ends strict mode's drop once, before delivery (or on the way out), and records what held. */
  const lift = async (): Promise<void> => {
    if (!plan || !confinement || enforcement) return;
    const lifted = await confinement.lift();
    enforcement = { ...enforcementOf(confinement, sandbox?.isolation), ...lifted };
    privacy.audit.append({ type: 'run', time: new Date().toISOString(), event: 'end', privacy: 'strict', enforcement: [...enforcement.layers] });
  };
  try {
    if (plan) {
      // The model (and its runtime) come first: restoring or downloading them needs the network the drop takes away.
      const unavailable = await router.prepareLocal();
      if (unavailable && (unavailable.error instanceof ModelDownloadError || unavailable.error instanceof ProviderUnavailableError)) {
        warn(
          'privacy strict runs on a model that is on the runner, and it could not be had here. To run offline, give model a path to a GGUF file on the runner (restored with actions/cache or built into the image) and llama-runtime a directory where node-llama-cpp is installed; a model cache (model-cache) that already holds the model also works.'
        );
      }
    }
    const scratch = await ScratchCopy.create(options.repoDir, workRoot);
    sandbox = await TestSandbox.prepare({
      option: options.sandbox,
      workRoot,
      scratchDir: scratch.dir,
      repoDir: options.repoDir,
      linkedDirs: scratch.linkedDirs,
      passThrough: options.testEnv,
      ...(plan ? { suiteOffline: true, egressGuard: { preloadFile: plan.preloadFile, policy: plan.policy, audit: privacy.audit } } : {})
    });
    // After the sandbox's probe: the guard handed to every child would be loaded by the probe's Node too, from a path
    // its namespace hides (the action's checkout under HOME), and the probe would fail.
    if (plan) confinement = await plan.engage();
    reportIsolation(sandbox.isolation, logger, warn);
    if (plan) reportEnforcement(plan, sandbox.isolation, confinement!, logger, warn);
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
      router
    };
    clock.add('setup', Date.now() - setupStarted);
    for (const work of packages) outcomes.push(await runPackage(work, services));
    if (router.fallbacks() > 0) {
      warn(`${router.fallbacks()} model request(s) failed on one tier and went to the other (fallback); the routing section names each with its error.`);
    }
    const budget = router.budget;
    if (budget.exhausted) {
      warn(
        `max-cloud-usd ($${budget.maxUsd ?? 0}) was reached: ${budget.tasksKeptLocal} task(s) ran on the local model instead of the cloud; $${budget.spentUsd.toFixed(4)} was spent.`
      );
    }
    if (sandbox.auditFailure) warn(`The audit log is incomplete: a test run's refused connections could not be added (${sandbox.auditFailure}).`);
    for (const e of sandbox.events) logger.info(`Sandbox, ${e.run}${e.testFile ? ` (${e.testFile})` : ''}: ${CONFINEMENT_EVENT_LABELS[e.kind]}: ${e.detail}`);
    const results = outcomes.map((o) => o.result);
    const inference = inferenceOf(router, outcomes);
    const routing = routingResults(options, router);
    // Delivery and the comment talk to GitHub: the drop covers analysis, generation and the test runs.
    await lift();
    const held = enforcement ? { enforcement } : {};
    if (results.every((r) => r.notRun !== undefined))
      return { packages: results, ...(inference ? { inference } : {}), routing, isolation: isolation(), ...held };
    // The last moment a cancellation keeps the working tree as it was.
    throwIfCancelled();
    step = 'delivering the accepted tests';
    // Read once from the scratch copy, where they were proven: delivery hands them on, the run artifact keeps a copy.
    const accepted = await readAcceptedTests(results, scratch.dir);
    const artifact = options.reportArtifact
      ? { artifactFiles: { accepted: accepted.map(({ testFile, content }) => ({ testFile, content })), rejected: outcomes.flatMap((o) => o.rejected ?? []) } }
      : {};
    const delivery = await clock.time('delivery', () => deliver(ctx, accepted, workRoot, warn));
    return { packages: results, ...(inference ? { inference } : {}), routing, delivery, isolation: isolation(), ...held, ...artifact };
  } catch (error) {
    if (error instanceof RunCancelledError) {
      // What had finished is reported: the packages done, the one under way as it stood, the rest not started.
      if (error instanceof PackageCancelledError) outcomes.push(error.partial);
      const notStarted = packages
        .slice(outcomes.length)
        .flatMap((p) => p.targets.map((t) => ({ targetFile: p.packageDir === '' ? t : path.posix.join(p.packageDir, t), state: 'not started' })));
      const cancelled: CancelledRun = {
        signal: error.signal,
        during: error instanceof PackageCancelledError ? error.during : step,
        unfinished: [...(error instanceof PackageCancelledError ? error.unfinished : []), ...notStarted]
      };
      const inference = inferenceOf(router, outcomes);
      await lift().catch(() => undefined);
      return {
        packages: outcomes.map((o) => o.result),
        ...(inference ? { inference } : {}),
        routing: routingResults(options, router),
        isolation: isolation(),
        ...(enforcement ? { enforcement } : {}),
        cancelled
      };
    }
    // A full disk or a read-only directory surfaces wherever a file is written; the user needs the directory, not the call.
    throw asInfrastructureError(error, workRoot) ?? error;
  } finally {
    await lift().catch((e: unknown) => logger.warn(`Ending the egress drop failed: ${(e as Error).message}`));
    await router.dispose().catch((e: unknown) => logger.warn(`Releasing the model failed: ${(e as Error).message}`));
    await removeWorkRoot(workRoot);
    releaseWorkRoot();
  }
}

/** The inference section, from the answers of the packages that got that far; undefined when no model answered. */
function inferenceOf(router: HybridRouter, outcomes: readonly PackageOutcome[]): InferenceFigures | undefined {
  const loaded = router.loadedLocal();
  const generations = outcomes.flatMap((o) => o.generations);
  // A cloud-only run loads no local model: its section describes the remote provider.
  const info = loaded?.provider.info() ?? generations[0]?.provider.info();
  if (!info) return undefined;
  const answers = generations.flatMap((g) => g.answers);
  return inferenceFigures(
    info,
    { promptTokens: answers.reduce((n, a) => n + a.usage.promptTokens, 0), completionTokens: answers.reduce((n, a) => n + a.usage.completionTokens, 0) },
    outcomes.reduce((n, o) => n + o.generationMs, 0),
    loaded?.demoNotice
  );
}

/**
 * Removes the run's work directory once no process of the run is left to write into it. After a
 * cancellation, stages that ran side by side (validation workers) may still be finishing a write
 * that recreates a folder in it, so it is checked again after they have had a moment.
 */
async function removeWorkRoot(workRoot: string): Promise<void> {
  await processesSettled();
  for (let attempt = 0; attempt < 5; attempt++) {
    await rm(workRoot, { recursive: true, force: true, maxRetries: 2 }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!existsSync(workRoot)) return;
  }
}

/** The report's warning for a cancelled run: that nothing was delivered, and how much had finished. */
function cancellationWarning(cancelled: CancelledRun, packages: readonly PackageResult[]): string {
  const judged = packages.reduce((n, p) => n + p.candidates.length, 0);
  const delivering = cancelled.during === 'delivering the accepted tests';
  return [
    `The run was cancelled by ${cancelled.signal} during ${cancelled.during}.`,
    delivering
      ? 'The accepted tests were being delivered: check the working tree (or the branch) for files that had already been written.'
      : 'Nothing was delivered, and the working tree is unchanged.',
    `The report holds what had finished: ${packages.length} package(s) with their baseline, ${judged} candidate(s) with a verdict; ${cancelled.unfinished.length} target(s) had none yet.`
  ].join(' ');
}

/** The accepted test files as proven in the scratch copy. */
function readAcceptedTests(results: PackageResult[], scratchDir: string): Promise<AcceptedTest[]> {
  return Promise.all(
    results
      .flatMap((r) => r.candidates)
      .filter((c) => c.status === 'accepted')
      .map(async (c) => ({ testFile: c.testFile, targetFile: c.targetFile, content: await readFile(path.join(scratchDir, c.testFile), 'utf8') }))
  );
}

/** The accepted tests, as proven in the scratch copy, go where on-accepted says. */
async function deliver(ctx: PipelineContext, accepted: AcceptedTest[], workRoot: string, warn: (message: string) => void): Promise<DeliveryFigures> {
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
  for (const step of isolation.setup ?? []) logger.info(`Sandbox setup on this GitHub-hosted runner: ${step}.`);
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

/** The layers of aqe's own process tree, and the sandbox's network namespace where the test runs had one. */
function enforcementOf(confinement: EgressConfinement, isolation: IsolationInEffect | undefined): EnforcementHeld {
  const sandboxed = isolation?.kind === 'namespaces';
  // The firewall and a container without network hold for the test runs too: they are aqe's children.
  const covered = sandboxed || confinement.layers.some((l) => l === 'firewall' || l === 'container-network-none');
  return {
    layers: [...confinement.layers, ...(sandboxed ? (['sandbox-network'] as const) : [])],
    gaps: [
      ...confinement.gaps,
      ...(covered
        ? []
        : [
            `the test runs have no network namespace of their own (${isolation?.reason ?? 'no test ran'}): a non-Node process a test starts (curl) is not covered there`
          ])
    ]
  };
}

/** The log says which layers hold strict mode's drop; where no OS layer covers a kind of process, a warning says so. */
function reportEnforcement(
  plan: EgressPlan,
  isolation: IsolationInEffect,
  confinement: EgressConfinement,
  logger: Logger,
  warn: (message: string) => void
): void {
  const { layers: all, gaps } = enforcementOf(confinement, isolation);
  if (all.length === 1) {
    warn(
      `privacy strict: enforcement: in-process only; non-Node processes not covered (${gaps.join('; ')}). Set privacy-require-isolation to true to fail instead.`
    );
    return;
  }
  logger.info(
    `privacy strict: egress dropped by ${all.join(', ')}; only loopback${plan.policy.allow.length > 0 ? ' and allowed-endpoints' : ''} can be reached.`
  );
  if (gaps.length > 0) warn(`privacy strict: ${gaps.join('; ')}.`);
}

/** Same pull request head, same shuffled orders: a run can be repeated exactly. */
function shuffleSeed(headSha: string | undefined): number {
  return headSha && /^[0-9a-f]{8}/i.test(headSha) ? Number.parseInt(headSha.slice(0, 8), 16) % 1_000_000 : 1;
}

function fmtPct(f: CoverageFigures): string {
  return f.linesPct === null ? 'n/a' : `${f.linesPct}%`;
}

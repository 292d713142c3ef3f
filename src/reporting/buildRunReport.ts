import type { CoverageGateOptions } from '../core/RunOptions.js';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import type { PackageBaseline } from '../core/verdicts.js';
import { sumCoverageFigures } from '../coverage/coverageFigures.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { ShardSpec } from '../core/Shard.js';
import type { RouteDecision, RoutingOptions } from '../core/Routing.js';
import type { ProviderInfo } from '../inference/TextProvider.js';
import { buildCostSection } from '../routing/costAccounting.js';
import { DEFAULT_CLOUD_MODEL, resolvePrice } from '../routing/priceTable.js';
import type { CostSection, ProviderTelemetry, RoutingSection } from '../routing/RoutingFigures.js';
import type { CandidateRecord, DeliveryFigures, InferenceFigures, PhaseTime, RunReport } from './RunReport.js';
import { sumPhaseTimes } from './phaseTimes.js';
import { evaluateCoverageGates } from './coverageGates.js';

/** What one package's stages produced; paths repo-relative. */
export interface PackageResult {
  /** Repo-relative package directory ('' = root). */
  packageDir: string;
  /** The package's targets, repo-relative. */
  targets: string[];
  baseline: PackageBaseline;
  /** Set when the package's suite did not start: its targets were not worked on, and this says why. */
  notRun?: string;
  candidates: CandidateRecord[];
  validation?: { processes: number; fileRuns: number; durationMs: number };
  /** Line coverage of the package's targets, and of their changed lines, before and after. */
  before: CoverageFigures;
  after: CoverageFigures;
  changedBefore: CoverageFigures;
  changedAfter: CoverageFigures;
  /** Changed lines no test covers after the accepted ones, repo-relative; files with none left out. */
  uncoveredChangedAfter?: Array<{ file: string; lines: number[] }>;
  /** Wall time of the package's stages that ran. */
  phases?: PhaseTime[];
}

/** What the router did: its settings, every decision, each provider's figures and the budget as it ended. */
export interface RoutingResults {
  options: RoutingOptions;
  /** The configuration file that was read, repo-relative. */
  configFile?: string;
  decisions: RouteDecision[];
  telemetry: ProviderTelemetry[];
  budget: { readonly maxUsd: number | null; readonly spentUsd: number; readonly exhausted: boolean; readonly tasksKeptLocal: number };
  fallbacks: number;
}

/** Everything a run found out, stage by stage: the report is made from this once, at the end. */
export interface RunResults {
  toolVersion: string;
  startedAt: number;
  finishedAt: number;
  repository: string;
  pullRequest: PullRequestInfo | null;
  /** Every changed file of the pull request, repo-relative, those outside working-directory included. */
  changedFiles: string[];
  /** Targets that went to a package. */
  targets: string[];
  skipped: Array<{ file: string; reason: string }>;
  packages: PackageResult[];
  validationSettings: { seed: number; repeatRuns: number; maxRepairs: number };
  inference?: InferenceFigures;
  routing?: RoutingResults;
  delivery?: DeliveryFigures;
  isolation?: RunReport['isolation'];
  compliance?: RunReport['compliance'];
  cancelled?: RunReport['cancelled'];
  /** The job's part of a sharded run. */
  shard?: ShardSpec;
  warnings: string[];
  /** The coverage gates the run is judged by; their verdicts go into the report. */
  coverageGates?: CoverageGateOptions;
  /** Wall time of the run's own phases (targets, setup, delivery); the packages carry theirs. */
  phases?: PhaseTime[];
}

export function buildRunReport(r: RunResults): RunReport {
  const worked = r.packages.filter((p) => p.notRun === undefined);
  const notRun = r.packages.filter((p) => p.notRun !== undefined);
  const candidates = r.packages.flatMap((p) => p.candidates).sort((a, b) => a.targetFile.localeCompare(b.targetFile));
  const notRunTargets = new Set(notRun.flatMap((p) => p.targets));
  const report: RunReport = {
    schemaVersion: 1,
    tool: { name: 'aqe/local-inference', version: r.toolVersion },
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.finishedAt - r.startedAt,
    repository: r.repository,
    pullRequest: r.pullRequest
      ? { number: r.pullRequest.number, title: r.pullRequest.title, baseSha: r.pullRequest.baseSha, headSha: r.pullRequest.headSha, url: r.pullRequest.url }
      : null,
    changedFiles: r.changedFiles,
    targets: r.targets.filter((t) => !notRunTargets.has(t)),
    // Targets of a package whose suite did not start were never worked on: they are skipped, with why.
    skipped: [...r.skipped, ...notRun.flatMap((p) => p.targets.map((file) => ({ file, reason: p.notRun! })))],
    baseline: baselineFigures(r.packages),
    coverageBefore: sumCoverageFigures(r.packages.map((p) => p.before)),
    coverageAfter: sumCoverageFigures(r.packages.map((p) => p.after)),
    candidates,
    // A target the model produced no test file for is a candidate (with its reason), not a generated test.
    testsGenerated: candidates.filter((c) => c.rejection?.stage !== 'generation').length,
    testsAccepted: candidates.filter((c) => c.status === 'accepted').length,
    inference: r.inference ?? { ...NO_INFERENCE },
    warnings: r.warnings
  };
  if (r.packages.length > 0) {
    report.changedLinesBefore = sumCoverageFigures(r.packages.map((p) => p.changedBefore));
    report.changedLinesAfter = sumCoverageFigures(r.packages.map((p) => p.changedAfter));
    report.uncoveredChangedLines = r.packages.flatMap((p) => p.uncoveredChangedAfter ?? []).sort((a, b) => a.file.localeCompare(b.file));
    report.validation = {
      strategy: 'batched',
      ...r.validationSettings,
      processes: worked.reduce((n, p) => n + (p.validation?.processes ?? 0), 0),
      fileRuns: worked.reduce((n, p) => n + (p.validation?.fileRuns ?? 0), 0),
      durationMs: worked.reduce((n, p) => n + (p.validation?.durationMs ?? 0), 0)
    };
  }
  if (r.routing && r.routing.decisions.length > 0) {
    report.routing = routingSection(r.routing, candidates);
    report.telemetry = r.routing.telemetry;
    report.cost = costSection(r.routing);
    report.inference.costUsd = report.cost.cloud.costUsd;
  }
  if (r.delivery) report.delivery = r.delivery;
  if (r.isolation) report.isolation = r.isolation;
  if (r.compliance) report.compliance = r.compliance;
  const gates = r.coverageGates ? evaluateCoverageGates(report, r.coverageGates) : [];
  if (gates.length > 0) report.gates = gates;
  if (r.cancelled) report.cancelled = r.cancelled;
  const phases = sumPhaseTimes([...(r.phases ?? []), ...r.packages.flatMap((p) => p.phases ?? [])]);
  if (phases.length > 0) report.phases = phases;
  if (r.shard) report.shard = { ...r.shard, packages: r.packages.map((p) => ({ packageDir: p.packageDir, baseline: baselineFigures([p]) })) };
  return report;
}

function routingSection(r: RoutingResults, candidates: readonly CandidateRecord[]): RoutingSection {
  const escalated = candidates.filter((c) => c.escalation !== undefined);
  return {
    mode: r.options.mode,
    privacy: r.options.privacy,
    remote: r.options.remote ? { provider: r.options.remote.kind, model: r.options.remote.model } : null,
    ...(r.configFile ? { configFile: r.configFile } : {}),
    decisions: r.decisions,
    tasks: { local: candidates.filter((c) => c.tier === 'local').length, cloud: candidates.filter((c) => c.tier === 'cloud').length },
    escalations: { total: escalated.length, accepted: escalated.filter((c) => c.status === 'accepted').length },
    fallbacks: r.fallbacks
  };
}

/**
 * The cost section. Local tasks are compared with the remote model when it is the Anthropic API (or
 * has a price of the user's), else with the default cloud model, so a local-only run still shows
 * what it avoided.
 */
function costSection(r: RoutingResults): CostSection {
  const remote = r.options.remote;
  const model = remote && (remote.kind === 'anthropic' || r.options.prices[remote.model]) ? remote.model : DEFAULT_CLOUD_MODEL;
  let cloudModel: Parameters<typeof buildCostSection>[0]['cloudModel'] = null;
  try {
    const { price, source } = resolvePrice(model, r.options.prices);
    cloudModel = { model, price, priceSource: source };
  } catch {
    // A model without a price has no comparison; the routing options refuse one that would be billed.
  }
  return buildCostSection({
    telemetry: r.telemetry,
    cloudModel,
    localCostPerHour: r.options.localCostPerHour,
    localCostSource: r.options.localCostSource,
    budget: { maxUsd: r.budget.maxUsd, spentUsd: r.budget.spentUsd, exhausted: r.budget.exhausted, tasksKeptLocal: r.budget.tasksKeptLocal }
  });
}

function baselineFigures(packages: readonly PackageResult[]): RunReport['baseline'] {
  const baselines = packages.map((p) => p.baseline);
  const brokenTestFiles = baselines.flatMap((b) => b.brokenTestFiles);
  const runFailures = baselines.flatMap((b) => (b.runFailure ? [b.runFailure] : []));
  return {
    testsPassed: baselines.reduce((n, b) => n + b.passed, 0),
    testsFailed: baselines.reduce((n, b) => n + b.failed, 0),
    suiteFailed: baselines.some((b) => b.failed > 0 || b.runnerError !== undefined) || brokenTestFiles.length > 0,
    durationMs: baselines.reduce((n, b) => n + b.durationMs, 0),
    brokenTestFiles,
    runFailures,
    coverageComplete: brokenTestFiles.length === 0 && runFailures.length === 0
  };
}

/** The inference section from the provider's own account and the tokens the run's answers used. */
export function inferenceFigures(
  info: ProviderInfo,
  usage: { promptTokens: number; completionTokens: number },
  generationMs: number,
  demoNotice?: string
): InferenceFigures {
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
    ...(info.gpuTelemetry ? { gpuTelemetry: { ...info.gpuTelemetry } } : {}),
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    tokensPerSecond: generationMs > 0 ? Math.round(((usage.completionTokens * 1000) / generationMs) * 10) / 10 : 0,
    costUsd: 0,
    ...(demoNotice ? { demoModelNotice: demoNotice } : {})
  };
}

const NO_INFERENCE: InferenceFigures = {
  provider: 'none',
  model: 'none',
  hardware: 'n/a',
  backend: 'n/a',
  threads: 0,
  parallelSequences: 0,
  contextSize: 0,
  modelLoadMs: 0,
  promptTokens: 0,
  completionTokens: 0,
  tokensPerSecond: 0,
  costUsd: 0
};

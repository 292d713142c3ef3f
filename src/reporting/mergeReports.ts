import type { CoverageFigures } from '../core/CoverageFigures.js';
import { InputError } from '../core/InputError.js';
import { shardLabel } from '../core/Shard.js';
import { sumCoverageFigures } from '../coverage/coverageFigures.js';
import { buildCostSection } from '../routing/costAccounting.js';
import type { ProviderTelemetry } from '../routing/RoutingFigures.js';
import { mergeCompliance, mergeDelivery, mergeInference, mergeIsolation, mergePhases, mergeTelemetry } from './mergeSections.js';
import type { BaselineFigures, RunReport, ShardSection } from './RunReport.js';

/** One shard's JSON report, and the file it was read from (named in every error about it). */
export interface ShardReport {
  file: string;
  report: RunReport;
}

type Sharded = ShardReport & { report: RunReport & { shard: ShardSection } };

/**
 * The reports of the n jobs of one sharded run (shard: i/n) as the one report the unsharded run
 * would have written: candidates, targets and skipped files side by side; coverage, baseline,
 * validation, tokens, routing, cost and compliance figures summed the way buildRunReport sums
 * packages; warnings once each. `input` names the flag or action input the files came from.
 *
 * Figures that describe the jobs rather than the code differ from an unsharded run's by nature:
 * timings (the span from the first start to the last end; model load, the longest), test-runner
 * processes (each job batches its own), latency percentiles (p95 the highest, p50 weighted by requests).
 */
export function mergeReports(shards: readonly ShardReport[], input: string): RunReport {
  const sorted = checkShards(shards, input);
  const reports = sorted.map((s) => s.report);
  const first = reports[0]!;
  const warnings: string[] = [];
  const candidates = reports.flatMap((r) => r.candidates).sort((a, b) => a.targetFile.localeCompare(b.targetFile));
  const start = Math.min(...reports.map((r) => Date.parse(r.startedAt)));
  const end = Math.max(...reports.map((r) => Date.parse(r.startedAt) + r.durationMs));
  const merged: RunReport = {
    schemaVersion: 1,
    tool: first.tool,
    startedAt: new Date(start).toISOString(),
    durationMs: end - start,
    repository: first.repository,
    pullRequest: first.pullRequest,
    changedFiles: first.changedFiles,
    targets: reports.flatMap((r) => r.targets).sort(compareCodeUnits),
    skipped: uniqueBy(
      reports.flatMap((r) => r.skipped),
      (s) => `${s.file}\n${s.reason}`
    ),
    baseline: combineBaselines(
      uniqueBy(
        reports.flatMap((r) => r.shard!.packages),
        (p) => p.packageDir
      ).map((p) => p.baseline)
    ),
    coverageBefore: sumCoverageFigures(reports.map((r) => r.coverageBefore)),
    coverageAfter: sumCoverageFigures(reports.map((r) => r.coverageAfter)),
    candidates,
    testsGenerated: candidates.filter((c) => c.rejection?.stage !== 'generation').length,
    testsAccepted: candidates.filter((c) => c.status === 'accepted').length,
    inference: mergeInference(reports.map((r) => r.inference)),
    warnings
  };
  const changedBefore = sumOptional(reports.map((r) => r.changedLinesBefore));
  const changedAfter = sumOptional(reports.map((r) => r.changedLinesAfter));
  if (changedBefore) merged.changedLinesBefore = changedBefore;
  if (changedAfter) merged.changedLinesAfter = changedAfter;
  const uncovered = reports.flatMap((r) => r.uncoveredChangedLines ?? []);
  if (reports.some((r) => r.uncoveredChangedLines)) merged.uncoveredChangedLines = uncovered.sort((a, b) => compareCodeUnits(a.file, b.file));
  const validations = reports.flatMap((r) => (r.validation ? [r.validation] : []));
  if (validations.length > 0) {
    merged.validation = {
      ...validations[0]!,
      processes: total(validations, (v) => v.processes),
      fileRuns: total(validations, (v) => v.fileRuns),
      durationMs: total(validations, (v) => v.durationMs)
    };
  }
  const delivery = mergeDelivery(
    reports.flatMap((r) => (r.delivery ? [r.delivery] : [])),
    warnings
  );
  if (delivery) merged.delivery = delivery;
  const isolation = mergeIsolation(
    reports.flatMap((r) => (r.isolation ? [r.isolation] : [])),
    warnings
  );
  if (isolation) merged.isolation = isolation;
  mergeRouting(reports, merged, candidates);
  const compliance = mergeCompliance(reports.flatMap((r) => (r.compliance ? [r.compliance] : [])));
  if (compliance) merged.compliance = compliance;
  const phases = mergePhases(reports.flatMap((r) => (r.phases ? [r.phases] : [])));
  if (phases) merged.phases = phases;
  const cancelled = sorted.filter((s) => s.report.cancelled);
  if (cancelled.length > 0) {
    merged.cancelled = {
      signal: cancelled[0]!.report.cancelled!.signal,
      during: cancelled.map((s) => `shard ${shardLabel(s.report.shard)}: ${s.report.cancelled!.during}`).join('; '),
      unfinished: cancelled.flatMap((s) => s.report.cancelled!.unfinished)
    };
  }
  // The shards' own warnings first, in shard order: most are the same in every job (a missing compiler, the sandbox).
  merged.warnings = [...new Set([...reports.flatMap((r) => r.warnings), ...warnings])];
  return merged;
}

/** The shards sorted by index, once each checked to be the n parts of one run on one pull request head. */
function checkShards(shards: readonly ShardReport[], input: string): Sharded[] {
  if (shards.length === 0) {
    throw new InputError(input, 'no report was given', "Name every shard job's JSON report (report-path), e.g. shards/*/aqe-report.json");
  }
  for (const s of shards) {
    const shard = s.report.shard;
    if (!shard || !Number.isInteger(shard.index) || !Number.isInteger(shard.count) || !Array.isArray(shard.packages)) {
      throw new InputError(
        input,
        `${s.file} is not the report of a shard (it has no shard section): it was written by a run without shard: i/n, or is a merged report`,
        'Merge only the reports of the jobs of one sharded run, each written with the shard input (or --shard) set'
      );
    }
  }
  const sharded = shards as Sharded[];
  const first = sharded[0]!;
  const count = first.report.shard.count;
  const otherCount = sharded.find((s) => s.report.shard.count !== count);
  if (otherCount) {
    throw new InputError(
      input,
      `the reports are of different splits: ${first.file} is shard ${shardLabel(first.report.shard)}, ${otherCount.file} is shard ${shardLabel(otherCount.report.shard)}`,
      'Merge the reports of one matrix only, whose jobs all give the same n in shard: i/n'
    );
  }
  const byIndex = new Map<number, Sharded>();
  for (const s of sharded) {
    const seen = byIndex.get(s.report.shard.index);
    if (seen) {
      throw new InputError(
        input,
        `shard ${shardLabel(s.report.shard)} is there twice: ${seen.file} and ${s.file}`,
        "Give each shard's report once: download the artifacts of one workflow run, each shard's under a name of its own"
      );
    }
    byIndex.set(s.report.shard.index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new InputError(
      input,
      `${missing.length} of the ${count} shards have no report: ${missing.map((i) => `${i}/${count}`).join(', ')}`,
      'Every job of the matrix must write and upload its report: check the jobs that failed or were cancelled, and run the merge after all of them (needs: the matrix job, if: always())'
    );
  }
  for (const s of sharded) {
    const difference = differenceOfRun(first.report, s.report);
    if (difference) {
      throw new InputError(
        input,
        `${first.file} and ${s.file} are not of the same run: ${difference}`,
        'Merge the shard reports of one workflow run on one pull request head; a re-run of a single job must use the same head'
      );
    }
  }
  return [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i)!);
}

/** What tells two shards' reports apart as runs, or undefined when they are parts of one. */
function differenceOfRun(a: RunReport, b: RunReport): string | undefined {
  if (a.repository !== b.repository) return `repository ${JSON.stringify(a.repository)} against ${JSON.stringify(b.repository)}`;
  const head = (r: RunReport): string => (r.pullRequest ? `#${r.pullRequest.number} at ${r.pullRequest.headSha}` : 'no pull request');
  if (head(a) !== head(b)) return `pull request ${head(a)} against ${head(b)}`;
  if (a.tool.version !== b.tool.version) return `aqe ${a.tool.version} against ${b.tool.version}`;
  // Every shard lists all the pull request's changed files: a different list is a different head (or working-directory).
  const files = (r: RunReport): string => JSON.stringify([...r.changedFiles].sort(compareCodeUnits));
  if (files(a) !== files(b)) return 'they list different changed files (another head, or another working-directory)';
  return undefined;
}

/** The report's baseline from each package's, summed as buildRunReport sums packages. */
function combineBaselines(baselines: readonly BaselineFigures[]): BaselineFigures {
  const brokenTestFiles = baselines.flatMap((b) => b.brokenTestFiles);
  const runFailures = baselines.flatMap((b) => b.runFailures);
  return {
    testsPassed: total(baselines, (b) => b.testsPassed),
    testsFailed: total(baselines, (b) => b.testsFailed),
    suiteFailed: baselines.some((b) => b.suiteFailed),
    durationMs: total(baselines, (b) => b.durationMs),
    brokenTestFiles,
    runFailures,
    coverageComplete: baselines.every((b) => b.coverageComplete)
  };
}

/** Routing, telemetry and cost, from the shards that routed anything: counts summed, the cost recomputed from the telemetry. */
function mergeRouting(reports: readonly RunReport[], merged: RunReport, candidates: RunReport['candidates']): void {
  const routed = reports.filter((r) => r.routing);
  if (routed.length === 0) return;
  const sections = routed.map((r) => r.routing!);
  merged.routing = {
    ...sections[0]!,
    decisions: sections.flatMap((s) => s.decisions),
    tasks: { local: candidates.filter((c) => c.tier === 'local').length, cloud: candidates.filter((c) => c.tier === 'cloud').length },
    escalations: { total: total(sections, (s) => s.escalations.total), accepted: total(sections, (s) => s.escalations.accepted) },
    fallbacks: total(sections, (s) => s.fallbacks)
  };
  const telemetry: ProviderTelemetry[] = mergeTelemetry(routed.flatMap((r) => r.telemetry ?? []));
  merged.telemetry = telemetry;
  const costs = routed.flatMap((r) => (r.cost ? [r.cost] : []));
  if (costs.length === 0) return;
  const cost = costs[0]!;
  merged.cost = buildCostSection({
    telemetry,
    cloudModel: cost.cloudModel,
    localCostPerHour: cost.local.costPerHourUsd,
    localCostSource: cost.local.costPerHourSource,
    // max-cloud-usd caps each job on its own; the merged budget shows the cap and what all jobs spent.
    budget: {
      maxUsd: cost.budget.maxUsd,
      spentUsd: total(costs, (c) => c.budget.spentUsd),
      exhausted: costs.some((c) => c.budget.exhausted),
      tasksKeptLocal: total(costs, (c) => c.budget.tasksKeptLocal)
    }
  });
  merged.inference.costUsd = merged.cost.cloud.costUsd;
}

function sumOptional(figures: ReadonlyArray<CoverageFigures | undefined>): CoverageFigures | undefined {
  const present = figures.filter((f): f is CoverageFigures => f !== undefined);
  return present.length > 0 ? sumCoverageFigures(present) : undefined;
}

function total<T>(items: readonly T[], figure: (item: T) => number): number {
  return items.reduce((n, item) => n + figure(item), 0);
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The order selectTargets sorts targets in (Array.prototype.sort's default). */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import type { ComplianceSection } from '../core/Privacy.js';
import type { ProviderTelemetry } from '../routing/RoutingFigures.js';
import type { DeliveryFigures, InferenceFigures, PhaseTime, RunReport } from './RunReport.js';
import { sumPhaseTimes } from './phaseTimes.js';

/**
 * The sections of shard reports (mergeReports.ts) that are more than sums: each merge says how a
 * figure of several jobs is read as one.
 */

/** The model's section: the first job that ran a model describes it; tokens summed, throughput over all generation time. */
export function mergeInference(sections: readonly InferenceFigures[]): InferenceFigures {
  const ran = sections.filter((s) => s.provider !== 'none');
  if (ran.length === 0) return { ...sections[0]! };
  const completionTokens = ran.reduce((n, s) => n + s.completionTokens, 0);
  // Each job's generation time, from its own throughput: the report keeps no other account of it.
  const generationMs = ran.reduce((n, s) => n + (s.tokensPerSecond > 0 ? (s.completionTokens * 1000) / s.tokensPerSecond : 0), 0);
  return {
    ...ran[0]!,
    // The jobs load their models side by side: the longest load is what the run waited.
    modelLoadMs: Math.max(...ran.map((s) => s.modelLoadMs)),
    promptTokens: ran.reduce((n, s) => n + s.promptTokens, 0),
    completionTokens,
    tokensPerSecond: generationMs > 0 ? Math.round(((completionTokens * 1000) / generationMs) * 10) / 10 : 0,
    costUsd: ran.reduce((n, s) => n + s.costUsd, 0)
  };
}

/**
 * One entry per provider, model and tier across the jobs. Counts, tokens, times and cost add up;
 * latency percentiles cannot be recomputed from percentiles, so p95 is the highest job's and p50
 * the jobs' p50s weighted by their requests.
 */
export function mergeTelemetry(entries: readonly ProviderTelemetry[]): ProviderTelemetry[] {
  const groups = new Map<string, ProviderTelemetry[]>();
  for (const e of entries) {
    const key = JSON.stringify([e.provider, e.model, e.tier]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((group) => {
    const sum = (figure: (e: ProviderTelemetry) => number): number => group.reduce((n, e) => n + figure(e), 0);
    const requests = sum((e) => e.requests);
    return {
      ...group[0]!,
      requests,
      errors: sum((e) => e.errors),
      retries: sum((e) => e.retries),
      fallbacks: sum((e) => e.fallbacks),
      promptTokens: sum((e) => e.promptTokens),
      completionTokens: sum((e) => e.completionTokens),
      cacheReadTokens: sum((e) => e.cacheReadTokens),
      cacheWriteTokens: sum((e) => e.cacheWriteTokens),
      latencyMs: {
        p50: requests > 0 ? Math.round(sum((e) => e.latencyMs.p50 * e.requests) / requests) : 0,
        p95: Math.max(...group.map((e) => e.latencyMs.p95)),
        total: sum((e) => e.latencyMs.total)
      },
      generationMs: sum((e) => e.generationMs),
      costUsd: sum((e) => e.costUsd)
    };
  });
}

/**
 * Compliance over all jobs: counts summed; a layer counts as enforced only if it held in every job
 * that ran, and a gap any job had is a gap of the run.
 */
export function mergeCompliance(sections: readonly ComplianceSection[]): ComplianceSection | undefined {
  if (sections.length === 0) return undefined;
  const first = sections[0]!;
  const firewall = sections.filter((s) => s.firewallDropped !== undefined);
  return {
    ...first,
    enforcement: first.enforcement.filter((layer) => sections.every((s) => s.enforcement.includes(layer))),
    gaps: [...new Set(sections.flatMap((s) => s.gaps))],
    requests: { local: sections.reduce((n, s) => n + s.requests.local, 0), cloud: sections.reduce((n, s) => n + s.requests.cloud, 0) },
    refused: sections.reduce((n, s) => n + s.refused, 0),
    refusedByProtocol: sumCounts(sections.map((s) => s.refusedByProtocol)),
    ...(firewall.length > 0 ? { firewallDropped: firewall.reduce((n, s) => n + s.firewallDropped!, 0) } : {}),
    redactions: sumCounts(sections.map((s) => s.redactions))
  };
}

/**
 * Time per phase over the jobs: each phase's times added, as the packages' are within a job, so the
 * figures say how much machine time each phase cost the run (the jobs ran side by side, so their sum
 * is more than the run's span). Undefined when no job timed its phases (reports of older versions).
 */
export function mergePhases(sections: ReadonlyArray<readonly PhaseTime[]>): PhaseTime[] | undefined {
  return sections.length > 0 ? sumPhaseTimes(sections.flat()) : undefined;
}

/** Where the accepted tests went, over the jobs that delivered; a difference between jobs is a warning. */
export function mergeDelivery(sections: readonly DeliveryFigures[], warnings: string[]): DeliveryFigures | undefined {
  if (sections.length === 0) return undefined;
  const first = sections[0]!;
  const modes = [...new Set(sections.map((s) => s.mode))];
  if (modes.length > 1) warnings.push(`The shards delivered their accepted tests in different ways (${modes.join(', ')}); each job's report says which.`);
  const commits = sections.flatMap((s) => (s.commit ? [s.commit] : []));
  const artifacts = [...new Set(sections.flatMap((s) => (s.artifact ? [s.artifact] : [])))];
  return {
    requested: first.requested,
    mode: first.mode,
    files: sections.flatMap((s) => s.files),
    // Each job pushed its own commit; the last one is the branch's head.
    ...(commits.length > 0 ? { commit: commits[commits.length - 1]! } : {}),
    ...(artifacts.length > 0 ? { artifact: artifacts.join(', ') } : {})
  };
}

/** The confinement the run's tests had: the weakest of the jobs' (a fallback where any job fell back), with every job's events. */
export function mergeIsolation(sections: ReadonlyArray<NonNullable<RunReport['isolation']>>, warnings: string[]): RunReport['isolation'] {
  if (sections.length === 0) return undefined;
  const weakest = sections.find((s) => s.kind === 'fallback') ?? sections[0]!;
  if (sections.some((s) => s.kind !== weakest.kind)) {
    warnings.push(`Not every shard could confine its tests with namespaces: ${weakest.reason ?? 'one job ran them under the fallback'}.`);
  }
  return { ...weakest, events: sections.flatMap((s) => s.events) };
}

function sumCounts(records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) for (const [k, v] of Object.entries(record)) out[k] = (out[k] ?? 0) + v;
  return out;
}

import { formatUsd } from '../core/formatNumbers.js';
import { nearestRank } from '../routing/ProviderTelemetry.js';
import type { RunReport } from '../reporting/RunReport.js';

/** One side of an A/B evaluation, from its run's report: real verdicts, not text similarity. */
export interface SideFigures {
  label: string;
  provider: string;
  model: string;
  targets: number;
  accepted: number;
  /** Accepted test files per target, in percent. */
  acceptancePct: number;
  /** Percentage points the accepted tests added to the coverage of the changed lines (null when none is executable). */
  changedLinesGainPp: number | null;
  costUsd: number;
  /** Model time per target (repairs included), nearest-rank percentiles. */
  latencyMs: { p50: number; p95: number };
  /** Rejections by stage, to see where a side falls short. */
  rejections: Record<string, number>;
}

export interface AbComparison {
  a: SideFigures;
  b: SideFigures;
  /** b's figure as a share of a's, in percent; null when a's is 0 (nothing to compare with). */
  bOfA: { acceptance: number | null; changedLinesGain: number | null };
  /** Both runs worked on the same targets; a comparison of different targets says little. */
  sameTargets: boolean;
}

export function sideFigures(label: string, report: RunReport): SideFigures {
  const latencies = report.candidates.map((c) => c.generationMs).sort((x, y) => x - y);
  const rejections: Record<string, number> = {};
  for (const c of report.candidates) if (c.rejection) rejections[c.rejection.stage] = (rejections[c.rejection.stage] ?? 0) + 1;
  const before = report.changedLinesBefore?.linesPct ?? null;
  const after = report.changedLinesAfter?.linesPct ?? null;
  const targets = report.candidates.length;
  return {
    label,
    provider: report.inference.provider,
    model: report.inference.model,
    targets,
    accepted: report.testsAccepted,
    acceptancePct: targets > 0 ? round((report.testsAccepted / targets) * 100, 1) : 0,
    changedLinesGainPp: before === null || after === null ? null : round(after - before, 2),
    costUsd: report.cost?.totalUsd ?? report.inference.costUsd,
    latencyMs: { p50: nearestRank(latencies, 0.5), p95: nearestRank(latencies, 0.95) },
    rejections
  };
}

export function compareRuns(a: { label: string; report: RunReport }, b: { label: string; report: RunReport }): AbComparison {
  const fa = sideFigures(a.label, a.report);
  const fb = sideFigures(b.label, b.report);
  const share = (x: number | null, y: number | null): number | null => (x === null || y === null || x === 0 ? null : round((y / x) * 100, 1));
  const targetsOf = (r: RunReport): string => [...r.targets].sort().join('\n');
  return {
    a: fa,
    b: fb,
    bOfA: { acceptance: share(fa.acceptancePct, fb.acceptancePct), changedLinesGain: share(fa.changedLinesGainPp, fb.changedLinesGainPp) },
    sameTargets: targetsOf(a.report) === targetsOf(b.report)
  };
}

/** The comparison as a terminal table, and one sentence that answers "how close does B come to A?". */
export function renderComparison(c: AbComparison): string {
  const rows: Array<[string, string, string]> = [
    ['provider / model', `${c.a.provider} ${c.a.model}`, `${c.b.provider} ${c.b.model}`],
    ['targets', String(c.a.targets), String(c.b.targets)],
    ['accepted', `${c.a.accepted} (${c.a.acceptancePct.toFixed(1)}%)`, `${c.b.accepted} (${c.b.acceptancePct.toFixed(1)}%)`],
    ['changed-line coverage gain', pp(c.a.changedLinesGainPp), pp(c.b.changedLinesGainPp)],
    ['cost', formatUsd(c.a.costUsd), formatUsd(c.b.costUsd)],
    ['latency p50 / p95', `${ms(c.a.latencyMs.p50)} / ${ms(c.a.latencyMs.p95)}`, `${ms(c.b.latencyMs.p50)} / ${ms(c.b.latencyMs.p95)}`],
    ['rejections', stages(c.a.rejections), stages(c.b.rejections)]
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...[['', c.a.label, c.b.label], ...rows].map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  const table = [line(['', c.a.label, c.b.label]), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
  const verdict =
    c.bOfA.acceptance === null
      ? `${c.a.label} accepted no test, so ${c.b.label} cannot be given as a share of it.`
      : `${c.b.label} reaches ${c.bOfA.acceptance.toFixed(1)}% of ${c.a.label}'s acceptance rate` +
        (c.bOfA.changedLinesGain === null ? '.' : ` and ${c.bOfA.changedLinesGain.toFixed(1)}% of its changed-line coverage gain.`);
  const caution = c.sameTargets ? '' : '\nWarning: the two runs did not work on the same targets; compare with care.';
  return `${table}\n\n${verdict}${caution}\n`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function pp(n: number | null): string {
  return n === null ? 'n/a' : `${n >= 0 ? '+' : ''}${n.toFixed(2)} pp`;
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

function stages(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([x], [y]) => x.localeCompare(y));
  return entries.length === 0 ? 'none' : entries.map(([s, n]) => `${s} ${n}`).join(', ');
}

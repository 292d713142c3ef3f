/**
 * Number formatting for the human-facing reports. Kept apart from the renderers so the
 * JSON report can stay raw (ms, percent as numbers) while every markdown view agrees
 * on one spelling of the same figure.
 */

import type { CoverageFigures } from './CoverageFigures.js';

const NOT_AVAILABLE = 'n/a';

/** Milliseconds as the largest unit a reader can take in at a glance: "850 ms", "1.2 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return NOT_AVAILABLE;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  // Round before choosing the unit, so 59,960 ms reads "1 min 0 s" rather than "60.0 s".
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${totalMinutes % 60} min`;
}

/** A percentage with two decimals; null means "nothing was measured", which is not the same as 0%. */
export function formatPercent(pct: number | null): string {
  if (pct === null || !Number.isFinite(pct)) return NOT_AVAILABLE;
  return `${pct.toFixed(2)}%`;
}

/** Signed percentage-point change ("+12.50 pp", "-3.00 pp"); n/a when either side was not measured. */
export function formatDeltaPp(before: number | null, after: number | null): string {
  if (before === null || after === null || !Number.isFinite(before) || !Number.isFinite(after)) {
    return NOT_AVAILABLE;
  }
  // Round first: float subtraction (57.5 - 45.00000001) must not print "-0.00" or "+12.49".
  const delta = Math.round((after - before) * 100) / 100;
  const normalized = delta === 0 ? 0 : delta; // folds -0 into 0 so it gets a "+"
  return `${normalized >= 0 ? '+' : ''}${normalized.toFixed(2)} pp`;
}

/** "45.00% → 57.50% (+12.50 pp)"; the delta is left out when it cannot be computed. */
export function formatCoverageChange(before: CoverageFigures, after: CoverageFigures): string {
  const change = `${formatPercent(before.linesPct)} → ${formatPercent(after.linesPct)}`;
  const delta = formatDeltaPp(before.linesPct, after.linesPct);
  return delta === NOT_AVAILABLE ? change : `${change} (${delta})`;
}

/** Integers with thousands separators; fixed locale so CI output does not depend on the runner's. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return NOT_AVAILABLE;
  return Math.round(n).toLocaleString('en-US');
}

export function formatTokensPerSecond(tokensPerSecond: number): string {
  if (!Number.isFinite(tokensPerSecond) || tokensPerSecond < 0) return NOT_AVAILABLE;
  return tokensPerSecond.toFixed(1);
}

/** Money as a reader wants it: cents, or four decimals below a cent, so a small spend does not read as free. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd) || usd < 0) return NOT_AVAILABLE;
  if (usd === 0) return '$0.00';
  // A local share of a few milliseconds would print as $0.0000 and read as exactly free.
  if (usd < 0.0001) return '<$0.0001';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** The cloud spend of a run: nothing spent means every task ran locally, and saying so is the point of the figure. */
export function formatCostUsd(usd: number): string {
  return usd === 0 ? '$0.00 (local)' : formatUsd(usd);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

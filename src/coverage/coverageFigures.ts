import type { CoverageFigures } from '../core/CoverageFigures.js';

/** Covered of total lines as the report shows them: percent rounded to 2 decimals, null when nothing counts. */
export function coverageFigures(covered: number, total: number): CoverageFigures {
  return { coveredLines: covered, totalLines: total, linesPct: total === 0 ? null : Math.round((covered / total) * 100 * 100) / 100 };
}

/** Figures of several parts (files, packages) together. */
export function sumCoverageFigures(parts: readonly CoverageFigures[]): CoverageFigures {
  return coverageFigures(
    parts.reduce((n, f) => n + f.coveredLines, 0),
    parts.reduce((n, f) => n + f.totalLines, 0)
  );
}

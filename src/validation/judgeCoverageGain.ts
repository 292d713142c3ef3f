import type { CoverageData } from '../coverage/CoverageData.js';
import type { RejectionStage } from '../reporting/RunReport.js';

export type Verdict = { accepted: true } | { accepted: false; stage: RejectionStage; reason: string };

/**
 * A test that passes still earns its place only by executing lines or branch arms of its target
 * that nothing else does: of the lines the pull request changed when they are known, of the
 * whole file otherwise. `known` is what the repository's suite, plus tests accepted earlier in
 * this run, already reach; `own` is what the candidate file reaches on its own.
 */
export function judgeCoverageGain(own: CoverageData, targetFile: string, known: CoverageData, changedLines?: readonly number[]): Verdict {
  if (!own.counts(targetFile)) return { accepted: false, stage: 'no-coverage-gain', reason: `${targetFile} was never loaded by the test` };
  const merged = known.merge(own);
  const lines = changedLines ? new Set(changedLines) : undefined;
  const gainedLines = coveredLines(merged, targetFile, lines) - coveredLines(known, targetFile, lines);
  const gainedArms = merged.branchArms(targetFile, lines).covered - known.branchArms(targetFile, lines).covered;
  if (gainedLines <= 0 && gainedArms <= 0) {
    const scope = lines ? 'changed line or branch' : 'line or branch';
    return { accepted: false, stage: 'no-coverage-gain', reason: `covers no ${scope} of ${targetFile} that the existing tests do not already cover` };
  }
  return { accepted: true };
}

function coveredLines(coverage: CoverageData, file: string, lines: ReadonlySet<number> | undefined): number {
  let covered = 0;
  for (const [line, hits] of coverage.lineHits(file)) {
    if (hits > 0 && (!lines || lines.has(line))) covered++;
  }
  return covered;
}

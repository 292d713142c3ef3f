import type { CoverageData } from '../coverage/CoverageData.js';
import type { RejectionStage } from '../reporting/RunReport.js';

export type Verdict = { accepted: true } | { accepted: false; stage: RejectionStage; reason: string };

/**
 * A test that passes still earns its place only by executing lines or branches of its target
 * that nothing else does. `known` is what the repository's suite, plus tests accepted earlier in
 * this run, already reach; `own` is what the candidate file reaches on its own.
 */
export function judgeCoverageGain(own: CoverageData, targetFile: string, known: CoverageData): Verdict {
  const before = known.counts(targetFile);
  const after = known.merge(own).counts(targetFile);
  if (!after || !own.counts(targetFile)) return { accepted: false, stage: 'no-coverage-gain', reason: `${targetFile} was never loaded by the test` };
  const gainedLines = after.coveredLines - (before?.coveredLines ?? 0);
  const gainedBranches = after.coveredBranches - (before?.coveredBranches ?? 0);
  if (gainedLines <= 0 && gainedBranches <= 0) {
    return { accepted: false, stage: 'no-coverage-gain', reason: `covers no line or branch of ${targetFile} that the existing tests do not already cover` };
  }
  return { accepted: true };
}

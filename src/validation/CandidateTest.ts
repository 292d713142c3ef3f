import type { CaseRecord, RejectionStage } from '../core/verdicts.js';
import type { CoverageData } from '../coverage/CoverageData.js';

/**
 * A generated test file on its way through validation:
 * pending (never ran, or repaired) → passing (passed once, failing cases pruned) → stable
 * (passed every repetition, coverage measured) → accepted (raises coverage, passes next to the
 * suite; see acceptCandidates) or rejected at any step, with the stage and reason.
 */
export interface CandidateTest {
  target: string;
  /** Repo-relative path the file has in the scratch copy and would have in the repository. */
  testFile: string;
  code: string;
  /** Model answers this file has been through: 1 + repairs. */
  attempts: number;
  /** Runs of this file in a test runner, repetitions included. */
  runs: number;
  cases: CaseRecord[];
  state: 'pending' | 'passing' | 'stable' | 'accepted' | 'rejected';
  rejection?: { stage: RejectionStage; reason: string };
  /**
   * The runner's failure output for the code as last judged, as a repair would be shown it (capped
   * there); unset when that judgement produced none. The run artifact keeps it beside a rejected file.
   */
  failureOutput?: string | undefined;
  /** Coverage the file reaches on its own; set when stable. */
  coverage?: CoverageData;
  /** False when accepted without a run next to the suite (the suite did not finish); see CandidateRecord. */
  confirmedWithSuite?: boolean;
}

export function reject(candidate: CandidateTest, stage: RejectionStage, reason: string): void {
  candidate.state = 'rejected';
  candidate.rejection = { stage, reason };
}

/** Records a verdict for a case, replacing an earlier one (a kept case can later turn out flaky). */
export function recordCase(candidate: CandidateTest, record: CaseRecord): void {
  const i = candidate.cases.findIndex((c) => c.name === record.name);
  if (i >= 0) candidate.cases[i] = record;
  else candidate.cases.push(record);
}

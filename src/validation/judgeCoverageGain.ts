import { importsModule } from '../analysis/importsModule.js';
import type { RejectionStage } from '../core/verdicts.js';
import type { CoverageData } from '../coverage/CoverageData.js';

export type Verdict = { accepted: true } | { accepted: false; stage: RejectionStage; reason: string };

/** The candidate's own file, for telling "never loaded its target" from "its coverage was lost". */
export interface JudgedTestFile {
  /** Path of the test file, relative to the same root as the target. */
  testFile: string;
  code: string;
}

/**
 * A test that passes still earns its place only by executing lines or branch arms of its target
 * that nothing else does: of the lines the pull request changed when they are known, of the
 * whole file otherwise. `known` is what the repository's suite, plus tests accepted earlier in
 * this run, already reach; `own` is what the candidate file reaches on its own.
 *
 * A passing test that imports its target and still has no coverage of it did load it: the
 * measurement failed (a coverage provider that does not match the runner, a hand-over aqe could
 * not read, the target excluded from coverage), and that is reported as such, never as a test
 * without value.
 */
export function judgeCoverageGain(
  own: CoverageData,
  targetFile: string,
  known: CoverageData,
  changedLines?: readonly number[],
  candidate?: JudgedTestFile
): Verdict {
  if (!own.counts(targetFile)) {
    if (candidate && importsModule(candidate.code, candidate.testFile, targetFile)) {
      return {
        accepted: false,
        stage: 'coverage-unmeasured',
        reason:
          `coverage could not be measured: the test imports ${targetFile} and passes, yet the run reported no coverage of it. ` +
          `Check that the test runner's coverage provider is installed at the runner's own version (for vitest, @vitest/coverage-istanbul or @vitest/coverage-v8 of the same version) ` +
          `and that the coverage settings (jest's collectCoverageFrom or coveragePathIgnorePatterns, vitest's coverage.exclude) do not leave ${targetFile} out.`
      };
    }
    return { accepted: false, stage: 'no-coverage-gain', reason: `${targetFile} was never loaded by the test` };
  }
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

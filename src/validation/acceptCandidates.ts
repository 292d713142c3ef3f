import { CoverageData } from '../coverage/CoverageData.js';
import type { RejectionStage } from '../core/verdicts.js';
import { type CandidateTest, reject } from './CandidateTest.js';
import { firstLine } from './condenseFailureText.js';
import { judgeCoverageGain } from './judgeCoverageGain.js';
import type { TestRunResult } from './runners/TestRunner.js';

export interface AcceptanceContext {
  /** What the repository's own suite covers. */
  baseline: CoverageData;
  /** Changed lines per target; undefined = the whole file counts. */
  changedLines: ReadonlyMap<string, readonly number[] | undefined>;
  /**
   * Runs the whole suite with the accepted files in place (attempt 1, 2, …); undefined when the
   * suite alone does not finish in time, so such a run could tell nothing about the candidates.
   */
  runSuite?: (attempt: number) => Promise<TestRunResult>;
  /** Takes a rejected file out of the scratch copy before the suite runs again. */
  remove: (testFile: string) => Promise<void>;
  warn: (message: string) => void;
}

export interface Acceptance {
  /** Coverage before any generated test, with the targets no test loaded given zero hits. */
  before: CoverageData;
  /** Coverage with the accepted tests: from the final suite run, or what they reached alone when there was none. */
  after: CoverageData;
}

/** Runs of the suite with the accepted files before the ones that still conflict are given up on. */
const MAX_CONFIRMATION_RUNS = 3;

/**
 * The last step of validation: each stable candidate must cover changed lines or branch arms of
 * its target that the suite and the candidates accepted before it do not, and the accepted ones
 * must pass next to the repository's suite (shared state, module mocks, ports). Candidates end
 * `accepted` or `rejected` here; nothing is decided about them afterwards.
 */
export async function acceptCandidates(candidates: CandidateTest[], ctx: AcceptanceContext): Promise<Acceptance> {
  const { before, known } = judgeCoverage(candidates, ctx);
  await removeRejected(candidates, ctx);
  if (!candidates.some((c) => c.state === 'accepted')) return { before, after: known.withUnloadedFiles(before) };
  if (!ctx.runSuite) {
    for (const c of candidates) if (c.state === 'accepted') c.confirmedWithSuite = false;
    return { before, after: known.withUnloadedFiles(before) };
  }
  const after = await confirmWithSuite(candidates, before, ctx.runSuite, ctx);
  return { before, after: after.withUnloadedFiles(before) };
}

/**
 * Stable candidates are judged in target order against what the suite and the candidates
 * accepted before them already cover, so two tests covering the same lines are not both kept.
 */
function judgeCoverage(candidates: CandidateTest[], ctx: AcceptanceContext): { before: CoverageData; known: CoverageData } {
  let before = ctx.baseline;
  for (const c of candidates) if (c.coverage) before = before.withUnloadedFiles(c.coverage);
  let known = before;
  for (const c of candidates.filter((x) => x.state === 'stable')) {
    const verdict = judgeCoverageGain(c.coverage ?? CoverageData.empty(), c.target, known, ctx.changedLines.get(c.target), c);
    if (verdict.accepted) {
      known = known.merge(c.coverage!);
      c.state = 'accepted';
    } else {
      reject(c, verdict.stage, verdict.reason);
    }
  }
  return { before, known };
}

/** Files rejected for coverage leave the scratch copy, so the suite run counts only what is kept. */
async function removeRejected(candidates: readonly CandidateTest[], ctx: AcceptanceContext): Promise<void> {
  for (const c of candidates) if (c.state === 'rejected' && c.rejection?.stage !== 'generation') await ctx.remove(c.testFile);
}

/** Any accepted file that fails next to the suite is rejected, and the suite is run again without it. */
async function confirmWithSuite(
  candidates: CandidateTest[],
  before: CoverageData,
  runSuite: (attempt: number) => Promise<TestRunResult>,
  ctx: AcceptanceContext
): Promise<CoverageData> {
  for (let attempt = 1; ; attempt++) {
    const result = await runSuite(attempt);
    const accepted = candidates.filter((c) => c.state === 'accepted');
    const outcome = (c: CandidateTest): string | undefined => result.suites.find((s) => s.file === c.testFile)?.status;
    // A file the run never reached (it timed out or crashed first) has no verdict: the suite's fault is not the file's.
    const unreached = result.runnerError !== undefined ? accepted.filter((c) => outcome(c) === undefined) : [];
    const conflicts = accepted.filter((c) => !unreached.includes(c) && outcome(c) !== 'passed');
    if (unreached.length > 0) {
      ctx.warn(
        `The final run of the suite with the accepted tests ${result.timedOut ? 'did not finish in time' : 'failed'} (${firstLine(result.runnerError ?? '')}) before it reached ${unreached.map((c) => c.testFile).join(', ')}; ` +
          'those tests passed every run on their own and are kept, but are not confirmed next to the suite.'
      );
      for (const c of unreached) c.confirmedWithSuite = false;
    }
    if (conflicts.length === 0) {
      if (result.runnerError && unreached.length === 0) ctx.warn(`The final suite run failed: ${firstLine(result.runnerError)}`);
      return result.coverage;
    }
    for (const c of conflicts) {
      reject(c, 'suite-conflict', 'passes alone but fails when run with the repository suite');
      await ctx.remove(c.testFile);
    }
    if (attempt >= MAX_CONFIRMATION_RUNS) {
      // Each run rejected files and others then failed in turn: stop, and count what the rest reach alone,
      // since the last run's figures include the files just rejected.
      ctx.warn(
        `Accepted tests kept failing alongside the suite for ${attempt} runs; the last ones rejected: ${conflicts.map((c) => c.testFile).join(', ')}. Coverage after counts what the remaining tests reach on their own.`
      );
      return candidates.filter((c) => c.state === 'accepted').reduce((k, c) => k.merge(c.coverage ?? CoverageData.empty()), before);
    }
  }
}

/**
 * What acceptance would make of one candidate against the suite alone: its rejection, or, for a
 * stable file, the coverage verdict that would turn it away; undefined when it may be accepted.
 * The pipeline asks before acceptance, so a file the local model failed on can go to another
 * model while there is still time to prove its answer.
 */
export function expectedRejection(
  c: CandidateTest,
  baseline: CoverageData,
  changedLines: readonly number[] | undefined
): { stage: RejectionStage; reason: string } | undefined {
  if (c.state === 'rejected') return c.rejection;
  if (c.state !== 'stable') return undefined;
  const own = c.coverage ?? CoverageData.empty();
  const verdict = judgeCoverageGain(own, c.target, baseline.withUnloadedFiles(own), changedLines, c);
  return verdict.accepted ? undefined : { stage: verdict.stage, reason: verdict.reason };
}

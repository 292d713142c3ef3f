import type { CoverageData } from '../coverage/CoverageData.js';
import type { RejectionStage } from '../reporting/RunReport.js';
import type { TestRunResult } from './TestRunner.js';

export type Verdict = { accepted: true } | { accepted: false; stage: RejectionStage; reason: string };

/**
 * Decides from one run of a candidate test file whether it is kept. `known` is the coverage
 * the repository's suite (plus tests accepted earlier in this run) already reaches: a keeper
 * must pass, contain tests, and execute lines or branches of its target nothing else does.
 */
export function judgeCandidate(run: TestRunResult, testFile: string, targetFile: string, known: CoverageData, timeoutMs: number): Verdict {
  if (run.timedOut) {
    return { accepted: false, stage: 'timeout', reason: `did not finish within ${Math.round(timeoutMs / 1000)} s (test-timeout); a test may wait forever or leave a handle open` };
  }
  if (run.runnerError) return { accepted: false, stage: 'compile', reason: firstLines(run.runnerError) };
  const suite = run.suites.find((s) => s.file === testFile);
  if (!suite) return { accepted: false, stage: 'compile', reason: 'the test runner did not pick the file up (check testMatch/roots in the jest config)' };
  if (suite.status === 'error') return { accepted: false, stage: 'compile', reason: firstLines(suite.message) || 'the file could not be compiled or loaded' };
  const failed = suite.tests.filter((t) => t.status === 'failed');
  if (failed.length > 0) {
    const names = failed.slice(0, 3).map((t) => `"${t.name}": ${firstLines(t.failureMessage, 1)}`);
    return { accepted: false, stage: 'fails', reason: `${failed.length} of ${suite.tests.length} tests failed: ${names.join('; ')}${failed.length > 3 ? '; …' : ''}` };
  }
  const passed = suite.tests.filter((t) => t.status === 'passed').length;
  if (passed === 0) return { accepted: false, stage: 'no-tests', reason: 'the file declares no test that runs' };
  const before = known.counts(targetFile);
  const after = known.merge(run.coverage).counts(targetFile);
  if (!after) return { accepted: false, stage: 'no-coverage-gain', reason: `${targetFile} was never loaded by the test` };
  const gainedLines = after.coveredLines - (before?.coveredLines ?? 0);
  const gainedBranches = after.coveredBranches - (before?.coveredBranches ?? 0);
  if (gainedLines <= 0 && gainedBranches <= 0) {
    return { accepted: false, stage: 'no-coverage-gain', reason: `covers no line or branch of ${targetFile} that the existing tests do not already cover` };
  }
  return { accepted: true };
}

function firstLines(text: string, count = 6): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(0, count)
    .join(' ⏎ ')
    .slice(0, 600);
}

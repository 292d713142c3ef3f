import type { CoverageGateOptions } from '../core/RunOptions.js';
import type { CoverageGateVerdict, RunReport } from './RunReport.js';

/**
 * The coverage gates: verdicts on a finished run's changed-lines coverage, which the action and
 * the CLI turn into a failed job. Pure, so the report, the summary and the exit code agree.
 *
 * "Drop" compares the same run's two measurements of the pull request's changed lines: with the
 * repository's suite alone (before) and with the accepted tests added (after). aqe never measures
 * the base branch, and the changed lines do not exist there, so this is not a regression check
 * against main; it catches accepted tests that lower the measured coverage (a test that mocks the
 * changed module away, a suite that no longer finishes with them), which adding tests must not do.
 */
export function evaluateCoverageGates(report: RunReport, options: CoverageGateOptions): CoverageGateVerdict[] {
  const before = report.changedLinesBefore?.linesPct ?? null;
  const after = report.changedLinesAfter?.linesPct ?? null;
  const gates: CoverageGateVerdict[] = [];
  if (options.failBelow !== null) gates.push(belowGate(options.failBelow, before, after));
  if (options.failOnDrop) gates.push(dropGate(before, after));
  return gates;
}

/** The verdicts that fail the run, as one message for the job's failure or the CLI's stderr; null when none failed. */
export function gateFailureMessage(gates: readonly CoverageGateVerdict[]): string | null {
  const failed = gates.filter((g) => g.status === 'failed');
  return failed.length === 0 ? null : failed.map((g) => g.message).join('; ');
}

/** One line per gate, for the job summary and the CLI's log. */
export function gateLines(gates: readonly CoverageGateVerdict[]): string[] {
  const mark = { passed: '✅', failed: '❌', 'not-applicable': 'ℹ️' } as const;
  return gates.map((g) => `${mark[g.status]} ${g.gate}: ${g.message}`);
}

function belowGate(threshold: number, before: number | null, after: number | null): CoverageGateVerdict {
  const base = { gate: 'fail-below-coverage', threshold, before, after } as const;
  if (after === null)
    return { ...base, status: 'not-applicable', message: `no changed executable lines to measure, so fail-below-coverage ${pct(threshold)} does not apply` };
  return after < threshold
    ? { ...base, status: 'failed', message: `changed-lines coverage ${pct(after)} is below fail-below-coverage ${pct(threshold)}` }
    : { ...base, status: 'passed', message: `changed-lines coverage ${pct(after)} reaches fail-below-coverage ${pct(threshold)}` };
}

function dropGate(before: number | null, after: number | null): CoverageGateVerdict {
  const base = { gate: 'fail-on-coverage-drop', before, after } as const;
  if (before === null || after === null) {
    return { ...base, status: 'not-applicable', message: 'no changed executable lines to measure, so fail-on-coverage-drop does not apply' };
  }
  return after < before
    ? { ...base, status: 'failed', message: `changed-lines coverage fell from ${pct(before)} to ${pct(after)} with the accepted tests (fail-on-coverage-drop)` }
    : { ...base, status: 'passed', message: `changed-lines coverage ${pct(before)} before, ${pct(after)} after the accepted tests: no drop` };
}

/** Shortest spelling ("61.5%", "80%"): the message quotes the threshold as the user wrote it. */
function pct(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}

import type { BaselineRunFailure, BrokenTestFile } from '../core/verdicts.js';
import { condenseFailureText } from './condenseFailureText.js';
import type { TestRunResult } from './runners/TestRunner.js';

/** What the existing suite's run says about the suite itself, before any generated test is added. */
export interface BaselineHealth {
  brokenTestFiles: BrokenTestFile[];
  runFailure?: BaselineRunFailure;
}

/** Lines of a runner error shown per broken file: the error line and its code frame. */
const ERROR_HEAD_LINES = 12;
const ERROR_HEAD_CHARS = 1200;

/**
 * Test files that could not be compiled or loaded, and a suite that did not start or did not
 * finish. Either way coverage before is measured from less than the whole suite, and a suite
 * that does not start cannot judge a candidate either.
 */
export function baselineHealth(result: TestRunResult, packageDir: string, inRepo: (file: string) => string): BaselineHealth {
  const brokenTestFiles = result.suites
    .filter((s) => s.status === 'error')
    .map((s) => ({ file: inRepo(s.file), error: errorHead(s.message || 'the file could not be compiled or loaded') }));
  if (result.timedOut)
    return { brokenTestFiles, runFailure: { kind: 'timed-out', packageDir, error: result.runnerError ?? 'the suite did not finish within its time limit' } };
  if (result.runnerError !== undefined && result.suites.length === 0)
    return { brokenTestFiles, runFailure: { kind: 'did-not-start', packageDir, error: errorHead(result.runnerError) } };
  return { brokenTestFiles };
}

export function errorHead(message: string): string {
  const lines = condenseFailureText(message, ERROR_HEAD_CHARS * 2)
    .split('\n')
    .map((l) => l.trimEnd());
  // jest's "● Test suite failed to run" heading says nothing the status does not; the error is the next line.
  while (lines.length > 0 && (lines[0]!.trim() === '' || /^●\s/.test(lines[0]!.trim()))) lines.shift();
  const shown = lines.slice(0, ERROR_HEAD_LINES);
  // Runners indent their messages; the head is read on its own.
  const indent = Math.min(...shown.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  const head = shown
    .map((l) => l.slice(Number.isFinite(indent) ? indent : 0))
    .join('\n')
    .trimEnd();
  return head.length <= ERROR_HEAD_CHARS ? head : `${head.slice(0, ERROR_HEAD_CHARS - 1)}…`;
}

import type { TestRunResult } from './runners/TestRunner.js';

/** Every failure text of a run, with the file it belongs to: a file's own error, and each failing case. */
export function runFailures(result: Pick<TestRunResult, 'suites'>): Array<{ testFile: string; text: string }> {
  return result.suites.flatMap((suite) => [
    ...(suite.message ? [{ testFile: suite.file, text: suite.message }] : []),
    ...suite.tests.filter((t) => t.status === 'failed').map((t) => ({ testFile: suite.file, text: t.failureMessage }))
  ]);
}

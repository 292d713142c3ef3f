import type { CoverageData } from '../coverage/CoverageData.js';

/** One test file's outcome in a run. */
export interface SuiteOutcome {
  /** Repo-relative path of the test file. */
  file: string;
  /** 'error' = the file could not be compiled or loaded, so no test in it ran. */
  status: 'passed' | 'failed' | 'error';
  /** Compile/load error or suite-level failure text (capped). */
  message: string;
  tests: TestCaseOutcome[];
}

export interface TestCaseOutcome {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  failureMessage: string;
}

export interface TestRunRequest {
  /** Root of the (scratch) repository the tests run in. */
  rootDir: string;
  /** Repo-relative test files to run; undefined = the repository's whole suite. */
  testFiles?: readonly string[];
  /** Repo-relative source files to measure coverage of. */
  coverageFiles: readonly string[];
  timeoutMs: number;
  /** Empty directory for the runner's result and coverage files. */
  outputDir: string;
}

export interface TestRunResult {
  timedOut: boolean;
  /** The runner itself failed (bad config, crash) and produced no results. */
  runnerError?: string;
  suites: SuiteOutcome[];
  passed: number;
  failed: number;
  coverage: CoverageData;
  durationMs: number;
}

/** A test framework driver (jest now; vitest later) behind one shape. */
export interface TestRunner {
  readonly name: string;
  run(request: TestRunRequest): Promise<TestRunResult>;
}

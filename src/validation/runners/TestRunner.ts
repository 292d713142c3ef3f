import type { CoverageData } from '../../coverage/CoverageData.js';
import type { SandboxedCode, TestSandbox } from '../../sandbox/TestSandbox.js';

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
  /** Full name: the describe titles and the test title joined by spaces. */
  name: string;
  /** The test's own title, without its describe blocks. */
  title: string;
  /** Titles of the enclosing describe blocks, outermost first. */
  ancestors: string[];
  status: 'passed' | 'failed' | 'skipped';
  failureMessage: string;
  /** 1-based line of the test call in its file, when the runner reports locations. */
  line?: number;
}

export interface TestRunRequest {
  /** Where the runner process starts: every run of untrusted code is confined by it. */
  sandbox: TestSandbox;
  /** Whose code runs: the repository's suite (keeps the network) or candidates (never have it). */
  code: SandboxedCode;
  /** Names the run in confinement events: "baseline", "first-0", "confirmation". */
  label: string;
  /** Root of the (scratch) repository the tests run in. */
  rootDir: string;
  /** Repo-relative test files to run; undefined = the repository's whole suite. */
  testFiles?: readonly string[];
  /** Repo-relative source files to measure coverage of; empty = no coverage. */
  coverageFiles: readonly string[];
  /** Limit for the whole runner process. */
  timeoutMs: number;
  /**
   * Stop the run once no test file has finished for this long, where the runner reports files as they end: every
   * file still running has then outlived a limit this long, and the files without a result are left to be run again
   * alone. Stopped so, the result is timedOut. Undefined: only timeoutMs.
   */
  stallMs?: number;
  /** Empty directory for the runner's result and coverage files. */
  outputDir: string;
  /** Also report coverage per test file (TestRunResult.coverageByTestFile); needs capabilities.perFileCoverage. */
  perFileCoverage?: boolean;
  /** Shuffle the order of tests within each file with this seed (flakiness checks). */
  shuffleSeed?: number;
  /** Limit for one test case, in the runner's own per-test timeout. */
  testCaseTimeoutMs?: number;
  /** Worker processes; undefined = one per usable CPU. */
  workers?: number;
}

export interface TestRunResult {
  timedOut: boolean;
  /** The runner itself failed (bad config, crash) and produced no results. */
  runnerError?: string;
  suites: SuiteOutcome[];
  passed: number;
  failed: number;
  /** Coverage of the run as a whole. */
  coverage: CoverageData;
  /** Coverage each test file reached on its own, keyed by repo-relative test file (perFileCoverage). */
  coverageByTestFile?: Map<string, CoverageData>;
  durationMs: number;
}

export interface TestRunnerCapabilities {
  /** One process can report coverage per test file, so candidates validate in one batch. */
  perFileCoverage: boolean;
  /** Test order within a file can be shuffled with a seed. */
  shuffle: boolean;
}

/** A test framework driver (jest, vitest) behind one shape. */
export interface TestRunner {
  readonly name: 'jest' | 'vitest';
  readonly capabilities: TestRunnerCapabilities;
  run(request: TestRunRequest): Promise<TestRunResult>;
}

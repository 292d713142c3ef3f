/**
 * Validation's verdicts on candidate tests and on the repository's own suite. They live here, not
 * in validation/ or reporting/, because validation reaches them and the report records them, and
 * stages do not import each other.
 */

/** Why a candidate was turned away; the stage tells the reader where it failed. */
export type RejectionStage =
  | 'generation' // the model failed or produced no usable code
  | 'compile' // the test file does not compile / the suite could not run
  | 'fails' // one or more test cases failed
  | 'no-tests' // the file ran but declared no test cases
  | 'no-assertion' // its tests pass without asserting anything
  | 'flaky' // passed once, then failed in repeated or shuffled runs
  | 'no-coverage-gain' // passed, but covers nothing the baseline did not
  | 'coverage-unmeasured' // passed and imports its target, but the run reported no coverage of it
  | 'duplicate' // same content as another candidate or an existing test
  | 'timeout' // killed at the test time limit
  | 'network' // needs the network, which candidates never have
  | 'suite-conflict'; // passes alone, fails alongside the repository's suite

/** What became of one test case of a candidate file. */
export type CaseVerdict = 'kept' | 'fails' | 'flaky' | 'no-assertion' | 'duplicate' | 'timeout' | 'skipped';

export interface CaseRecord {
  /** Full name as the runner reports it (describe titles and test title). */
  name: string;
  verdict: CaseVerdict;
  reason?: string;
}

/** An existing test file that could not be compiled or loaded, so none of its tests ran. */
export interface BrokenTestFile {
  /** Repo-relative. */
  file: string;
  /** The head of the runner's error: the first error line and its code frame. */
  error: string;
}

/** How the baseline suite ended when it did not run to its end. */
export interface BaselineRunFailure {
  /** did-not-start: the runner produced no result at all (bad config, missing transform); timed-out: killed at its limit. */
  kind: 'did-not-start' | 'timed-out';
  /** Repo-relative package directory ('' = root). */
  packageDir: string;
  error: string;
}

/** One package's existing suite, as its baseline run found it. */
export interface PackageBaseline {
  passed: number;
  failed: number;
  /** The runner's own error, when the run ended with one. */
  runnerError?: string;
  durationMs: number;
  brokenTestFiles: BrokenTestFile[];
  runFailure?: BaselineRunFailure;
}

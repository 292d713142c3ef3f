/** What the test-file analysis reads out of a jest or vitest file, and what it takes to cut cases out. */

/** One `it`/`test` call of a jest or vitest test file. */
export interface TestCase {
  /**
   * The title as written: a string's text; a template literal's text with its `${…}` kept; an
   * `.each`/`.for` title with its `%s`/`$name` placeholders; any other expression as source.
   */
  title: string;
  /** Enclosing describe titles, outermost first, written the same way. */
  ancestors: string[];
  /** Ancestors and title joined by spaces, as the runners name a test. */
  fullTitle: string;
  /** The call as written up to its arguments: `it`, `test.skip`, `it.each`, `test.concurrent.each`. */
  callee: string;
  /** The title the runner reports differs from `title`: placeholders, `${…}`, or a non-literal title. */
  titleIsPattern: boolean;
  /**
   * Declared once, run several times: an `.each`/`.for` table, or a call inside a loop or a helper
   * function. Removing it removes every run.
   */
  repeated: boolean;
  /** `xit`, `.skip`, `.todo`, `.skipIf`, or inside a skipped describe. */
  skipped: boolean;
  /** 1-based lines of the call's statement. */
  startLine: number;
  endLine: number;
  /** See parseTestFile for what counts as an assertion. */
  hasAssertion: boolean;
  /** The body in canonical form (see canonicalCaseText); undefined when the call has no function (`it.todo`). */
  canonicalBody?: string;
}

export interface DescribeBlock {
  title: string;
  ancestors: string[];
  startLine: number;
  endLine: number;
}

export interface ParsedTestFile {
  /** The path given to parseTestFile (names the file in duplicate reports). */
  file: string;
  cases: TestCase[];
  describes: DescribeBlock[];
}

/**
 * A test case as a runner reports it; TestCaseOutcome from src/validation/runners/TestRunner.ts fits.
 * At least a line or a title is needed.
 */
export interface TestCaseRef {
  /** 1-based line of the test call the runner reported. */
  line?: number;
  /** The test's own title as run (`.each` titles formatted). */
  title?: string;
  /** Enclosing describe titles as run, outermost first. */
  ancestors?: readonly string[];
  /** The full name (ancestors and title joined by spaces), used when title is not given. */
  name?: string;
}

export interface TestCaseRemoval {
  /** The new file text; the input unchanged when nothing was removed. */
  text: string;
  /** Each ref that was found, with the case it matched (several refs can match one `.each` case). */
  removed: Array<{ ref: TestCaseRef; testCase: TestCase }>;
  /** Refs that matched no case, matched several, or matched a case that cannot be cut out. */
  notRemoved: Array<{ ref: TestCaseRef; reason: string }>;
  /** Test cases left in the file; 0 means the file no longer has a test. */
  remainingCases: number;
}

/** Pruning would have left the file with syntax errors; the file should be handled as if it could not be pruned. */
export class TestPruningError extends Error {
  override readonly name = 'TestPruningError';
}

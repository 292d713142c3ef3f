/** A test case as found in a test file's source. */
export interface ParsedTestCase {
  title: string;
  /** Enclosing describe titles, outermost first. */
  ancestors: string[];
  /** 1-based lines of the `it(`/`test(` call. */
  line: number;
  endLine: number;
  hasAssertion: boolean;
}

/**
 * Source-level operations validation needs on a candidate file: finding its cases, removing the
 * ones that failed, and spotting copies of tests the repository already has. Backed by the
 * TypeScript compiler API; where no compiler is available there is no editor, and a file with a
 * failing case is rejected whole instead of pruned.
 */
export interface TestCaseEditor {
  /** undefined when the file does not parse. */
  parse(file: string, code: string): ParsedTestCase[] | undefined;
  /** The file without those cases (and without describe blocks they leave empty); undefined if it cannot be done cleanly. */
  remove(file: string, code: string, cases: readonly ParsedTestCase[]): string | undefined;
  /** Cases of `code` whose body repeats a case of another file: their line and what they repeat. */
  duplicates(file: string, code: string, others: ReadonlyArray<{ file: string; code: string }>): Array<{ line: number; duplicateOf: string }>;
}

/** A generated test file that passed and raised coverage, ready to be delivered. */
export interface AcceptedTest {
  /** Path of the test file relative to the repository directory (working-directory). */
  testFile: string;
  content: string;
  /** The changed source file it was generated for, relative to the same directory. */
  targetFile: string;
}

/** The repository's test runner cannot be driven (not installed for the package, too old, no coverage provider); the message says what to install. */
export class TestRunnerNotFoundError extends Error {
  override readonly name = 'TestRunnerNotFoundError';
}

/** A coverage report that cannot be read: the message names the file and what to change. */
export class CoverageFormatError extends Error {
  override readonly name = 'CoverageFormatError';
  constructor(
    readonly file: string,
    problem: string,
    fix: string
  ) {
    super(`${file}: ${problem}. ${fix}`);
  }
}

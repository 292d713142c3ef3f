/**
 * A value in .aqe/config.yml that cannot be used. Names the file (repo-relative), where in it (line:column and the
 * key path, e.g. router.rules[2].route), what was found and what is allowed, because the reader is looking at a CI log.
 */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    readonly file: string,
    /** e.g. router.rules[2].route; '' for the file as a whole. */
    readonly keyPath: string,
    readonly problem: string,
    readonly fix: string,
    readonly position?: { line: number; column: number }
  ) {
    const where = position ? `${file}:${position.line}:${position.column}` : file;
    super(`${where}: ${keyPath === '' ? '' : `${keyPath}: `}${problem}. ${/[.!?]$/.test(fix) ? fix : `${fix}.`}`);
  }
}

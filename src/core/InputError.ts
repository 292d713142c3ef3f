/**
 * A user-supplied value that cannot be used. The message always names the input and says how
 * to fix it, because the reader is looking at a CI log, not at our source.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly input: string,
    readonly problem: string,
    readonly fix: string
  ) {
    super(`Input "${input}": ${problem}. ${/[.!?]$/.test(fix) ? fix : `${fix}.`}`);
  }
}

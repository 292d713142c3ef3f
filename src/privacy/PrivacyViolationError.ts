/**
 * A provider or endpoint the privacy mode forbids, refused before any socket is opened. It is the user's
 * configuration that conflicts (privacy: strict with a cloud provider), so the message names the input the way
 * InputError does and says what to change; the reader is looking at a CI log.
 */
export class PrivacyViolationError extends Error {
  override readonly name = 'PrivacyViolationError';
  /** The input whose value forbids it, for callers that report inputs the way InputError does. */
  readonly input = 'privacy';
  constructor(
    readonly what: string,
    readonly fix: string
  ) {
    super(`Input "privacy": ${what.replace(/\.$/, '')}. ${/[.!?]$/.test(fix) ? fix : `${fix}.`}`);
  }
}

import { InferenceError } from '../errors.js';

/** A model could not be fetched, or what arrived is not a usable model; the message says what to check. */
export class ModelDownloadError extends InferenceError {
  override readonly name: string = 'ModelDownloadError';
}

/** The downloaded or cached file's sha256 is not the one the run was told to expect. */
export class ModelChecksumError extends ModelDownloadError {
  override readonly name = 'ModelChecksumError';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    advice: string
  ) {
    super(`The sha256 of ${file} is ${actual}, not the expected ${expected}. ${advice}`);
  }
}

/** The disk that would receive the model has too little room for it. */
export class NotEnoughDiskSpaceError extends ModelDownloadError {
  override readonly name = 'NotEnoughDiskSpaceError';
}

import { InferenceError } from '../errors.js';
import type { CloudInputName } from './cloudInputs.js';

/** What went wrong with a cloud request, independent of the vendor's SDK. */
export type CloudFaultKind = 'auth' | 'rate-limit' | 'overloaded' | 'server' | 'timeout' | 'malformed' | 'bad-request' | 'unreachable';

export interface CloudProviderErrorDetails {
  kind: CloudFaultKind;
  /** The HTTP status the endpoint answered with; absent when no answer came (timeout, unreachable). */
  status?: number;
  /** Whether the same request may succeed later (the SDK has already retried it maxRetries times). */
  retryable: boolean;
  /** The input the user should change, when one is to blame. */
  input?: CloudInputName;
  /** The SDK's error, kept for debugging; its message never holds the API key. */
  cause?: unknown;
}

/**
 * A cloud provider's request failed. The message names the input to fix and never holds the API key, because it ends
 * up in a CI log.
 */
export class CloudProviderError extends InferenceError {
  override readonly name = 'CloudProviderError';
  readonly kind: CloudFaultKind;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly input: CloudInputName | undefined;
  /** HTTP attempts beyond the first that the SDK made before giving up; set by the provider once the call has failed. */
  retries = 0;

  constructor(message: string, details: CloudProviderErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.status = details.status;
    this.retryable = details.retryable;
    this.input = details.input;
  }
}

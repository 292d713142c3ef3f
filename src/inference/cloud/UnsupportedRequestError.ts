import { InferenceError } from '../errors.js';

/** The endpoint has no such operation (a raw completion or embeddings on a chat-only API): the caller must use another provider for it. */
export class UnsupportedRequestError extends InferenceError {
  override readonly name = 'UnsupportedRequestError';
}

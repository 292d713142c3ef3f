import { types } from 'node:util';

/**
 * Whether `value` is an Error, also one made in another realm: Node's own errors and the DOMException of a bare
 * `abort()` are not `instanceof Error` inside a vm context such as jest's, where this code also runs.
 */
export function isError(value: unknown): value is Error {
  return value instanceof Error || value instanceof DOMException || types.isNativeError(value);
}

import { expect } from '@jest/globals';

/** The error `fn` throws, checked to be an instance of `type`; a call that throws nothing fails the test. */
export function thrown<T extends Error>(type: abstract new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected a ${type.name}`);
}

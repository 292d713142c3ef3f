import { describe, expect, it } from '@jest/globals';
import vm from 'node:vm';

import { isError } from '../../src/core/isError.js';

describe('isError', () => {
  it('accepts Errors of this realm, of another realm, and the AbortError of a bare abort()', () => {
    const controller = new AbortController();
    controller.abort();
    const foreign: unknown = vm.runInNewContext('new TypeError("from another realm")');
    expect(foreign instanceof Error).toBe(false);
    expect([new RangeError('here'), foreign, controller.signal.reason].map(isError)).toEqual([true, true, true]);
  });

  it('refuses values that only look like an Error', () => {
    expect([undefined, null, 'failed', 42, { name: 'Error', message: 'failed' }].map(isError)).toEqual([false, false, false, false, false]);
  });
});

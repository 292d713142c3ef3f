import { describe, expect, it } from 'vitest';
import { chunk } from './arrays.js';

describe('chunk', () => {
  it('splits into equal chunks with a shorter tail', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects a zero size', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

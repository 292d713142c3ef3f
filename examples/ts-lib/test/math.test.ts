import { describe, expect, it } from '@jest/globals';
import { clamp, sum } from '../src/math';

describe('clamp', () => {
  it('keeps values inside the range', () => {
    expect(clamp(5, 0, 10)).toBe(5);
  });

  it('raises values below the range to min', () => {
    expect(clamp(-3, 0, 10)).toBe(0);
  });
});

describe('sum', () => {
  it('adds all values', () => {
    expect(sum([1, 2, 3])).toBe(6);
  });
});

import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it('reads combined units', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
  });

  it('reads fractional seconds', () => {
    expect(parseDuration('2.5s')).toBe(2500);
  });

  it('rejects unknown units', () => {
    expect(() => parseDuration('3w')).toThrow(SyntaxError);
  });
});

import { describe, expect, it } from '@jest/globals';
import { formatCents, parseCents } from '../src/money';

describe('parseCents', () => {
  it('reads whole and fractional amounts', () => {
    expect(parseCents('12.34')).toBe(1234);
    expect(parseCents('7')).toBe(700);
  });

  it('rejects three decimals', () => {
    expect(() => parseCents('1.234')).toThrow(SyntaxError);
  });
});

describe('formatCents', () => {
  it('groups thousands', () => {
    expect(formatCents(123456789)).toBe('1,234,567.89');
  });
});

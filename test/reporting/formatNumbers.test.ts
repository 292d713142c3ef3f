import { describe, expect, it } from '@jest/globals';

import {
  formatCostUsd,
  formatCount,
  formatCoverageChange,
  formatDeltaPp,
  formatDuration,
  formatPercent,
  formatTokensPerSecond
} from '../../src/core/formatNumbers.js';

describe('number formatting', () => {
  it.each([
    [0, '0 ms'],
    [850.4, '850 ms'],
    [1_234, '1.2 s'],
    [59_940, '59.9 s'],
    [59_960, '1 min 0 s'],
    [125_400, '2 min 5 s'],
    [3_725_000, '1 h 2 min'],
    [-1, 'n/a'],
    [Number.NaN, 'n/a']
  ])('duration %p ms reads %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('prints percentages with two decimals and null as n/a', () => {
    expect(formatPercent(57.5)).toBe('57.50%');
    expect(formatPercent(0)).toBe('0.00%');
    expect(formatPercent(null)).toBe('n/a');
  });

  it('signs percentage-point deltas and survives float noise', () => {
    expect(formatDeltaPp(45, 57.5)).toBe('+12.50 pp');
    expect(formatDeltaPp(60, 57)).toBe('-3.00 pp');
    expect(formatDeltaPp(0.1 + 0.2, 0.3)).toBe('+0.00 pp');
    expect(formatDeltaPp(null, 10)).toBe('n/a');
  });

  it('describes a coverage change, leaving out an uncomputable delta', () => {
    const c = (linesPct: number | null) => ({ linesPct, coveredLines: 0, totalLines: 0 });
    expect(formatCoverageChange(c(45), c(57.5))).toBe('45.00% → 57.50% (+12.50 pp)');
    expect(formatCoverageChange(c(null), c(57.5))).toBe('n/a → 57.50%');
  });

  it('formats counts, rates and cost', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatTokensPerSecond(23.456)).toBe('23.5');
    expect(formatCostUsd(0)).toBe('$0.00 (local)');
    expect(formatCostUsd(0.0042)).toBe('$0.0042');
    expect(formatCostUsd(1.5)).toBe('$1.50');
  });
});

import { describe, expect, it } from '@jest/globals';
import { buildAnnotations, lineRanges, omittedAnnotationsLine } from '../../src/reporting/annotations.js';
import { makeCandidate, makeReport } from '../reporting/reportFixture.js';

describe('lineRanges', () => {
  it('groups consecutive lines and keeps gaps apart', () => {
    expect(lineRanges([3, 4, 5, 9, 11, 12])).toEqual([
      [3, 5],
      [9, 9],
      [11, 12]
    ]);
    expect(lineRanges([7, 7, 8])).toEqual([[7, 8]]);
    expect(lineRanges([])).toEqual([]);
  });
});

describe('buildAnnotations', () => {
  it('puts a notice naming the accepted tests on their target and a warning on each uncovered range', () => {
    const report = makeReport({
      candidates: [
        makeCandidate({ targetFile: 'src/cart.ts', testFile: 'test/cart.generated.test.ts' }),
        makeCandidate({ targetFile: 'src/cart.ts', testFile: 'test/cart.more.generated.test.ts' }),
        makeCandidate({ targetFile: 'src/price.ts', testFile: 'test/price.generated.test.ts', status: 'rejected', rejection: { stage: 'fails', reason: 'x' } })
      ],
      uncoveredChangedLines: [{ file: 'src/price.ts', lines: [4, 5, 6, 10] }]
    });
    const { annotations, omitted } = buildAnnotations(report, { pathPrefix: 'packages/shop' });
    expect(annotations).toEqual([
      {
        level: 'notice',
        file: 'packages/shop/src/cart.ts',
        title: 'aqe: tests generated',
        message: 'Accepted generated tests for this file: test/cart.generated.test.ts, test/cart.more.generated.test.ts'
      },
      expect.objectContaining({
        level: 'warning',
        file: 'packages/shop/src/price.ts',
        startLine: 4,
        endLine: 6,
        message: expect.stringContaining('lines 4-6')
      }),
      expect.objectContaining({
        level: 'warning',
        file: 'packages/shop/src/price.ts',
        startLine: 10,
        endLine: 10,
        message: expect.stringContaining('line 10 ')
      })
    ]);
    expect(omitted).toEqual({ notices: 0, warnings: 0 });
  });

  it('uses the report paths as they are when working-directory is the workspace root', () => {
    const { annotations } = buildAnnotations(makeReport(), { pathPrefix: '' });
    expect(annotations.map((a) => a.file)).toEqual(['src/cart.ts']);
  });

  it('stops at the limits and counts what is left out', () => {
    const lines = Array.from({ length: 47 }, (_, i) => 1 + i * 3);
    const report = makeReport({
      candidates: Array.from({ length: 12 }, (_, i) => makeCandidate({ targetFile: `src/f${String(i).padStart(2, '0')}.ts`, testFile: `test/f${i}.test.ts` })),
      uncoveredChangedLines: [{ file: 'src/big.ts', lines }]
    });
    const { annotations, omitted } = buildAnnotations(report, { pathPrefix: '' });
    expect(annotations.filter((a) => a.level === 'notice')).toHaveLength(10);
    expect(annotations.filter((a) => a.level === 'warning').map((a) => a.startLine)).toEqual(lines.slice(0, 10));
    expect(omitted).toEqual({ notices: 2, warnings: 37 });
    expect(omittedAnnotationsLine(omitted)).toContain('and 37 more uncovered ranges, and 2 more files with accepted tests not annotated');
  });

  it('adds no summary line when everything fits', () => {
    expect(omittedAnnotationsLine({ notices: 0, warnings: 0 })).toBe('');
    expect(omittedAnnotationsLine({ notices: 0, warnings: 1 })).toContain('and 1 more uncovered range not annotated');
  });
});

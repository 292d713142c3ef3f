import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CoverageData } from '../../src/coverage/CoverageData.js';

interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
const loc = (line: number): Loc => ({ start: { line, column: 0 }, end: { line, column: 20 } });

/**
 * Istanbul data for one file: `statements` as [line, hits] pairs (one statement each),
 * `functions` as [line, hits], `branches` as [line, [hitsPerArm...]].
 */
function fileCoverage(file: string, statements: Array<[number, number]>, functions: Array<[number, number]> = [], branches: Array<[number, number[]]> = []) {
  return {
    path: file,
    statementMap: Object.fromEntries(statements.map(([line], i) => [String(i), loc(line)])),
    fnMap: Object.fromEntries(functions.map(([line], i) => [String(i), { name: `fn${i}`, decl: loc(line), loc: loc(line), line }])),
    branchMap: Object.fromEntries(branches.map(([line, arms], i) => [String(i), { loc: loc(line), type: 'if', locations: arms.map(() => loc(line)), line }])),
    s: Object.fromEntries(statements.map(([, hits], i) => [String(i), hits])),
    f: Object.fromEntries(functions.map(([, hits], i) => [String(i), hits])),
    b: Object.fromEntries(branches.map(([, arms], i) => [String(i), arms]))
  };
}

let dir: string;
let n = 0;
/** Writes a coverage-final.json for files under the fake root `root`. */
function writeCoverage(root: string, files: Record<string, ReturnType<typeof fileCoverage>>): string {
  const file = path.join(dir, `coverage-${n++}.json`);
  const json = Object.fromEntries(Object.entries(files).map(([rel, data]) => [path.join(root, rel), { ...data, path: path.join(root, rel) }]));
  writeFileSync(file, JSON.stringify(json));
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'aqe-cov-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// math.ts: 4 statements on lines 1, 2, 3, 5; line 3 and 5 not run by the baseline.
const mathBaseline = fileCoverage(
  'x',
  [
    [1, 1],
    [2, 4],
    [3, 0],
    [5, 0]
  ],
  [
    [1, 1],
    [4, 0]
  ],
  [[2, [3, 0]]]
);
const mathNewTest = fileCoverage(
  'x',
  [
    [1, 1],
    [2, 0],
    [3, 2],
    [5, 0]
  ],
  [
    [1, 0],
    [4, 0]
  ],
  [[2, [0, 2]]]
);
const utilCov = fileCoverage(
  'x',
  [
    [1, 1],
    [2, 1]
  ],
  [[1, 1]]
);

describe('CoverageData.readIstanbulJson', () => {
  it('rekeys absolute paths to repo-relative ones with forward slashes', async () => {
    const root = '/scratch/copy-1';
    const file = writeCoverage(root, { 'src/math.ts': mathBaseline, 'src/lib/util.ts': utilCov });
    const data = await CoverageData.readIstanbulJson(file, root);
    expect(data.files().sort()).toEqual(['src/lib/util.ts', 'src/math.ts']);
  });

  it('lets runs from different scratch copies line up on the same keys', async () => {
    const a = await CoverageData.readIstanbulJson(writeCoverage('/scratch/a', { 'src/math.ts': mathBaseline }), '/scratch/a');
    const b = await CoverageData.readIstanbulJson(writeCoverage('/other/b', { 'src/math.ts': mathNewTest }), '/other/b');
    expect(a.files()).toEqual(b.files());
  });

  it('keeps relative keys as they are', async () => {
    const file = path.join(dir, 'relative.json');
    writeFileSync(file, JSON.stringify({ 'src/rel.ts': { ...utilCov, path: 'src/rel.ts' } }));
    const data = await CoverageData.readIstanbulJson(file, '/anything');
    expect(data.files()).toEqual(['src/rel.ts']);
  });

  it('returns empty data for a missing file', async () => {
    const data = await CoverageData.readIstanbulJson(path.join(dir, 'nope', 'coverage-final.json'), '/r');
    expect(data.files()).toEqual([]);
    expect(data.lineFigures(['src/math.ts'])).toEqual({ coveredLines: 0, totalLines: 0, linesPct: null });
  });

  it('throws on a file that is not JSON', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{"/r/a.ts": ');
    await expect(CoverageData.readIstanbulJson(file, '/r')).rejects.toThrow(SyntaxError);
  });

  it('throws read errors other than a missing file', async () => {
    const sub = path.join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    await expect(CoverageData.readIstanbulJson(sub, '/r')).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('CoverageData figures', () => {
  let baseline: CoverageData;
  beforeAll(async () => {
    baseline = await CoverageData.readIstanbulJson(writeCoverage('/root', { 'src/math.ts': mathBaseline, 'src/util.ts': utilCov }), '/root');
  });

  it('counts lines and branches of one file', () => {
    expect(baseline.counts('src/math.ts')).toEqual({ coveredLines: 2, totalLines: 4, coveredBranches: 1, totalBranches: 2 });
    expect(baseline.counts('src/util.ts')).toEqual({ coveredLines: 2, totalLines: 2, coveredBranches: 0, totalBranches: 0 });
  });

  it('returns undefined counts for a file it never saw', () => {
    expect(baseline.counts('src/other.ts')).toBeUndefined();
  });

  it('lists uncovered lines in ascending order', () => {
    expect(baseline.uncoveredLines('src/math.ts')).toEqual([3, 5]);
    expect(baseline.uncoveredLines('src/util.ts')).toEqual([]);
    expect(baseline.uncoveredLines('src/other.ts')).toEqual([]);
  });

  it('sums line figures over files, ignoring unmeasured ones', () => {
    expect(baseline.lineFigures(['src/math.ts'])).toEqual({ coveredLines: 2, totalLines: 4, linesPct: 50 });
    expect(baseline.lineFigures(['src/math.ts', 'src/util.ts', 'src/missing.ts'])).toEqual({ coveredLines: 4, totalLines: 6, linesPct: 66.67 });
    expect(baseline.lineFigures([])).toEqual({ coveredLines: 0, totalLines: 0, linesPct: null });
    expect(baseline.lineFigures(['src/missing.ts'])).toEqual({ coveredLines: 0, totalLines: 0, linesPct: null });
  });

  it('rounds percentages to two decimals', async () => {
    const thirds = fileCoverage('x', [
      [1, 1],
      [2, 0],
      [3, 0]
    ]);
    const data = await CoverageData.readIstanbulJson(writeCoverage('/r', { 'a.ts': thirds }), '/r');
    expect(data.lineFigures(['a.ts']).linesPct).toBe(33.33);
  });

  it('takes the highest hit count when several statements share a line', async () => {
    const shared = fileCoverage('x', [
      [1, 0],
      [1, 2],
      [2, 0]
    ]);
    const data = await CoverageData.readIstanbulJson(writeCoverage('/r', { 'a.ts': shared }), '/r');
    expect(data.counts('a.ts')).toMatchObject({ coveredLines: 1, totalLines: 2 });
    expect(data.uncoveredLines('a.ts')).toEqual([2]);
  });
});

describe('CoverageData.merge', () => {
  it('sums hits of both runs and leaves the inputs untouched', async () => {
    const a = await CoverageData.readIstanbulJson(writeCoverage('/copy/a', { 'src/math.ts': mathBaseline }), '/copy/a');
    const b = await CoverageData.readIstanbulJson(writeCoverage('/copy/b', { 'src/math.ts': mathNewTest, 'src/util.ts': utilCov }), '/copy/b');
    const merged = a.merge(b);
    expect(merged.files().sort()).toEqual(['src/math.ts', 'src/util.ts']);
    expect(merged.counts('src/math.ts')).toEqual({ coveredLines: 3, totalLines: 4, coveredBranches: 2, totalBranches: 2 });
    expect(merged.uncoveredLines('src/math.ts')).toEqual([5]);
    expect(merged.lineFigures(['src/math.ts', 'src/util.ts'])).toEqual({ coveredLines: 5, totalLines: 6, linesPct: 83.33 });
    // inputs unchanged
    expect(a.files()).toEqual(['src/math.ts']);
    expect(a.uncoveredLines('src/math.ts')).toEqual([3, 5]);
    expect(b.uncoveredLines('src/math.ts')).toEqual([2, 5]);
  });

  it('merging twice does not double count into the original', async () => {
    const a = await CoverageData.readIstanbulJson(
      writeCoverage('/r', {
        'm.ts': fileCoverage('x', [
          [1, 0],
          [2, 0]
        ])
      }),
      '/r'
    );
    const b = await CoverageData.readIstanbulJson(
      writeCoverage('/r', {
        'm.ts': fileCoverage('x', [
          [1, 1],
          [2, 0]
        ])
      }),
      '/r'
    );
    a.merge(b);
    const again = a.merge(b);
    expect(again.uncoveredLines('m.ts')).toEqual([2]);
    expect(a.uncoveredLines('m.ts')).toEqual([1, 2]);
  });

  it('with empty data gives the other data', async () => {
    const b = await CoverageData.readIstanbulJson(writeCoverage('/r', { 'u.ts': utilCov }), '/r');
    const merged = CoverageData.empty().merge(b);
    expect(merged.files()).toEqual(['u.ts']);
    expect(merged.counts('u.ts')).toEqual(b.counts('u.ts'));
  });
});

describe('CoverageData.withUnloadedFiles', () => {
  it('adds a zero-hit copy of files only the other run measured', async () => {
    const baseline = await CoverageData.readIstanbulJson(writeCoverage('/r', { 'src/util.ts': utilCov }), '/r');
    const run = await CoverageData.readIstanbulJson(
      writeCoverage('/s', {
        'src/math.ts': mathNewTest,
        'src/util.ts': fileCoverage(
          'x',
          [
            [1, 0],
            [2, 0]
          ],
          [[1, 0]]
        )
      }),
      '/s'
    );
    const filled = baseline.withUnloadedFiles(run);
    expect(filled.files().sort()).toEqual(['src/math.ts', 'src/util.ts']);
    expect(filled.counts('src/math.ts')).toEqual({ coveredLines: 0, totalLines: 4, coveredBranches: 0, totalBranches: 2 });
    expect(filled.uncoveredLines('src/math.ts')).toEqual([1, 2, 3, 5]);
    // files both have keep this run's hits
    expect(filled.counts('src/util.ts')).toEqual(baseline.counts('src/util.ts'));
    expect(filled.lineFigures(['src/math.ts', 'src/util.ts'])).toEqual({ coveredLines: 2, totalLines: 6, linesPct: 33.33 });
    // neither input changed
    expect(baseline.files()).toEqual(['src/util.ts']);
    expect(run.counts('src/math.ts')).toMatchObject({ coveredLines: 2 });
  });

  it('returns itself when nothing is missing', async () => {
    const a = await CoverageData.readIstanbulJson(writeCoverage('/r', { 'u.ts': utilCov }), '/r');
    const b = await CoverageData.readIstanbulJson(writeCoverage('/q', { 'u.ts': utilCov }), '/q');
    expect(a.withUnloadedFiles(b)).toBe(a);
    expect(a.withUnloadedFiles(CoverageData.empty())).toBe(a);
  });

  it('fills an empty baseline, so before/after compare the same lines', async () => {
    const run = await CoverageData.readIstanbulJson(writeCoverage('/s', { 'src/math.ts': mathNewTest }), '/s');
    const before = CoverageData.empty().withUnloadedFiles(run);
    expect(before.lineFigures(['src/math.ts'])).toEqual({ coveredLines: 0, totalLines: 4, linesPct: 0 });
    expect(run.lineFigures(['src/math.ts'])).toEqual({ coveredLines: 2, totalLines: 4, linesPct: 50 });
  });
});

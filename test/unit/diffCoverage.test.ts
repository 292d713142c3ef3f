import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import type { FileCoverageData, Range } from 'istanbul-lib-coverage';

import { CoverageData } from '../../src/coverage/CoverageData.js';
import { diffCoverage } from '../../src/coverage/diffCoverage.js';
import { changedFilesFromGit } from '../../src/repo/git.js';

const span = (startLine: number, endLine = startLine, startColumn = 0): Range => ({
  start: { line: startLine, column: startColumn },
  end: { line: endLine, column: 40 }
});

/** Istanbul data for one file from statements given as [range, hits]. */
function statements(file: string, list: Array<[Range, number]>): FileCoverageData {
  return {
    path: file,
    statementMap: Object.fromEntries(list.map(([range], i) => [String(i), range])),
    s: Object.fromEntries(list.map(([, hits], i) => [String(i), hits])),
    // A function declared on line 1 with no statement there: its line is not executable.
    fnMap: { '0': { name: 'f', decl: span(1), loc: span(1, 9), line: 1 } },
    f: { '0': 1 },
    branchMap: {},
    b: {}
  };
}

/*
 * src/a.ts, by line:
 *  1 function f() {          (function declaration only)
 *  2   const x = 1;          hits 3
 *  3   call(                 a statement spanning 3-5, hits 0
 *  4     x,
 *  5   );
 *  6   a(); b();             two statements: hits 0 and 2 → line hits 2
 *  7   // comment
 *  8   if (x) y();           two statements: both 0
 *  9 }
 */
const coverage = CoverageData.fromFileCoverage({
  'src/a.ts': statements('src/a.ts', [
    [span(2), 3],
    [span(3, 5), 0],
    [span(6, 6, 2), 0],
    [span(6, 6, 8), 2],
    [span(8, 8, 2), 0],
    [span(8, 8, 9), 0]
  ]),
  'src/b.ts': statements('src/b.ts', [
    [span(1), 1],
    [span(2), 1]
  ])
});

describe('diffCoverage', () => {
  it('counts only changed lines a statement starts on, covered when the best statement there ran', () => {
    const result = diffCoverage(coverage, [{ filename: 'src/a.ts', changedLines: [1, 2, 3, 4, 6, 7, 8, 9] }]);
    expect(result.files).toEqual([
      {
        file: 'src/a.ts',
        measured: true,
        wholeFile: false,
        // executable: 2 (3 hits), 3 (0), 6 (max 2), 8 (0); 1, 4, 7 and 9 are not
        figures: { coveredLines: 2, totalLines: 4, linesPct: 50 },
        uncoveredChangedLines: [3, 8]
      }
    ]);
    expect(result.total).toEqual({ coveredLines: 2, totalLines: 4, linesPct: 50 });
  });

  it('counts every executable line when the changed lines are unknown', () => {
    const result = diffCoverage(coverage, [{ filename: 'src/a.ts' }]);
    expect(result.files[0]).toMatchObject({ wholeFile: true, figures: { coveredLines: 2, totalLines: 4, linesPct: 50 }, uncoveredChangedLines: [3, 8] });
    expect(result.files[0]!.figures).toEqual(coverage.lineFigures(['src/a.ts']));
  });

  it('gives no percentage when no changed line is executable', () => {
    const result = diffCoverage(coverage, [
      { filename: 'src/a.ts', changedLines: [4, 7] },
      { filename: 'src/b.ts', changedLines: [] }
    ]);
    expect(result.files.map((f) => f.figures)).toEqual([
      { coveredLines: 0, totalLines: 0, linesPct: null },
      { coveredLines: 0, totalLines: 0, linesPct: null }
    ]);
    expect(result.total).toEqual({ coveredLines: 0, totalLines: 0, linesPct: null });
  });

  it('sums over files and marks files the coverage never saw', () => {
    const result = diffCoverage(coverage, [
      { filename: 'src/a.ts', changedLines: [3, 3, 8] },
      { filename: 'src/b.ts', changedLines: [2, 99] },
      { filename: 'src/unloaded.ts', changedLines: [1, 2] }
    ]);
    expect(result.files.map((f) => [f.file, f.measured, f.figures.coveredLines, f.figures.totalLines])).toEqual([
      ['src/a.ts', true, 0, 2],
      ['src/b.ts', true, 1, 1],
      ['src/unloaded.ts', false, 0, 0]
    ]);
    expect(result.total).toEqual({ coveredLines: 1, totalLines: 3, linesPct: 33.33 });
  });

  it('exposes the per-line hits it decides from', () => {
    expect([...coverage.lineHits('src/a.ts')]).toEqual([
      [2, 3],
      [3, 0],
      [6, 2],
      [8, 0]
    ]);
    expect(coverage.lineHits('src/unloaded.ts').size).toBe(0);
  });
});

describe('diffCoverage of a real pull request and a real instrumented run', () => {
  const require = createRequire(import.meta.url);
  const { createInstrumenter } = require('istanbul-lib-instrument') as {
    createInstrumenter: (options: { coverageVariable: string; esModules: boolean }) => { instrumentSync(code: string, filename: string): string };
  };
  let repo: string;

  beforeAll(() => {
    repo = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-diffcov-')));
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@e', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    writeFileSync(path.join(repo, 'math.js'), ['function add(a, b) {', '  return a + b;', '}', 'add(1, 2);', ''].join('\n'));
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    writeFileSync(
      path.join(repo, 'math.js'),
      [
        'function add(a, b) {',
        '  return a + b;',
        '}',
        '// clamps v into [lo, hi]',
        'function clamp(v, lo, hi) {',
        '  if (v < lo) return lo;',
        '  if (v > hi) {',
        '    return hi;',
        '  }',
        '  return v;',
        '}',
        'add(1, 2);',
        'clamp(5, 0, 10);',
        ''
      ].join('\n')
    );
    git('commit', '-q', '-am', 'clamp');
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it('finds which changed lines the run left uncovered', async () => {
    const changed = await changedFilesFromGit(repo, 'HEAD~1', 'HEAD');
    expect(changed).toEqual([{ filename: 'math.js', status: 'modified', changedLines: [4, 5, 6, 7, 8, 9, 10, 11, 13] }]);

    const file = path.join(repo, 'math.js');
    const context = vm.createContext({});
    vm.runInContext(createInstrumenter({ coverageVariable: '__coverage__', esModules: false }).instrumentSync(readFileSync(file, 'utf8'), file), context);
    const coverageFile = path.join(repo, 'coverage-final.json');
    writeFileSync(coverageFile, JSON.stringify((context as { __coverage__: unknown }).__coverage__));
    const run = await CoverageData.readIstanbulJson(coverageFile, repo);

    const result = diffCoverage(run, changed);
    // Changed executable lines: 6 (if + return lo), 7, 8, 10, 13. clamp(5, 0, 10) returns v, so
    // line 8 never ran; line 6's `return lo` did not either, but its `if` did, so the line counts as run.
    expect(result.files[0]).toMatchObject({ measured: true, wholeFile: false, uncoveredChangedLines: [8] });
    expect(result.total).toEqual({ coveredLines: 4, totalLines: 5, linesPct: 80 });
  });
});

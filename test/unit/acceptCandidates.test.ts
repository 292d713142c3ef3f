/**
 * The acceptance step on hand-made coverage and suite results: coverage gain first, then the run
 * next to the suite, which rejects only the files it saw fail and never blames a file it did not reach.
 */
import { describe, expect, it } from '@jest/globals';
import { acceptCandidates, type AcceptanceContext } from '../../src/validation/acceptCandidates.js';
import type { CandidateTest } from '../../src/validation/CandidateTest.js';
import type { SuiteOutcome, TestRunResult } from '../../src/validation/runners/TestRunner.js';
import { lineCoverage } from '../support/lineCoverage.js';

function stable(target: string, testFile: string, hits: Record<number, number>): CandidateTest {
  return {
    target,
    testFile,
    code: `import '../${target}';`,
    attempts: 1,
    runs: 6,
    cases: [{ name: 'works', verdict: 'kept' }],
    state: 'stable',
    coverage: lineCoverage({ [target]: hits })
  };
}

function suiteRun(statuses: Record<string, SuiteOutcome['status']>, over: Partial<TestRunResult> = {}): TestRunResult {
  const suites = Object.entries(statuses).map(([file, status]) => ({ file, status, message: '', tests: [] }));
  return {
    timedOut: false,
    suites,
    passed: 1,
    failed: 0,
    coverage: lineCoverage({ 'src/a.ts': { 1: 1, 2: 1, 3: 1 }, 'src/b.ts': { 1: 1, 2: 1 } }),
    durationMs: 1,
    ...over
  };
}

const baseline = lineCoverage({ 'src/a.ts': { 1: 1, 2: 0, 3: 0 }, 'src/b.ts': { 1: 0, 2: 0 } });

function context(runs: TestRunResult[] | undefined): { ctx: AcceptanceContext; removed: string[]; warnings: string[]; attempts: number[] } {
  const removed: string[] = [];
  const warnings: string[] = [];
  const attempts: number[] = [];
  const ctx: AcceptanceContext = {
    baseline,
    changedLines: new Map(),
    remove: async (file) => void removed.push(file),
    warn: (m) => void warnings.push(m),
    ...(runs ? { runSuite: async (attempt: number) => (attempts.push(attempt), runs[attempt - 1]!) } : {})
  };
  return { ctx, removed, warnings, attempts };
}

describe('acceptCandidates', () => {
  it('accepts what raises coverage, rejects what repeats it, and takes the rejected file out before the suite runs', async () => {
    const a = stable('src/a.ts', 'test/a.test.ts', { 1: 1, 2: 1 });
    const again = stable('src/a.ts', 'test/a2.test.ts', { 2: 1 });
    const { ctx, removed, attempts } = context([suiteRun({ 'test/a.test.ts': 'passed' })]);
    const acceptance = await acceptCandidates([a, again], ctx);
    expect([a.state, again.state, again.rejection?.stage]).toEqual(['accepted', 'rejected', 'no-coverage-gain']);
    expect(removed).toEqual(['test/a2.test.ts']);
    expect(attempts).toEqual([1]);
    expect(acceptance.after.lineFigures(['src/a.ts']).coveredLines).toBe(3);
  });

  it('rejects a file that fails next to the suite, and runs the suite again without it', async () => {
    const a = stable('src/a.ts', 'test/a.test.ts', { 2: 1 });
    const b = stable('src/b.ts', 'test/b.test.ts', { 1: 1 });
    const { ctx, removed, attempts } = context([
      suiteRun({ 'test/a.test.ts': 'passed', 'test/b.test.ts': 'failed' }),
      suiteRun({ 'test/a.test.ts': 'passed' })
    ]);
    await acceptCandidates([a, b], ctx);
    expect([a.state, b.state, b.rejection?.stage]).toEqual(['accepted', 'rejected', 'suite-conflict']);
    expect(removed).toEqual(['test/b.test.ts']);
    expect(attempts).toEqual([1, 2]);
  });

  it('keeps a file the suite run never reached, marked not confirmed, and blames nothing on it', async () => {
    const a = stable('src/a.ts', 'test/a.test.ts', { 2: 1 });
    const { ctx, warnings } = context([suiteRun({}, { timedOut: true, runnerError: 'jest was stopped after 600 s (test-timeout)' })]);
    await acceptCandidates([a], ctx);
    expect(a).toMatchObject({ state: 'accepted', confirmedWithSuite: false });
    expect(warnings).toEqual([
      expect.stringContaining('did not finish in time (jest was stopped after 600 s (test-timeout)) before it reached test/a.test.ts')
    ]);
  });

  it('without a suite that finishes, accepts on coverage alone and says the files are not confirmed', async () => {
    const a = stable('src/a.ts', 'test/a.test.ts', { 2: 1 });
    const { ctx, attempts } = context(undefined);
    const acceptance = await acceptCandidates([a], ctx);
    expect(a).toMatchObject({ state: 'accepted', confirmedWithSuite: false });
    expect(attempts).toEqual([]);
    expect(acceptance.after.lineFigures(['src/a.ts']).coveredLines).toBe(2);
  });

  it('rejects files that keep conflicting, and then counts what the rest reach alone', async () => {
    const files = ['a', 'b', 'c', 'd'].map((n, i) => stable('src/a.ts', `test/${n}.test.ts`, { [i + 1]: 1 }));
    const run = (failing: string) => suiteRun({ ...Object.fromEntries(files.map((f) => [f.testFile, 'passed' as const])), [failing]: 'failed' });
    // c repeats nothing of a and b (line 3), d adds line 4: four distinct gains on one target.
    const target = lineCoverage({ 'src/a.ts': { 1: 0, 2: 0, 3: 0, 4: 0 } });
    const { ctx, warnings } = context([run('test/b.test.ts'), run('test/c.test.ts'), run('test/d.test.ts')]);
    const acceptance = await acceptCandidates(files, { ...ctx, baseline: target });
    expect(files.map((f) => f.state)).toEqual(['accepted', 'rejected', 'rejected', 'rejected']);
    // Not the last run's figures, which still had c and d in them.
    expect(acceptance.after.lineFigures(['src/a.ts']).coveredLines).toBe(1);
    expect(warnings).toEqual([expect.stringContaining('kept failing alongside the suite for 3 runs; the last ones rejected: test/d.test.ts')]);
  });
});

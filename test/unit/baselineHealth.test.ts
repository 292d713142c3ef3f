import { describe, expect, it } from '@jest/globals';
import { CoverageData } from '../../src/coverage/CoverageData.js';
import { baselineHealth, errorHead } from '../../src/validation/baselineHealth.js';
import type { TestRunResult } from '../../src/validation/runners/TestRunner.js';

const run = (over: Partial<TestRunResult>): TestRunResult => ({
  timedOut: false,
  suites: [],
  passed: 0,
  failed: 0,
  coverage: CoverageData.empty(),
  durationMs: 1,
  ...over
});
const inPkg = (f: string): string => `packages/core/${f}`;

describe('baselineHealth', () => {
  it('names each test file that did not load, repo-relative, with the head of its error', () => {
    const health = baselineHealth(
      run({
        passed: 2,
        suites: [
          { file: 'test/ok.test.ts', status: 'passed', message: '', tests: [] },
          {
            file: 'test/bad.test.ts',
            status: 'error',
            message: '  ● Test suite failed to run\n\n    SyntaxError: Unexpected token (3:4)\n\n    > 3 | it(\n',
            tests: []
          }
        ]
      }),
      'packages/core',
      inPkg
    );
    expect(health).toEqual({ brokenTestFiles: [{ file: 'packages/core/test/bad.test.ts', error: 'SyntaxError: Unexpected token (3:4)\n\n> 3 | it(' }] });
  });

  it('tells a suite that did not start from one that ran out of time', () => {
    expect(baselineHealth(run({ runnerError: 'jest produced no results (exit 1): Error: bad config' }), '', (f) => f).runFailure).toEqual({
      kind: 'did-not-start',
      packageDir: '',
      error: 'jest produced no results (exit 1): Error: bad config'
    });
    const late = baselineHealth(
      run({
        timedOut: true,
        runnerError: 'jest was stopped after 600 s (test-timeout)',
        suites: [{ file: 'a.test.ts', status: 'passed', message: '', tests: [] }]
      }),
      '',
      (f) => f
    );
    expect(late.runFailure).toEqual({ kind: 'timed-out', packageDir: '', error: 'jest was stopped after 600 s (test-timeout)' });
    // A runner error after some files ran (a crash at the end) is no "did not start".
    expect(
      baselineHealth(run({ runnerError: 'crashed', suites: [{ file: 'a.test.ts', status: 'passed', message: '', tests: [] }] }), '', (f) => f).runFailure
    ).toBeUndefined();
  });

  it('keeps an error head short', () => {
    const head = errorHead(['Error: first', ...Array.from({ length: 100 }, (_, i) => `detail ${i}`)].join('\n'));
    expect(head.split('\n')).toHaveLength(12);
    expect(head.startsWith('Error: first\n')).toBe(true);
  });
});

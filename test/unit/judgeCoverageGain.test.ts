/**
 * The coverage-gain verdict on hand-made istanbul data, and its safety net: a passing test that imports its target but
 * has no coverage of it is a measurement failure (coverage-unmeasured), never a test without value.
 */
import { describe, expect, it } from '@jest/globals';
import libCoverage from 'istanbul-lib-coverage';
import { CoverageData } from '../../src/coverage/CoverageData.js';
import { judgeCoverageGain } from '../../src/validation/judgeCoverageGain.js';
import { isIstanbulCoverageData } from '../../src/validation/istanbulCoverageData.js';
import { lineCoverage } from '../support/lineCoverage.js';

/** One statement per line, with its hits. */
const coverageOf = (file: string, hitsByLine: Record<number, number>): CoverageData => lineCoverage({ [file]: hitsByLine });

const TARGET = 'src/lruCache.ts';
const importsTarget = {
  testFile: 'test/lruCache.aqe.test.ts',
  code: "import { LruCache } from '../src/lruCache.js';\n\nit('works', () => expect(new LruCache(1).size).toBe(0));\n"
};
const importsOther = {
  testFile: 'test/lruCache.aqe.test.ts',
  code: "import { toSeconds } from '../src/duration.js';\n\nit('works', () => expect(toSeconds(1500)).toBe(2));\n"
};

describe('judgeCoverageGain', () => {
  const baseline = coverageOf(TARGET, { 1: 1, 2: 0, 3: 0 });

  it('accepts a test that covers a line the suite does not, and only changed lines count when they are known', () => {
    const own = coverageOf(TARGET, { 1: 1, 2: 3, 3: 0 });
    expect(judgeCoverageGain(own, TARGET, baseline, undefined, importsTarget)).toEqual({ accepted: true });
    expect(judgeCoverageGain(own, TARGET, baseline, [2])).toEqual({ accepted: true });
    expect(judgeCoverageGain(own, TARGET, baseline, [3])).toEqual({
      accepted: false,
      stage: 'no-coverage-gain',
      reason: `covers no changed line or branch of ${TARGET} that the existing tests do not already cover`
    });
  });

  it('reports a passing test that imports its target yet has no coverage of it as a measurement failure', () => {
    for (const own of [CoverageData.empty(), coverageOf('src/duration.ts', { 1: 1 })]) {
      const verdict = judgeCoverageGain(own, TARGET, baseline, [2], importsTarget);
      expect(verdict).toMatchObject({ accepted: false, stage: 'coverage-unmeasured' });
      const reason = (verdict as { reason: string }).reason;
      expect(reason).toMatch(/^coverage could not be measured: the test imports src\/lruCache\.ts and passes, yet the run reported no coverage of it\./);
      expect(reason).toContain('coverage provider is installed at the runner');
      expect(reason).toContain(`do not leave ${TARGET} out`);
      expect(reason).not.toContain('never loaded');
    }
  });

  it('keeps "never loaded" for a test that does not import its target, or when the test file is not known', () => {
    const never = { accepted: false, stage: 'no-coverage-gain', reason: `${TARGET} was never loaded by the test` };
    expect(judgeCoverageGain(CoverageData.empty(), TARGET, baseline, [2], importsOther)).toEqual(never);
    expect(judgeCoverageGain(CoverageData.empty(), TARGET, baseline, [2])).toEqual(never);
  });
});

describe('isIstanbulCoverageData', () => {
  it('accepts istanbul coverage maps, the empty one included', () => {
    const map = libCoverage.createCoverageMap({});
    map.addFileCoverage(libCoverage.createFileCoverage('/repo/src/lruCache.ts'));
    expect(isIstanbulCoverageData(map.toJSON())).toBe(true);
    expect(isIstanbulCoverageData({})).toBe(true);
  });

  it('refuses a file name, a v8 profile and maps whose entries are not istanbul file data', () => {
    expect(isIstanbulCoverageData('/tmp/coverage/.tmp/coverage-0.json')).toBe(false);
    expect(isIstanbulCoverageData({ result: [{ scriptId: '1', url: 'file:///repo/src/a.ts', functions: [] }] })).toBe(false);
    expect(isIstanbulCoverageData([])).toBe(false);
    expect(isIstanbulCoverageData(null)).toBe(false);
    expect(isIstanbulCoverageData({ 'src/a.ts': 'not counters' })).toBe(false);
    const withoutStatements: Record<string, unknown> = { ...libCoverage.createFileCoverage('/repo/src/a.ts').data };
    expect(isIstanbulCoverageData({ '/repo/src/a.ts': withoutStatements })).toBe(true);
    delete withoutStatements.s;
    expect(isIstanbulCoverageData({ '/repo/src/a.ts': withoutStatements })).toBe(false);
  });
});

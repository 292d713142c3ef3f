import type { CandidateTest } from '../src/validation/CandidateTest.js';

/**
 * Generated-looking test files for the example pull request (examples/ts-lib: src/math.ts and the
 * added src/strings.ts). Each file covers two functions of one target with values of its own, so no
 * two files are alike and none repeats the example's own tests; some carry one wrong expectation,
 * so validation has a case to prune, as it has with real model output.
 */

interface CaseSource {
  title: string;
  body: string;
}

interface FunctionCases {
  name: string;
  /** Two passing cases, their values drawn from `v` (1, 2, ...). */
  passing: (v: number) => CaseSource[];
  /** A case whose expectation is wrong: it fails, and validation prunes it. */
  failing: (v: number) => CaseSource;
}

interface TargetCases {
  target: string;
  importFrom: string;
  /** Short name used in test file names. */
  base: string;
  functions: FunctionCases[];
}

const TARGETS: TargetCases[] = [
  {
    target: 'src/math.ts',
    importFrom: '../src/math',
    base: 'math',
    functions: [
      {
        name: 'clamp',
        passing: (v) => [
          { title: 'lowers values above the range to max', body: `expect(clamp(${v + 20}, 0, 10)).toBe(10);` },
          { title: 'rejects a range whose min is above its max', body: `expect(() => clamp(1, ${v + 5}, 0)).toThrow(RangeError);` }
        ],
        failing: (v) => ({ title: 'passes values above the range through', body: `expect(clamp(${v + 20}, 0, 10)).toBe(${v + 20});` })
      },
      {
        name: 'sum',
        passing: (v) => [
          // From 11 up: sum([1, 2, 3]) is the example's own test, and would be pruned as a duplicate.
          { title: 'adds consecutive numbers', body: `expect(sum([${v + 10}, ${v + 11}, ${v + 12}])).toBe(${3 * v + 33});` },
          { title: 'returns 0 for an empty list', body: 'expect(sum([])).toBe(0);' }
        ],
        failing: (v) => ({ title: 'adds one more than it should', body: `expect(sum([${v}, 1])).toBe(${v + 2});` })
      },
      {
        name: 'mean',
        passing: (v) => [
          { title: 'averages evenly spaced values', body: `expect(mean([${v}, ${v + 2}, ${v + 4}])).toBe(${v + 2});` },
          { title: 'is undefined for an empty list', body: 'expect(mean([])).toBeUndefined();' }
        ],
        failing: () => ({ title: 'is zero for an empty list', body: 'expect(mean([])).toBe(0);' })
      },
      {
        name: 'lerp',
        passing: (v) => [
          { title: 'returns the midpoint at t = 0.5', body: `expect(lerp(0, ${10 * v}, 0.5)).toBe(${5 * v});` },
          { title: 'clamps t above 1 to the end', body: `expect(lerp(${v}, ${v + 10}, 2)).toBe(${v + 10});` }
        ],
        failing: () => ({ title: 'extrapolates beyond the end', body: 'expect(lerp(0, 10, 2)).toBe(20);' })
      }
    ]
  },
  {
    target: 'src/strings.ts',
    importFrom: '../src/strings',
    base: 'strings',
    functions: [
      {
        name: 'slugify',
        passing: (v) => [
          { title: 'joins lower-cased words with dashes', body: `expect(slugify('Release ${v}.0 Notes')).toBe('release-${v}-0-notes');` },
          { title: 'drops accents', body: `expect(slugify('Crème Brûlée ${v}')).toBe('creme-brulee-${v}');` }
        ],
        failing: () => ({ title: 'keeps underscores', body: "expect(slugify('A_B')).toBe('a_b');" })
      },
      {
        name: 'truncate',
        passing: (v) => [
          { title: 'cuts long text with an ellipsis', body: `expect(truncate('${'x'.repeat(v + 5)}', ${v + 2})).toBe('${'x'.repeat(v + 1)}…');` },
          { title: 'returns short text unchanged', body: `expect(truncate('word ${v}', 20)).toBe('word ${v}');` }
        ],
        failing: () => ({ title: 'cuts without an ellipsis', body: "expect(truncate('abcdef', 3)).toBe('abc');" })
      },
      {
        name: 'wordCount',
        passing: (v) => [
          {
            title: 'counts words across mixed whitespace',
            body: `expect(wordCount(${JSON.stringify(Array.from({ length: v + 1 }, (_, k) => `w${k}`).join(' \t\n'.charAt(v % 3)))})).toBe(${v + 1});`
          },
          { title: 'returns 0 for blank text', body: `expect(wordCount('${' '.repeat(v)}')).toBe(0);` }
        ],
        failing: () => ({ title: 'splits on commas', body: "expect(wordCount('one,two')).toBe(2);" })
      }
    ]
  }
];

/** What validation should conclude about a file, known from how it was built. */
export interface ExpectedVerdict {
  /** 'stable' when the failing case can be pruned (an editor is present) or there is none. */
  state: 'stable' | 'rejected';
  /** Full names (describe + title) of the cases that pass. */
  passingCases: string[];
  /** Full name of the case with the wrong expectation, when the file has one. */
  failingCase?: string;
}

export interface BenchCandidate {
  target: string;
  testFile: string;
  code: string;
  expected: ExpectedVerdict;
}

/**
 * `count` candidate files, alternating between the two targets and walking through their
 * functions; every third file (the 2nd, 5th, ...) has one failing case.
 */
export function benchCandidates(count: number, withEditor: boolean): BenchCandidate[] {
  const candidates: BenchCandidate[] = [];
  for (let i = 0; i < count; i++) {
    const spec = TARGETS[i % TARGETS.length]!;
    const round = Math.floor(i / TARGETS.length);
    const v = i + 1;
    const chosen = [spec.functions[round % spec.functions.length]!, spec.functions[(round + 1) % spec.functions.length]!];
    const failingIn = i % 3 === 1 ? chosen[0]!.name : undefined;
    const passingCases: string[] = [];
    let failingCase: string | undefined;
    const blocks = chosen.map((fn) => {
      const cases = fn.passing(v);
      for (const c of cases) passingCases.push(`${fn.name} ${c.title}`);
      if (fn.name === failingIn) {
        const wrong = fn.failing(v);
        failingCase = `${fn.name} ${wrong.title}`;
        cases.splice(1, 0, wrong);
      }
      const its = cases.map((c) => `  it(${JSON.stringify(c.title)}, () => {\n    ${c.body}\n  });`).join('\n\n');
      return `describe('${fn.name}', () => {\n${its}\n});`;
    });
    const names = chosen.map((fn) => fn.name);
    const code = `import { describe, expect, it } from '@jest/globals';\nimport { ${names.join(', ')} } from '${spec.importFrom}';\n\n${blocks.join('\n\n')}\n`;
    candidates.push({
      target: spec.target,
      testFile: `test/${spec.base}-${names.join('-')}-${v}.test.ts`,
      code,
      expected: { state: failingCase !== undefined && !withEditor ? 'rejected' : 'stable', passingCases, ...(failingCase !== undefined ? { failingCase } : {}) }
    });
  }
  return candidates;
}

/** A fresh CandidateTest, as generation hands it to validation. */
export function toCandidateTest(c: BenchCandidate): CandidateTest {
  return { target: c.target, testFile: c.testFile, code: c.code, attempts: 1, runs: 0, cases: [], state: 'pending' };
}

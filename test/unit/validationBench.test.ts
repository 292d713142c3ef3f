/**
 * The validation benchmark's own logic (bench/validation*.ts): the candidate files it validates and the checks
 * that make a run fail when the two strategies disagree. The timed run itself is `npm run bench:validation`.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchCandidates } from '../../bench/validationCandidates.js';
import { type CandidateVerdict, compareVerdicts, compareWithExpected } from '../../bench/validationVerdicts.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { analysisTestCaseEditor } from '../../src/validation/analysisTestCaseEditor.js';
import { projectTypeScript } from './analysis/projectTypeScript.js';

const editor = analysisTestCaseEditor(await projectTypeScript());
const existing = [{ file: 'test/math.test.ts', code: readFileSync(path.join(examplesDir(), 'ts-lib', 'test', 'math.test.ts'), 'utf8') }];

describe('benchCandidates', () => {
  const built = benchCandidates(12, true);

  it('makes distinct files under test/ for both targets, every third with one failing case', () => {
    expect(new Set(built.map((c) => c.testFile)).size).toBe(12);
    expect(new Set(built.map((c) => c.code)).size).toBe(12);
    expect(built.every((c) => /^test\/[\w-]+\.test\.ts$/.test(c.testFile))).toBe(true);
    expect(built.filter((c) => c.target === 'src/math.ts')).toHaveLength(6);
    expect(built.filter((c) => c.target === 'src/strings.ts')).toHaveLength(6);
    expect(built.map((c) => c.expected.failingCase !== undefined)).toEqual([false, true, false, false, true, false, false, true, false, false, true, false]);
  });

  it("writes cases that parse, assert and repeat neither each other nor the example's own tests", () => {
    for (const c of built) {
      const cases = editor.parse(c.testFile, c.code)!;
      expect(cases.map((k) => `${k.ancestors.join(' ')} ${k.title}`).sort()).toEqual(
        [...c.expected.passingCases, ...(c.expected.failingCase ? [c.expected.failingCase] : [])].sort()
      );
      expect(cases.every((k) => k.hasAssertion)).toBe(true);
      expect([c.testFile, editor.duplicates(c.testFile, c.code, existing)]).toEqual([c.testFile, []]);
    }
  });

  it('expects files with a failing case to be rejected whole when there is no editor to prune it', () => {
    const states = benchCandidates(3, false).map((c) => c.expected.state);
    expect(states).toEqual(['stable', 'rejected', 'stable']);
  });
});

describe('verdict checks', () => {
  const [first, second] = benchCandidates(2, true);
  const verdict = (c: typeof first, overrides: Partial<CandidateVerdict> = {}): CandidateVerdict => ({
    testFile: c!.testFile,
    state: 'stable',
    cases: [
      ...c!.expected.passingCases.map((name) => ({ name, verdict: 'kept' })),
      ...(c!.expected.failingCase ? [{ name: c!.expected.failingCase, verdict: 'fails' }] : [])
    ],
    keptCases: c!.expected.passingCases,
    runs: 7,
    finalCode: 'code',
    coverage: { 'src/math.ts': { coveredLines: 3, coveredBranches: 1 } },
    ...overrides
  });

  it('finds nothing when both strategies agree with each other and with how the files were built', () => {
    const verdicts = [verdict(first), verdict(second)];
    expect(
      compareVerdicts(
        verdicts,
        verdicts.map((v) => ({ ...v }))
      )
    ).toEqual([]);
    expect(compareWithExpected('batched', verdicts, [first!, second!])).toEqual([]);
  });

  it('reports each difference between the strategies, naming the file', () => {
    const batched = [verdict(first), verdict(second)];
    const isolated = [
      verdict(first, { coverage: { 'src/math.ts': { coveredLines: 2, coveredBranches: 1 } } }),
      verdict(second, { state: 'rejected', rejectionStage: 'flaky', keptCases: [] })
    ];
    const problems = compareVerdicts(batched, isolated);
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^${first!.testFile}: coverage differs`)),
      expect.stringMatching(new RegExp(`^${second!.testFile}: state differs: batched "stable", isolated "rejected"`)),
      expect.stringMatching(new RegExp(`^${second!.testFile}: rejection stage differs`)),
      expect.stringMatching(new RegExp(`^${second!.testFile}: kept cases differs`))
    ]);
    expect(compareVerdicts(batched, [verdict(first)])).toEqual([`${second!.testFile}: validated in batched only`]);
  });

  it('reports verdicts that both strategies share but that contradict the files', () => {
    const keptTheWrongCase = verdict(second, {
      cases: [{ name: second!.expected.failingCase!, verdict: 'kept' }],
      keptCases: [...second!.expected.passingCases, second!.expected.failingCase!]
    });
    const problems = compareWithExpected('isolated', [verdict(first, { state: 'rejected', rejectionStage: 'compile' }), keptTheWrongCase], [first!, second!]);
    expect(problems).toEqual([
      `isolated: ${first!.testFile} ended rejected (compile), expected stable`,
      expect.stringContaining(`isolated: ${second!.testFile} kept`),
      `isolated: ${second!.testFile}: "${second!.expected.failingCase}" was not judged failing`
    ]);
  });
});

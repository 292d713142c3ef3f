import type { CandidateTest } from '../src/validation/CandidateTest.js';
import type { BenchCandidate } from './validationCandidates.js';

/** What one strategy concluded about one candidate: everything that must not depend on the strategy. */
export interface CandidateVerdict {
  testFile: string;
  state: CandidateTest['state'];
  rejectionStage?: string;
  /** Every case with its verdict, in the order validation recorded them. */
  cases: Array<{ name: string; verdict: string }>;
  keptCases: string[];
  /** Runs of the file in a test runner, repetitions included. */
  runs: number;
  /** The file as it would be delivered (after pruning). */
  finalCode: string;
  /** Covered lines and branch arms per coverage file, from the coverage the file reached on its own (stable files only). */
  coverage?: Record<string, { coveredLines: number; coveredBranches: number }>;
}

export function verdictOf(c: CandidateTest, coverageFiles: readonly string[]): CandidateVerdict {
  return {
    testFile: c.testFile,
    state: c.state,
    ...(c.rejection ? { rejectionStage: c.rejection.stage } : {}),
    cases: c.cases.map((k) => ({ name: k.name, verdict: k.verdict })),
    keptCases: c.cases.filter((k) => k.verdict === 'kept').map((k) => k.name),
    runs: c.runs,
    finalCode: c.code,
    ...(c.coverage
      ? {
          coverage: Object.fromEntries(
            coverageFiles.map((file) => {
              // A file the test never loaded counts as nothing covered: isolated runs report it with zero
              // counts (collectCoverageFrom), per-test-file coverage leaves it out.
              const counts = c.coverage!.counts(file);
              return [file, { coveredLines: counts?.coveredLines ?? 0, coveredBranches: counts?.coveredBranches ?? 0 }];
            })
          )
        }
      : {})
  };
}

/** Differences between two runs' verdicts (by default batched's and isolated's), one line each; empty when they agree. */
export function compareVerdicts(
  batched: readonly CandidateVerdict[],
  isolated: readonly CandidateVerdict[],
  labels: [string, string] = ['batched', 'isolated']
): string[] {
  const [left, right] = labels;
  const problems: string[] = [];
  for (const b of batched) {
    const i = isolated.find((x) => x.testFile === b.testFile);
    if (!i) {
      problems.push(`${b.testFile}: validated in ${left} only`);
      continue;
    }
    const differ = (what: string, l: unknown, r: unknown): void => {
      if (JSON.stringify(l) !== JSON.stringify(r)) problems.push(`${b.testFile}: ${what} differs: ${left} ${JSON.stringify(l)}, ${right} ${JSON.stringify(r)}`);
    };
    differ('state', b.state, i.state);
    differ('rejection stage', b.rejectionStage, i.rejectionStage);
    differ('kept cases', b.keptCases, i.keptCases);
    differ('case verdicts', b.cases, i.cases);
    differ('runs', b.runs, i.runs);
    differ('coverage', b.coverage, i.coverage);
    if (b.finalCode !== i.finalCode) problems.push(`${b.testFile}: the pruned file differs between ${left} and ${right}`);
  }
  for (const i of isolated) if (!batched.some((b) => b.testFile === i.testFile)) problems.push(`${i.testFile}: validated in ${right} only`);
  return problems;
}

/**
 * Differences from what each file was built to get (passing cases kept, the wrong one pruned):
 * two strategies that agree on a wrong verdict (say, jest failed to start for both) are no benchmark.
 */
export function compareWithExpected(strategy: string, verdicts: readonly CandidateVerdict[], built: readonly BenchCandidate[]): string[] {
  const problems: string[] = [];
  for (const c of built) {
    const v = verdicts.find((x) => x.testFile === c.testFile);
    if (!v) {
      problems.push(`${strategy}: ${c.testFile} has no verdict`);
      continue;
    }
    if (v.state !== c.expected.state)
      problems.push(`${strategy}: ${c.testFile} ended ${v.state}${v.rejectionStage ? ` (${v.rejectionStage})` : ''}, expected ${c.expected.state}`);
    if (JSON.stringify([...v.keptCases].sort()) !== JSON.stringify([...c.expected.passingCases].sort())) {
      problems.push(`${strategy}: ${c.testFile} kept ${JSON.stringify(v.keptCases)}, expected ${JSON.stringify(c.expected.passingCases)}`);
    }
    if (c.expected.failingCase !== undefined && !v.cases.some((k) => k.name === c.expected.failingCase && k.verdict === 'fails')) {
      problems.push(`${strategy}: ${c.testFile}: "${c.expected.failingCase}" was not judged failing`);
    }
    if (v.state === 'stable' && !v.coverage) problems.push(`${strategy}: ${c.testFile} is stable but has no coverage`);
  }
  return problems;
}

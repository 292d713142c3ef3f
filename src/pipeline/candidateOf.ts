import type { Generation } from '../generation/generateCandidates.js';
import { type CandidateTest, reject } from '../validation/CandidateTest.js';

/** A generation's answer as a candidate for validation; one without code is rejected at generation already. */
export function candidateOf(g: Generation): CandidateTest {
  const candidate: CandidateTest = {
    target: g.target,
    testFile: g.placement.testFile,
    code: g.code ?? '',
    attempts: g.answers.length,
    runs: 0,
    cases: [],
    state: 'pending'
  };
  if (g.code === undefined) reject(candidate, 'generation', g.error ?? 'the answer held no test code');
  return candidate;
}

import type { CoverageData } from '../coverage/CoverageData.js';
import type { Generation } from '../generation/generateCandidates.js';
import type { CandidateRecord } from '../reporting/RunReport.js';
import type { HybridRouter } from '../routing/HybridRouter.js';
import type { CandidateTest } from '../validation/CandidateTest.js';
import type { Escalation } from './escalateFailures.js';

/** A candidate's final verdict as the report records it, with repo-relative paths. */
export function toRecord(
  c: CandidateTest,
  generations: readonly Generation[],
  before: CoverageData,
  inRepo: (file: string) => string,
  router: HybridRouter,
  escalations: readonly Escalation[]
): CandidateRecord {
  const generation = generations.find((g) => g.target === c.target);
  const answers = generation?.answers ?? [];
  const info = generation?.provider.info();
  // The last decision for the target says which tier wrote the file (a fallback or an escalation moves it).
  const decision = router
    .decisions()
    .filter((d) => d.target === inRepo(c.target))
    .at(-1);
  const escalation = escalations.find((e) => e.target === c.target);
  return {
    targetFile: inRepo(c.target),
    testFile: inRepo(c.testFile),
    status: c.state === 'accepted' ? 'accepted' : 'rejected',
    ...(c.rejection ? { rejection: c.rejection } : {}),
    testsPassed: c.cases.filter((k) => k.verdict === 'kept').length,
    testsFailed: c.cases.filter((k) => k.verdict === 'fails' || k.verdict === 'timeout' || k.verdict === 'flaky').length,
    cases: c.cases,
    attempts: c.attempts,
    runs: c.runs,
    coverageBefore: before.lineFigures([c.target]),
    // What the file reaches next to the suite (for a rejected one: what it would have reached).
    coverageAfter: (c.coverage ? before.merge(c.coverage) : before).lineFigures([c.target]),
    promptTokens: answers.reduce((n, a) => n + a.usage.promptTokens, 0),
    completionTokens: answers.reduce((n, a) => n + a.usage.completionTokens, 0),
    generationMs: answers.reduce((n, a) => n + a.timings.generationMs, 0),
    costUsd: answers.reduce((n, a) => n + (a.costUsd ?? 0), 0),
    provider: answers.at(-1)?.provider ?? info?.provider ?? 'local',
    model: answers.at(-1)?.model ?? info?.model ?? '',
    tier: decision?.tier ?? 'local',
    ...(escalation
      ? { escalation: { fromProvider: escalation.from.provider, fromModel: escalation.from.model, localRejection: escalation.localRejection } }
      : {}),
    ...(c.confirmedWithSuite === false ? { confirmedWithSuite: false } : {})
  };
}

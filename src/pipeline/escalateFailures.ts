import type { Logger } from '../core/Logger.js';
import type { RejectionStage } from '../core/verdicts.js';
import type { CoverageData } from '../coverage/CoverageData.js';
import type { Generation, GenerationTask } from '../generation/generateCandidates.js';
import type { HybridRouter, RouteTask } from '../routing/HybridRouter.js';
import { expectedRejection } from '../validation/acceptCandidates.js';
import type { CandidateTest } from '../validation/CandidateTest.js';
import type { ValidationStats } from '../validation/validateCandidates.js';
import { candidateOf } from './candidateOf.js';

/** A target whose local candidate fell short and was written once more by the remote model. */
export interface Escalation {
  /** Package-relative, like the candidate's target. */
  target: string;
  from: { provider: string; model: string };
  /** What the local candidate would have been rejected for. */
  localRejection: { stage: RejectionStage; reason: string };
}

export interface EscalationInput {
  candidates: readonly CandidateTest[];
  generations: readonly Generation[];
  /** Each target's generation task and routing task, by package-relative target. */
  tasks: ReadonlyMap<string, { generation: GenerationTask; route: RouteTask }>;
  router: HybridRouter;
  baseline: CoverageData;
  changedLines: ReadonlyMap<string, readonly number[] | undefined>;
  generate: (tasks: GenerationTask[]) => Promise<Generation[]>;
  /** Validates the new candidates like the first ones, without repairs: an escalation is one more answer. */
  validate: (candidates: CandidateTest[]) => Promise<ValidationStats>;
  logger: Logger;
}

export interface EscalationOutcome {
  /** The candidates, escalated ones in place of the local ones they replace. */
  candidates: CandidateTest[];
  generations: Generation[];
  escalations: Escalation[];
  validation?: ValidationStats;
}

/**
 * Files the local model failed on, after its repairs, go once more to the remote model when the
 * router allows it (mode, privacy, sensitive paths, budget). The new answer is proven like any
 * other; it replaces the local one whatever its verdict, and the report keeps why it was asked.
 */
export async function escalateFailures(input: EscalationInput): Promise<EscalationOutcome> {
  const unchanged: EscalationOutcome = { candidates: [...input.candidates], generations: [...input.generations], escalations: [] };
  const chosen: Array<{ candidate: CandidateTest; escalation: Escalation; task: GenerationTask }> = [];
  for (const candidate of input.candidates) {
    const task = input.tasks.get(candidate.target);
    const generation = input.generations.find((g) => g.target === candidate.target);
    if (!task || !generation) continue;
    const shortfall = expectedRejection(candidate, input.baseline, input.changedLines.get(candidate.target));
    if (!shortfall) continue;
    const routed = await input.router.escalate(task.route, `the local candidate was rejected (${shortfall.stage}: ${shortfall.reason})`);
    if (!routed) continue;
    const info = generation.provider.info();
    chosen.push({
      candidate,
      task: { ...task.generation, provider: routed.provider },
      escalation: { target: candidate.target, from: { provider: info.provider, model: info.model }, localRejection: shortfall }
    });
  }
  if (chosen.length === 0) return unchanged;
  input.logger.info(`Escalating ${chosen.length} file(s) the local model failed on to the remote model: ${chosen.map((c) => c.task.target).join(', ')}`);
  const generations = await input.generate(chosen.map((c) => c.task));
  const fresh = generations.map(candidateOf);
  const validation = await input.validate(fresh);
  const replaced = new Map(fresh.map((c) => [c.target, c]));
  const regenerated = new Map(generations.map((g) => [g.target, g]));
  return {
    candidates: input.candidates.map((c) => replaced.get(c.target) ?? c),
    generations: input.generations.map((g) => regenerated.get(g.target) ?? g),
    escalations: chosen.map((c) => c.escalation),
    validation
  };
}

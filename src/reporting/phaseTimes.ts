import type { PhaseTime } from './RunReport.js';

/** A run's phases in the order they run; RunReport.phases documents each. */
export const RUN_PHASES = ['targets', 'setup', 'baseline', 'model loading', 'generation', 'validation', 'escalation', 'acceptance', 'delivery'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/**
 * One entry per phase, the times of the same phase added (packages of a run, shards of a merge),
 * in RUN_PHASES order; names a later version may add come after, in the order first seen, so a
 * merge never drops time it does not recognise.
 */
export function sumPhaseTimes(times: readonly PhaseTime[]): PhaseTime[] {
  const sums = new Map<string, number>();
  for (const t of times) sums.set(t.phase, (sums.get(t.phase) ?? 0) + t.ms);
  const known = RUN_PHASES.filter((p) => sums.has(p));
  const unknown = [...sums.keys()].filter((p) => !(RUN_PHASES as readonly string[]).includes(p));
  return [...known, ...unknown].map((phase) => ({ phase, ms: sums.get(phase)! }));
}

/** Times phases as they run: each `time` call adds the elapsed wall time to its phase, thrown or not. */
export class PhaseClock {
  private readonly times: PhaseTime[] = [];

  async time<T>(phase: RunPhase, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await run();
    } finally {
      this.times.push({ phase, ms: Date.now() - started });
    }
  }

  /** Adds time measured by the caller, for a phase that is a run of statements rather than one call. */
  add(phase: RunPhase, ms: number): void {
    this.times.push({ phase, ms });
  }

  /** What was timed so far, one entry per phase. */
  phases(): PhaseTime[] {
    return sumPhaseTimes(this.times);
  }
}

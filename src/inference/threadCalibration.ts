/**
 * Choosing llama.cpp's thread count by measuring it on the loaded model. No rule of thumb survived measurement: on a
 * quiet 2-vCPU Xeon two threads decode 1.5-1.8x faster than one at 47-653 MB, while on the same machine under a
 * background job two threads collapse to a tenth of one thread's speed (ggml's threads spin-wait at every barrier for
 * a peer that was preempted). Only a measurement on this machine, now, tells which case holds.
 */

/** What calibration needs from llama.cpp: decoding on the real model, so the choice is tested on recorded figures. */
export interface DecodeProbe {
  /**
   * Evaluates a short prompt, then decodes up to `tokens` tokens one at a time with `threads` threads, stopping early
   * once `maxMs` have passed (after at least one token). The prompt's evaluation is not part of the sample.
   */
  decode(threads: number, tokens: number, maxMs: number): Promise<DecodeSample>;
  /** Called once a calibration is done: ends the decoding and leaves the sequence empty. */
  finish(): Promise<void>;
}

export interface DecodeSample {
  tokens: number;
  ms: number;
}

/** One candidate's decode speed: the median of its slices, and what they decoded in all. */
export interface ThreadMeasurement {
  threads: number;
  tokensPerSecond: number;
  tokens: number;
  ms: number;
}

export interface ThreadCalibration {
  threads: number;
  /** Every candidate measured, fewest threads first. */
  measurements: ThreadMeasurement[];
  /** Wall time of the calibration, warm-up included. */
  ms: number;
}

export interface CalibrationSettings {
  /** Passes over the candidates; alternating their order spreads a burst of outside load over all of them. */
  rounds: number;
  /** Tokens decoded per candidate per round. */
  sliceTokens: number;
  /** Soft limit on the whole calibration: no new round starts past it, and each slice is cut to its share. */
  budgetMs: number;
  /** The fewest threads within this share of the fastest win: one thread fewer leaves a core to node and the runs. */
  tieShare: number;
  /** From the second round on, candidates below this share of the fastest are not measured again. */
  dropShare: number;
  /**
   * After the first round already, candidates below this share are dropped: a count that collapsed (threads
   * stalled on a preempted peer, 1-2 tok/s against hundreds) costs seconds per slice and cannot win.
   */
  collapseShare: number;
  /** Tokens decoded first, unmeasured, on the fewest threads (which never stall): they page the weights in. */
  warmupTokens: number;
}

/** About 2 s on a 2-CPU machine for a 100-700 MB model: 3 rounds of 8 tokens per candidate. */
export const CALIBRATION_DEFAULTS: CalibrationSettings = {
  rounds: 3,
  sliceTokens: 8,
  budgetMs: 3000,
  tieShare: 0.95,
  dropShare: 0.5,
  collapseShare: 0.25,
  warmupTokens: 2
};

/** The fewest threads whose speed is within `tieShare` of the fastest measured. */
export function pickThreadCount(measurements: readonly ThreadMeasurement[], tieShare = CALIBRATION_DEFAULTS.tieShare): number {
  if (measurements.length === 0) throw new RangeError('pickThreadCount needs at least one measurement.');
  const fastest = Math.max(...measurements.map((m) => m.tokensPerSecond));
  const good = measurements.filter((m) => m.tokensPerSecond >= fastest * tieShare);
  return Math.min(...good.map((m) => m.threads));
}

/**
 * Decodes a few slices at each candidate thread count on the loaded model and picks the fastest (fewest threads on a
 * near tie). `clock` is injectable so tests can drive it from recorded samples.
 */
export async function calibrateThreads(
  probe: DecodeProbe,
  candidates: readonly number[],
  settings: Partial<CalibrationSettings> = {},
  clock: () => number = () => performance.now()
): Promise<ThreadCalibration> {
  const s = { ...CALIBRATION_DEFAULTS, ...settings };
  const counts = [...new Set(candidates)].filter((n) => Number.isInteger(n) && n >= 1).sort((a, b) => a - b);
  if (counts.length === 0) throw new RangeError(`calibrateThreads needs candidate thread counts of at least 1, got [${candidates.join(', ')}].`);
  const started = clock();
  if (counts.length === 1) return { threads: counts[0]!, measurements: [], ms: 0 };
  try {
    return await measureCandidates(probe, counts, s, clock, started);
  } finally {
    await probe.finish();
  }
}

async function measureCandidates(
  probe: DecodeProbe,
  counts: readonly number[],
  s: CalibrationSettings,
  clock: () => number,
  started: number
): Promise<ThreadCalibration> {
  const sliceMs = Math.max(100, s.budgetMs / (s.rounds * counts.length));
  await probe.decode(counts[0]!, s.warmupTokens, sliceMs);
  const slices = new Map<number, DecodeSample[]>(counts.map((n) => [n, []]));
  let active = counts;
  for (let round = 0; round < s.rounds; round++) {
    for (const threads of round % 2 === 0 ? active : [...active].reverse()) slices.get(threads)!.push(await probe.decode(threads, s.sliceTokens, sliceMs));
    // Only a collapse after the first round: one burst of outside load in one slice must not rule a count out.
    const fastest = Math.max(...active.map((n) => medianSpeed(slices.get(n)!)));
    const keep = round === 0 ? s.collapseShare : s.dropShare;
    active = active.filter((n) => medianSpeed(slices.get(n)!) >= fastest * keep);
    if (active.length <= 1 || clock() - started >= s.budgetMs) break;
  }
  const measurements = counts.map((threads) => {
    const taken = slices.get(threads)!;
    return { threads, tokensPerSecond: medianSpeed(taken), tokens: sum(taken.map((t) => t.tokens)), ms: sum(taken.map((t) => t.ms)) };
  });
  return { threads: pickThreadCount(measurements, s.tieShare), measurements, ms: clock() - started };
}

/**
 * The median slice: a load that persists (another job on a core) slows every slice of an oversubscribed count and
 * shows; a burst that hit one slice does not decide the run's count.
 */
function medianSpeed(samples: readonly DecodeSample[]): number {
  const speeds = samples.map(speed).sort((a, b) => a - b);
  if (speeds.length === 0) return 0;
  const mid = Math.floor(speeds.length / 2);
  return speeds.length % 2 === 1 ? speeds[mid]! : (speeds[mid - 1]! + speeds[mid]!) / 2;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function speed(sample: DecodeSample): number {
  return sample.ms > 0 ? (sample.tokens * 1000) / sample.ms : 0;
}

/** "1 → 31 tok/s, 2 → 35 tok/s": the figures a choice was made from, for the log and the report. */
export function formatMeasurements(measurements: readonly ThreadMeasurement[]): string {
  return measurements.map((m) => `${m.threads} → ${m.tokensPerSecond.toFixed(m.tokensPerSecond < 10 ? 1 : 0)} tok/s`).join(', ');
}

/**
 * Notices when decoding falls far below the calibrated speed (another job started and a ggml thread keeps being
 * preempted), so the count can be measured again mid-run; a few times at most, never in quick succession.
 */
export class SlowdownWatch {
  private rechecks = 0;
  private lastCheckAt: number;

  constructor(
    private expectedTokensPerSecond: number,
    private readonly settings: { dropShare: number; minTokens: number; minIntervalMs: number; maxRechecks: number } = {
      dropShare: 0.5,
      minTokens: 16,
      minIntervalMs: 20_000,
      maxRechecks: 3
    },
    private readonly clock: () => number = () => performance.now()
  ) {
    this.lastCheckAt = clock();
  }

  /** One generation that had the context to itself; true when a re-check is due now (and counted as done). */
  observe(decodedTokens: number, tokensPerSecond: number): boolean {
    const s = this.settings;
    if (this.expectedTokensPerSecond <= 0 || decodedTokens < s.minTokens || this.rechecks >= s.maxRechecks) return false;
    if (tokensPerSecond >= this.expectedTokensPerSecond * s.dropShare) return false;
    if (this.clock() - this.lastCheckAt < s.minIntervalMs) return false;
    this.rechecks++;
    this.lastCheckAt = this.clock();
    return true;
  }

  /** The speed the new choice was measured at. */
  reset(expectedTokensPerSecond: number): void {
    this.expectedTokensPerSecond = expectedTokensPerSecond;
    this.lastCheckAt = this.clock();
  }
}

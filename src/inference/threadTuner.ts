import {
  calibrateThreads,
  CALIBRATION_DEFAULTS,
  formatMeasurements,
  SlowdownWatch,
  type CalibrationSettings,
  type DecodeProbe,
  type ThreadMeasurement
} from './threadCalibration.js';
import type { CalibrationCache, CalibrationCacheKey } from './threadCalibrationCache.js';

export interface ThreadTunerOptions {
  /** Thread counts to choose from (see threadCandidates). */
  candidates: readonly number[];
  /** Where earlier calibrations of this machine and model are kept; absent = always calibrate. */
  cache?: { store: CalibrationCache; key: CalibrationCacheKey };
  settings?: Partial<CalibrationSettings>;
  log: (line: string) => void;
  warn: (line: string) => void;
  clock?: () => number;
}

/** A cached choice is trusted while its count decodes within this factor of the speed it was cached with. */
const CACHE_AGREEMENT = 0.7;

/**
 * The thread count of a run: calibrated on the loaded model (or taken from the cache after a one-slice check), applied
 * through `apply`, and calibrated again when decoding falls far below the figure it was chosen on.
 */
export class ThreadTuner {
  private readonly watch: SlowdownWatch;

  private constructor(
    private readonly apply: (threads: number) => void,
    private readonly options: ThreadTunerOptions,
    private chosen: number,
    private how: string,
    expectedTokensPerSecond: number,
    private spentMs: number
  ) {
    this.watch = new SlowdownWatch(expectedTokensPerSecond, undefined, options.clock);
  }

  static async start(probe: DecodeProbe, apply: (threads: number) => void, options: ThreadTunerOptions): Promise<ThreadTuner> {
    const settings = { ...CALIBRATION_DEFAULTS, ...options.settings };
    const clock = options.clock ?? (() => performance.now());
    const started = clock();
    const cached = options.cache ? await options.cache.store.get(options.cache.key) : undefined;
    const cachedFigure = cached?.measurements.find((m) => m.threads === cached.threads)?.tokensPerSecond;
    let mismatch = '';
    if (cached && cachedFigure !== undefined && options.candidates.includes(cached.threads)) {
      let check;
      // The next count up is tried too: a choice cached under load (1 thread while the other core was busy) would
      // otherwise pass its own check on a quiet machine forever, one thread decoding about as fast either way.
      const above = options.candidates.filter((n) => n > cached.threads).sort((a, b) => a - b)[0];
      let aboveSpeed = 0;
      try {
        await probe.decode(cached.threads, settings.warmupTokens, settings.budgetMs / 4);
        check = await probe.decode(cached.threads, settings.sliceTokens * 2, settings.budgetMs / 4);
        if (above !== undefined) aboveSpeed = speedOf(await probe.decode(above, settings.sliceTokens * 2, settings.budgetMs / 4));
      } finally {
        await probe.finish();
      }
      const now = speedOf(check);
      const aboveWins = above !== undefined && aboveSpeed * settings.tieShare > now;
      if (!aboveWins && now >= cachedFigure * CACHE_AGREEMENT && now * CACHE_AGREEMENT <= cachedFigure) {
        apply(cached.threads);
        const how = `cached calibration of ${cached.calibratedAt.slice(0, 10)}: ${formatMeasurements(cached.measurements)}; checked now: ${formatSpeed(now)}`;
        options.log(`llama.cpp threads: ${describeThreads(cached.threads, how)}.`);
        return new ThreadTuner(apply, options, cached.threads, how, now, clock() - started);
      }
      mismatch = aboveWins
        ? `; the cached choice of ${cached.threads} ran at ${formatSpeed(now)}, ${above} at ${formatSpeed(aboveSpeed)}`
        : `; the cached choice of ${cached.threads} ran at ${formatSpeed(now)} against ${formatSpeed(cachedFigure)} when cached`;
    }
    const calibration = await calibrateThreads(probe, options.candidates, settings, options.clock);
    apply(calibration.threads);
    const how =
      calibration.measurements.length > 0
        ? `calibrated in ${(calibration.ms / 1000).toFixed(1)} s: ${formatMeasurements(calibration.measurements)}${mismatch}`
        : 'the only usable count';
    options.log(`llama.cpp threads: ${describeThreads(calibration.threads, how)}.`);
    if (options.cache && calibration.measurements.length > 0) {
      await options.cache.store
        .set(options.cache.key, { threads: calibration.threads, measurements: calibration.measurements })
        .catch((error: unknown) =>
          options.warn(`Could not save the thread calibration to ${options.cache!.store.file} (${(error as Error).message}); the next run calibrates again.`)
        );
    }
    return new ThreadTuner(apply, options, calibration.threads, how, figureOf(calibration.measurements, calibration.threads), clock() - started);
  }

  get threads(): number {
    return this.chosen;
  }

  /** Time the last choice took: calibration, or the check of a cached one. */
  get calibrationMs(): number {
    return this.spentMs;
  }

  /** "2 threads (calibrated in 1.9 s: 1 → 31 tok/s, 2 → 35 tok/s)". */
  get description(): string {
    return describeThreads(this.chosen, this.how);
  }

  /** Told of each generation that had the context to itself; true when the count should be measured again now. */
  shouldRecheck(decodedTokens: number, tokensPerSecond: number): boolean {
    return this.watch.observe(decodedTokens, tokensPerSecond);
  }

  /**
   * Calibrates again (the caller keeps every other decode off the context meanwhile). Not cached: a mid-run slowdown
   * is this run's load, not the machine's.
   */
  async recheck(probe: DecodeProbe, observedTokensPerSecond: number): Promise<void> {
    const calibration = await calibrateThreads(probe, this.options.candidates, this.options.settings, this.options.clock);
    this.spentMs = calibration.ms;
    const before = this.chosen;
    this.apply(calibration.threads);
    this.chosen = calibration.threads;
    this.how = `re-calibrated mid-run after decoding slowed to ${formatSpeed(observedTokensPerSecond)} on ${before}: ${formatMeasurements(calibration.measurements)}`;
    this.watch.reset(figureOf(calibration.measurements, calibration.threads));
    this.options.log(`llama.cpp threads: ${this.description}.`);
  }
}

function speedOf(sample: { tokens: number; ms: number }): number {
  return sample.ms > 0 ? (sample.tokens * 1000) / sample.ms : 0;
}

function figureOf(measurements: readonly ThreadMeasurement[], threads: number): number {
  return measurements.find((m) => m.threads === threads)?.tokensPerSecond ?? 0;
}

function formatSpeed(tokensPerSecond: number): string {
  return `${tokensPerSecond.toFixed(tokensPerSecond < 10 ? 1 : 0)} tok/s`;
}

export function describeThreads(threads: number, how: string): string {
  return `${threads} thread${threads === 1 ? '' : 's'} (${how})`;
}

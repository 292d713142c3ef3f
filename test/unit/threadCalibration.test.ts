/**
 * The thread-count choice on recorded decode speeds, injected through DecodeProbe: figures measured on a 2-vCPU Intel
 * Xeon (quiet: 1 thread 17-20 tok/s, 2 threads 32-36 on the 653 MB Q8_0 model; while another job loaded the machine:
 * 1 thread 100-132, 2 threads 7.7-20.5 on the 106 MB model) and a 2-vCPU AMD EPYC (1 thread 34.6, 2 threads 31.3).
 * Time is the probe's own: each sample advances a fake clock by the time it reports, so nothing here is timed.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  calibrateThreads,
  formatMeasurements,
  pickThreadCount,
  SlowdownWatch,
  type DecodeProbe,
  type DecodeSample
} from '../../src/inference/threadCalibration.js';
import { CalibrationCache, modelIdentity, type CalibrationCacheKey } from '../../src/inference/threadCalibrationCache.js';
import { ThreadTuner } from '../../src/inference/threadTuner.js';

/**
 * Replays recorded tokens/s per thread count, slice after slice (the last figure repeats). The first call, the
 * warm-up, replays its count's first figure without using it up.
 */
class RecordedProbe implements DecodeProbe {
  now = 0;
  readonly calls: Array<{ threads: number; tokens: number }> = [];
  private readonly next = new Map<number, number>();

  constructor(private readonly figures: Record<number, readonly number[]>) {}

  readonly clock = (): number => this.now;

  async decode(threads: number, tokens: number, maxMs: number): Promise<DecodeSample> {
    this.calls.push({ threads, tokens });
    const series = this.figures[threads];
    if (!series) throw new Error(`no recorded figure for ${threads} threads`);
    const i = this.next.get(threads) ?? 0;
    if (this.calls.length > 1) this.next.set(threads, i + 1);
    const tokensPerSecond = series[Math.min(i, series.length - 1)]!;
    // As the real probe: stop once maxMs have passed, after at least one token.
    const msPerToken = 1000 / tokensPerSecond;
    const decoded = Math.max(1, Math.min(tokens, Math.ceil(maxMs / msPerToken)));
    const ms = decoded * msPerToken;
    this.now += ms + 5; // plus the prompt's evaluation, which is not part of the sample
    return { tokens: decoded, ms };
  }

  finished = 0;
  async finish(): Promise<void> {
    this.finished++;
  }

  measuredCounts(): number[] {
    return this.calls.slice(1).map((c) => c.threads);
  }
}

const QUIET_XEON_653MB = { 1: [18.6, 17.2, 19.9], 2: [34.1, 32.4, 35.8] };
const LOADED_XEON_106MB = { 1: [118, 100, 132], 2: [7.7, 20.5, 12.3] };
const QUIET_EPYC_653MB = { 1: [34.6], 2: [31.3] };

describe('calibrateThreads', () => {
  it('picks 2 threads on a quiet 2-vCPU Xeon, where they decode ~1.8x faster than one', async () => {
    const probe = new RecordedProbe(QUIET_XEON_653MB);
    const c = await calibrateThreads(probe, [1, 2], {}, probe.clock);
    expect(c.threads).toBe(2);
    expect(c.measurements.map((m) => m.threads)).toEqual([1, 2]);
    expect(c.measurements[0]!.tokensPerSecond).toBeCloseTo(18.6, 1);
    expect(c.measurements[1]!.tokensPerSecond).toBeCloseTo(34.1, 1);
    expect(formatMeasurements(c.measurements)).toBe('1 → 19 tok/s, 2 → 34 tok/s');
    expect(probe.finished).toBe(1);
  });

  it('picks 1 thread when another job loads the machine and two threads stall on each other', async () => {
    const probe = new RecordedProbe(LOADED_XEON_106MB);
    const c = await calibrateThreads(probe, [1, 2], {}, probe.clock);
    expect(c.threads).toBe(1);
    expect(c.measurements[1]!.tokensPerSecond).toBeLessThan(21);
  });

  it('picks the fewer threads when more are not faster (2-vCPU EPYC)', async () => {
    const probe = new RecordedProbe(QUIET_EPYC_653MB);
    expect((await calibrateThreads(probe, [1, 2], {}, probe.clock)).threads).toBe(1);
  });

  it('prefers fewer threads within the tie share, and more beyond it', async () => {
    const near = new RecordedProbe({ 1: [33], 2: [34.5] });
    expect((await calibrateThreads(near, [1, 2], {}, near.clock)).threads).toBe(1);
    const beyond = new RecordedProbe({ 1: [33], 2: [36] });
    expect((await calibrateThreads(beyond, [1, 2], {}, beyond.clock)).threads).toBe(2);
  });

  it('is not swayed by one slice caught in a burst of outside load', async () => {
    const probe = new RecordedProbe({ 1: [19, 19.5, 20], 2: [6, 34, 35] });
    const c = await calibrateThreads(probe, [1, 2], {}, probe.clock);
    expect(c.threads).toBe(2);
    expect(probe.measuredCounts().filter((t) => t === 2)).toHaveLength(3);
  });

  it('warms the weights up on the fewest threads (which never stall) first, then alternates the order of the candidates', async () => {
    const probe = new RecordedProbe(QUIET_XEON_653MB);
    await calibrateThreads(probe, [2, 1, 2], {}, probe.clock);
    expect(probe.calls[0]).toEqual({ threads: 1, tokens: 2 });
    expect(probe.measuredCounts()).toEqual([1, 2, 2, 1, 1, 2]);
  });

  it('drops collapsed counts after the first round and far slower ones after the second (a 16-core machine)', async () => {
    const probe = new RecordedProbe({ 1: [9], 2: [17], 3: [20], 4: [30], 8: [44], 16: [41] });
    const c = await calibrateThreads(probe, [1, 2, 3, 4, 8, 16], { budgetMs: 60_000 }, probe.clock);
    expect(c.threads).toBe(8);
    const measured = probe.measuredCounts();
    expect(measured.slice(6).sort((a, b) => a - b)).toEqual([2, 3, 4, 4, 8, 8, 16, 16]); // 1 (9 < 25% of 44) is not measured again
    expect(measured.slice(11).sort((a, b) => a - b)).toEqual([4, 8, 16]); // 2 and 3 (< 50%) are dropped after round two
    expect(c.measurements.find((m) => m.threads === 1)).toMatchObject({ tokensPerSecond: 9, tokens: 8 });
  });

  it('stops measuring a count that collapsed in the first round (a busy 2-core machine)', async () => {
    const probe = new RecordedProbe({ 1: [425, 410], 2: [1.1] });
    const c = await calibrateThreads(probe, [1, 2], {}, probe.clock);
    expect(c.threads).toBe(1);
    expect(probe.measuredCounts()).toEqual([1, 2]);
    // The collapsed slice was cut at its share of the budget after one token.
    expect(c.measurements[1]).toMatchObject({ tokens: 1 });
  });

  it('keeps to its time budget on a slow model: slices are cut and no round starts past the budget', async () => {
    const probe = new RecordedProbe({ 1: [0.5], 2: [0.9] });
    const c = await calibrateThreads(probe, [1, 2], { budgetMs: 3000 }, probe.clock);
    expect(c.threads).toBe(2);
    // Warm-up and one slice per candidate, each cut after its first token (2 s, 2 s, 1.1 s): past the budget.
    expect(probe.calls.map((call) => call.threads)).toEqual([1, 1, 2]);
    expect(c.ms).toBeLessThan(6000);
  });

  it('measures nothing when there is one candidate', async () => {
    const probe = new RecordedProbe({ 1: [10] });
    expect(await calibrateThreads(probe, [1], {}, probe.clock)).toEqual({ threads: 1, measurements: [], ms: 0 });
    expect(probe.calls).toHaveLength(0);
  });

  it('rejects an empty candidate list with a message naming it', async () => {
    await expect(calibrateThreads(new RecordedProbe({}), [0, -1])).rejects.toThrow('candidate thread counts of at least 1, got [0, -1]');
  });
});

describe('pickThreadCount', () => {
  const m = (threads: number, tokensPerSecond: number) => ({ threads, tokensPerSecond, tokens: 24, ms: 1 });
  it('takes the fewest threads within the tie share of the fastest', () => {
    expect(pickThreadCount([m(1, 10), m(2, 19), m(4, 20), m(8, 19.5)])).toBe(2);
    expect(pickThreadCount([m(1, 10), m(2, 15), m(4, 20)])).toBe(4);
    expect(pickThreadCount([m(4, 20), m(1, 20)])).toBe(1);
  });
  it('throws on no measurements', () => {
    expect(() => pickThreadCount([])).toThrow(RangeError);
  });
});

describe('SlowdownWatch', () => {
  const settings = { dropShare: 0.5, minTokens: 16, minIntervalMs: 20_000, maxRechecks: 2 };

  it('asks for a re-check when a generation decodes below half the calibrated speed, not before the interval', () => {
    let now = 0;
    const watch = new SlowdownWatch(34, settings, () => now);
    now = 5_000;
    expect(watch.observe(200, 12)).toBe(false); // too soon after calibration
    now = 25_000;
    expect(watch.observe(200, 20)).toBe(false); // 59% of 34: not far enough below
    expect(watch.observe(8, 5)).toBe(false); // too few tokens to tell
    expect(watch.observe(200, 12)).toBe(true);
    expect(watch.observe(200, 12)).toBe(false); // just re-checked
  });

  it('measures against the new figure after a re-check, and gives up after the most re-checks', () => {
    let now = 0;
    const watch = new SlowdownWatch(34, settings, () => now);
    now = 30_000;
    expect(watch.observe(100, 10)).toBe(true);
    watch.reset(110);
    now += 30_000;
    expect(watch.observe(100, 60)).toBe(false);
    expect(watch.observe(100, 40)).toBe(true);
    now += 30_000;
    expect(watch.observe(100, 1)).toBe(false);
  });
});

describe('CalibrationCache', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'aqe-calibration-'));
    dirs.push(d);
    return d;
  };
  const key: CalibrationCacheKey = {
    cpu: 'Intel(R) Xeon(R) Processor',
    usableCpus: 2,
    model: 'm.gguf:653000000:abcd',
    nodeLlamaCpp: '3.22.1',
    backend: 'cpu:0'
  };
  const calibration = {
    threads: 2,
    measurements: [
      { threads: 1, tokensPerSecond: 18.6, tokens: 24, ms: 1290 },
      { threads: 2, tokensPerSecond: 34.1, tokens: 24, ms: 704 }
    ]
  };

  it('returns what was saved for the same machine, model and runtime, and nothing for another', async () => {
    const cache = new CalibrationCache(path.join(tempDir(), 'sub', 'calibration.json'));
    await cache.set(key, calibration);
    expect(await cache.get(key)).toMatchObject(calibration);
    for (const other of [{ cpu: 'AMD EPYC' }, { usableCpus: 4 }, { model: 'm.gguf:653000000:ffff' }, { nodeLlamaCpp: '3.23.0' }, { backend: 'cuda:29' }]) {
      expect(await cache.get({ ...key, ...other })).toBeUndefined();
    }
  });

  it('forgets entries older than its maximum age', async () => {
    let now = Date.parse('2025-06-01T00:00:00Z');
    const cache = new CalibrationCache(path.join(tempDir(), 'c.json'), { maxAgeMs: 3600_000, maxEntries: 8, now: () => now });
    await cache.set(key, calibration);
    now += 3599_000;
    expect(await cache.get(key)).toBeDefined();
    now += 2000;
    expect(await cache.get(key)).toBeUndefined();
  });

  it('keeps the newest entries only', async () => {
    let now = Date.parse('2025-06-01T00:00:00Z');
    const file = path.join(tempDir(), 'c.json');
    const cache = new CalibrationCache(file, { maxAgeMs: 1e12, maxEntries: 2, now: () => now });
    for (const usableCpus of [1, 2, 3]) {
      now += 1000;
      await cache.set({ ...key, usableCpus }, calibration);
    }
    expect(await cache.get({ ...key, usableCpus: 1 })).toBeUndefined();
    expect(await cache.get({ ...key, usableCpus: 3 })).toBeDefined();
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, unknown> }).entries)).toHaveLength(2);
  });

  it.each(['not json', '[]', '{"version":2,"entries":{}}', `{"version":1,"entries":{"x":{"threads":0}}}`])(
    'treats unusable content %j as empty and overwrites it',
    async (content) => {
      const file = path.join(tempDir(), 'c.json');
      writeFileSync(file, content);
      const cache = new CalibrationCache(file);
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, calibration);
      expect((await cache.get(key))?.threads).toBe(2);
    }
  );

  it('identifies a model by name, size and its first MiB, not by its folder', async () => {
    const a = tempDir();
    const b = tempDir();
    const content = Buffer.alloc(1536 * 1024, 7);
    writeFileSync(path.join(a, 'model.gguf'), content);
    writeFileSync(path.join(b, 'model.gguf'), content);
    expect(await modelIdentity(path.join(a, 'model.gguf'))).toBe(await modelIdentity(path.join(b, 'model.gguf')));
    content[1000] = 8;
    writeFileSync(path.join(b, 'model.gguf'), content);
    expect(await modelIdentity(path.join(b, 'model.gguf'))).not.toBe(await modelIdentity(path.join(a, 'model.gguf')));
    expect(await modelIdentity(path.join(a, 'model.gguf'))).toMatch(/^model\.gguf:1572864:[0-9a-f]{16}$/);
  });
});

describe('ThreadTuner', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const key: CalibrationCacheKey = { cpu: 'Xeon', usableCpus: 2, model: 'm:1:a', nodeLlamaCpp: '3.22.1', backend: 'cpu:0' };
  function setup(): { store: CalibrationCache; logs: string[]; applied: number[]; options: Parameters<typeof ThreadTuner.start>[2] } {
    const dir = mkdtempSync(path.join(tmpdir(), 'aqe-tuner-'));
    dirs.push(dir);
    const store = new CalibrationCache(path.join(dir, 'c.json'));
    const logs: string[] = [];
    const applied: number[] = [];
    return { store, logs, applied, options: { candidates: [1, 2], cache: { store, key }, log: (l) => logs.push(l), warn: (l) => logs.push(`warn: ${l}`) } };
  }

  it('calibrates, applies and caches the choice, and says how it was made', async () => {
    const { store, logs, applied, options } = setup();
    const probe = new RecordedProbe(QUIET_XEON_653MB);
    const tuner = await ThreadTuner.start(probe, (n) => applied.push(n), { ...options, clock: probe.clock });
    expect(tuner.threads).toBe(2);
    expect(applied).toEqual([2]);
    expect(tuner.description).toMatch(/^2 threads \(calibrated in \d+\.\d s: 1 → 19 tok\/s, 2 → 34 tok\/s\)$/);
    expect(logs).toEqual([`llama.cpp threads: ${tuner.description}.`]);
    expect((await store.get(key))?.threads).toBe(2);
  });

  it('takes a cached choice after one check slice that agrees with it', async () => {
    const { store, applied, options } = setup();
    await store.set(key, {
      threads: 2,
      measurements: [
        { threads: 1, tokensPerSecond: 18.6, tokens: 24, ms: 1290 },
        { threads: 2, tokensPerSecond: 34.1, tokens: 24, ms: 704 }
      ]
    });
    const probe = new RecordedProbe({ 2: [31] });
    const tuner = await ThreadTuner.start(probe, (n) => applied.push(n), { ...options, clock: probe.clock });
    expect(tuner.threads).toBe(2);
    expect(probe.calls.map((c) => c.threads)).toEqual([2, 2]); // warm-up and the check: no calibration
    expect(tuner.description).toMatch(/cached calibration of \d{4}-\d\d-\d\d: 1 → 19 tok\/s, 2 → 34 tok\/s; checked now: 31 tok\/s/);
    expect(applied).toEqual([2]);
  });

  it('keeps a cached 1-thread choice while the next count is no faster, and checks that count too', async () => {
    const { store, options } = setup();
    await store.set(key, {
      threads: 1,
      measurements: [
        { threads: 1, tokensPerSecond: 118, tokens: 24, ms: 203 },
        { threads: 2, tokensPerSecond: 12, tokens: 24, ms: 2000 }
      ]
    });
    const probe = new RecordedProbe(LOADED_XEON_106MB);
    const tuner = await ThreadTuner.start(probe, () => undefined, { ...options, clock: probe.clock });
    expect(tuner.threads).toBe(1);
    expect(probe.calls.map((c) => c.threads)).toEqual([1, 1, 2]);
  });

  it('calibrates again when a choice cached under load is beaten by the next count on a quiet machine', async () => {
    const { store, options } = setup();
    // Cached while the other core was busy; now the machine is quiet, and 1 thread still meets its cached speed.
    await store.set(key, {
      threads: 1,
      measurements: [
        { threads: 1, tokensPerSecond: 19, tokens: 24, ms: 1263 },
        { threads: 2, tokensPerSecond: 3, tokens: 3, ms: 1000 }
      ]
    });
    const probe = new RecordedProbe(QUIET_XEON_653MB);
    const tuner = await ThreadTuner.start(probe, () => undefined, { ...options, clock: probe.clock });
    expect(tuner.threads).toBe(2);
    expect(tuner.description).toMatch(/the cached choice of 1 ran at \d+ tok\/s, 2 at \d+ tok\/s/);
    expect((await store.get(key))?.threads).toBe(2);
  });

  it('calibrates again when the cached choice no longer decodes at its cached speed, and replaces the entry', async () => {
    const { store, options } = setup();
    await store.set(key, {
      threads: 2,
      measurements: [
        { threads: 1, tokensPerSecond: 18.6, tokens: 24, ms: 1290 },
        { threads: 2, tokensPerSecond: 34.1, tokens: 24, ms: 704 }
      ]
    });
    const probe = new RecordedProbe({ 1: LOADED_XEON_106MB[1], 2: [9, 9, ...LOADED_XEON_106MB[2]] });
    const tuner = await ThreadTuner.start(probe, () => undefined, { ...options, clock: probe.clock });
    expect(tuner.threads).toBe(1);
    expect(tuner.description).toContain('the cached choice of 2 ran at 9.0 tok/s against 34 tok/s when cached');
    expect((await store.get(key))?.threads).toBe(1);
  });

  it('re-calibrates mid-run when decoding slows far below the calibrated figure, without caching that', async () => {
    const { store, logs, applied, options } = setup();
    let now = 0;
    const quiet = new RecordedProbe(QUIET_XEON_653MB);
    const tuner = await ThreadTuner.start(quiet, (n) => applied.push(n), { ...options, clock: () => now });
    expect(tuner.threads).toBe(2);
    now = 60_000;
    expect(tuner.shouldRecheck(256, 30)).toBe(false);
    expect(tuner.shouldRecheck(256, 9)).toBe(true);
    await tuner.recheck(new RecordedProbe(LOADED_XEON_106MB), 9);
    expect(tuner.threads).toBe(1);
    expect(applied).toEqual([2, 1]);
    // One round: 2 threads (7.7 tok/s) collapsed below a quarter of 1 thread's 118 and is not measured again.
    expect(tuner.description).toBe('1 thread (re-calibrated mid-run after decoding slowed to 9.0 tok/s on 2: 1 → 118 tok/s, 2 → 7.7 tok/s)');
    expect(logs.at(-1)).toBe(`llama.cpp threads: ${tuner.description}.`);
    expect((await store.get(key))?.threads).toBe(2);
  });

  it('warns and goes on when the cache cannot be written', async () => {
    const { logs, options } = setup();
    const dir = mkdtempSync(path.join(tmpdir(), 'aqe-tuner-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'file'), '');
    const store = new CalibrationCache(path.join(dir, 'file', 'c.json'));
    const probe = new RecordedProbe(QUIET_XEON_653MB);
    const tuner = await ThreadTuner.start(probe, () => undefined, { ...options, cache: { store, key }, clock: probe.clock });
    expect(tuner.threads).toBe(2);
    expect(logs.some((l) => l.startsWith('warn: Could not save the thread calibration to') && l.includes('the next run calibrates again'))).toBe(true);
  });
});

/**
 * `npm run bench`: measures llama.cpp inference through aqe's provider on this machine and writes the figures to
 * .bench/ (JSON and an SVG chart). See README.md, "Benchmark". Figures are reported, never asserted: a benchmark on a
 * shared machine is only as quiet as the machine.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readCpuFacts, threadCandidates, usableCpus, type CpuFacts } from '../src/inference/cpuThreads.js';
import { importNodeLlamaCpp, locateNodeLlamaCpp } from '../src/inference/nodeLlamaCppRuntime.js';
import type { BenchResults, ThreadCondition } from './BenchResults.js';
import { parseBenchOptions } from './benchOptions.js';
import { CUT_OVER_MODELS, ensureBenchModel, MAIN_MODEL, QUICK_MODEL, type BenchModelFile } from './benchModels.js';
import {
  benchPrompts,
  defaultThreadsDecode,
  DirectParallelRun,
  getDirectLlama,
  loadDirectModel,
  loadProvider,
  schedulerThroughput,
  sequentialThroughput,
  singleSequenceDecode,
  startBusyLoop,
  timeRawRead,
  timeStreamRead,
  type RunSettings,
  type Throughput
} from './inferenceRuns.js';
import { measureReadBandwidth } from './memoryBandwidth.js';
import { renderSvg, renderTable } from './renderResults.js';
import { weightTraffic } from './weightBytesPerToken.js';

/** Tokens per sequence: the chat-wrapped prompt (~100 tokens) plus up to 256 decoded, with room to spare. */
const CONTEXT_SIZE = 512;
const DEFAULT_SHARE_TARGET = 0.9;
const SCHEDULER_SHARE_TARGET = 0.95;
/** Loading from a warm page cache may take at most this multiple of reading the file. */
const LOAD_TO_READ_TARGET = 1.5;

const benchStarted = performance.now();
const progress = (message: string): void => {
  process.stderr.write(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
};

/** Calibration's candidates, plus the CPUs of the affinity mask and quota when hyperthreads make them more. */
function threadCounts(facts: CpuFacts): number[] {
  const counts = new Set<number>(threadCandidates(usableCpus(facts)));
  counts.add(Math.max(1, Math.min(facts.availableParallelism, Math.floor(facts.cgroupQuotaCpus ?? Infinity))));
  return [...counts].sort((a, b) => a - b);
}

/**
 * Each fixed count and the default, alternating their order between repeats so drift in the machine's load falls
 * on all of them; under `loaded`, with a busy-loop child on one core throughout.
 */
async function measureThreads(
  settings: RunSettings,
  modelPath: string,
  counts: readonly number[],
  usable: number,
  condition: ThreadCondition['condition'],
  repeats: number
): Promise<ThreadCondition> {
  const stop = condition === 'loaded' ? await startBusyLoop() : undefined;
  try {
    const runs = new Map<number, number[]>(counts.map((t) => [t, []]));
    const defaults: ThreadCondition['default'] = { tokensPerSecond: 0, runs: [], chosen: [], descriptions: [], calibrationMs: [] };
    const order: Array<number | 'default'> = [...counts, 'default'];
    for (let rep = 0; rep < repeats; rep++) {
      for (const item of rep % 2 === 0 ? order : [...order].reverse()) {
        if (item === 'default') {
          const d = await defaultThreadsDecode(settings, modelPath, usable);
          progress(`  ${condition}, default: ${d.tokensPerSecond.toFixed(1)} tokens/s with ${d.description}`);
          defaults.runs.push(d.tokensPerSecond);
          defaults.chosen.push(d.threads);
          defaults.descriptions.push(d.description);
          defaults.calibrationMs.push(d.calibrationMs);
        } else {
          const speed = await singleSequenceDecode(settings, modelPath, item);
          progress(`  ${condition}, ${item} thread(s): ${speed.toFixed(1)} tokens/s`);
          runs.get(item)!.push(speed);
        }
      }
    }
    const points = counts.map((threads) => ({ threads, tokensPerSecond: best(runs.get(threads)!), runs: runs.get(threads)! }));
    const fastest = points.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
    defaults.tokensPerSecond = best(defaults.runs);
    const bestSpeed = fastest.tokensPerSecond || 1;
    const chosenShares = defaults.chosen.map((t) => (points.find((p) => p.threads === t)?.tokensPerSecond ?? 0) / bestSpeed);
    return {
      condition,
      points,
      default: defaults,
      bestThreads: fastest.threads,
      defaultShareOfBest: defaults.tokensPerSecond / bestSpeed,
      chosenShareOfBest: chosenShares.reduce((a, b) => a + b, 0) / Math.max(1, chosenShares.length),
      loadAverage: os.loadavg()[0]!
    };
  } finally {
    await stop?.();
  }
}

const best = (values: readonly number[]): number => Math.max(0, ...values);
const min = (values: readonly number[]): number => Math.min(...values);

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const started = new Date();
  const loadAverageStart = os.loadavg()[0]!;
  await mkdir(options.outDir, { recursive: true });
  const location = locateNodeLlamaCpp([process.cwd()]);
  if (!location) throw new Error('node-llama-cpp is not installed here: run npm ci first.');
  const runtime = await importNodeLlamaCpp(location);
  const facts = readCpuFacts();
  const settings: RunSettings = { runtime, gpu: options.gpu, tokens: options.tokens, contextSize: CONTEXT_SIZE };

  let model: BenchModelFile;
  if (options.modelPath) {
    model = { path: options.modelPath, bytes: (await stat(options.modelPath)).size, description: path.basename(options.modelPath), generatedMs: 0 };
  } else {
    const shape = options.quick ? QUICK_MODEL : MAIN_MODEL;
    progress(`model: ${shape.description} in ${options.outDir} (generated when absent)`);
    model = await ensureBenchModel(options.outDir, shape);
  }
  const usable = usableCpus(facts);
  const counts = threadCounts(facts);
  const traffic = await weightTraffic(model.path);

  progress('model load vs raw read');
  timeRawRead(model.path, 1); // fills the page cache
  const rawReadMs = timeRawRead(model.path);
  const streamReadMs = min([timeStreamRead(model.path), timeStreamRead(model.path), timeStreamRead(model.path)]);
  const loadLlama = await getDirectLlama(settings, usable);
  const loadTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const loaded = await loadDirectModel(loadLlama, model.path);
    loadTimes.push(performance.now() - t);
    await loaded.dispose();
  }
  const backend = loadLlama.gpu === false ? 'cpu' : loadLlama.gpu;
  await loadLlama.dispose();
  const providerStarted = performance.now();
  const probe = await loadProvider(settings, model.path, { auto: true, usableCpus: usable }, 1);
  const providerLoadMs = performance.now() - providerStarted;
  await probe.dispose();

  // At least two repeats: the default is compared with the best fixed count, and one run each is mostly noise.
  const threadRepeats = Math.max(2, options.repeats);
  // At least 64 tokens: a small model decodes 32 in 30 ms, which one scheduler hiccup halves.
  // Cut at 5 s: a collapsed count (2 tokens/s) is measured by then, and waiting for all its tokens only stretches the run.
  const threadSettings: RunSettings = { ...settings, tokens: Math.max(64, options.tokens), decodeLimitMs: 5000 };
  const byModel: BenchResults['threads']['byModel'] = [];
  const threadModels = [
    ...(options.quick ? CUT_OVER_MODELS.filter((s) => s.id !== QUICK_MODEL.id) : CUT_OVER_MODELS)
      .filter((s) => !model.path.endsWith(`${s.id}.gguf`))
      .map((s) => ({ shape: s })),
    { shape: undefined }
  ];
  for (const { shape } of threadModels) {
    const file = shape ? await ensureBenchModel(options.outDir, shape) : model;
    const id = path.basename(file.path, '.gguf');
    const conditions: ThreadCondition[] = [];
    for (const condition of ['quiet', 'loaded'] as const) {
      progress(
        `threads: ${id} (${(file.bytes / 1e6).toFixed(0)} MB), ${condition === 'loaded' ? 'with a busy loop on one core' : 'quiet'}: ${counts.join(', ')} and the default`
      );
      conditions.push(await measureThreads(threadSettings, file.path, counts, usable, condition, threadRepeats));
    }
    byModel.push({ model: id, bytes: file.bytes, conditions });
  }
  byModel.sort((a, b) => a.bytes - b.bytes);
  const mainQuiet = byModel
    .find((m) => m.bytes === model.bytes && m.model === path.basename(model.path, '.gguf'))!
    .conditions.find((c) => c.condition === 'quiet')!;
  const fastest = mainQuiet.points.find((p) => p.threads === mainQuiet.bestThreads)!;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;

  const parallelThreads = fastest.threads;
  const sequenceCounts = options.quick ? [1, 4] : [1, 2, 4, 8];
  const chatCounts = options.quick ? [] : [4, 8];
  const parallelPoints: BenchResults['parallel']['points'] = [];
  const directLlama = await getDirectLlama(settings, parallelThreads);
  const directModel = await loadDirectModel(directLlama, model.path);
  try {
    for (const sequences of sequenceCounts) {
      const prompts = benchPrompts(sequences);
      const provider = await loadProvider(settings, model.path, parallelThreads, sequences);
      const direct = await DirectParallelRun.create(runtime, directModel, sequences, settings, parallelThreads);
      try {
        await schedulerThroughput(provider, prompts, 'complete', 4);
        await direct.run(prompts, 'complete', 4);
        for (const api of ['complete', ...(chatCounts.includes(sequences) ? ['chat' as const] : [])] as const) {
          progress(`parallel: ${sequences} sequence(s), ${api}()`);
          const scheduler: Throughput[] = [];
          const directRuns: Throughput[] = [];
          // Alternating which goes first spreads any drift in machine load over both.
          for (let rep = 0; rep < options.repeats; rep++) {
            if (rep % 2 === 0) {
              scheduler.push(await schedulerThroughput(provider, prompts, api, options.tokens));
              directRuns.push(await direct.run(prompts, api, options.tokens));
            } else {
              directRuns.push(await direct.run(prompts, api, options.tokens));
              scheduler.push(await schedulerThroughput(provider, prompts, api, options.tokens));
            }
          }
          const sequential = api === 'complete' ? await sequentialThroughput(provider, prompts, options.tokens) : undefined;
          const ours = best(scheduler.map((t) => t.tokensPerSecond));
          const theirs = best(directRuns.map((t) => t.tokensPerSecond));
          progress(
            `  scheduler ${ours.toFixed(1)}, direct ${theirs.toFixed(1)}${sequential ? `, one at a time ${sequential.tokensPerSecond.toFixed(1)}` : ''} tokens/s`
          );
          parallelPoints.push({
            sequences,
            api,
            scheduler: ours,
            direct: theirs,
            ...(sequential ? { sequential: sequential.tokensPerSecond } : {}),
            schedulerShareOfDirect: ours / (theirs || 1)
          });
        }
      } finally {
        await direct.dispose();
        await provider.dispose();
      }
    }
  } finally {
    await directModel.dispose();
    await directLlama.dispose();
  }

  // Read before the bandwidth test, whose 512 MB buffer would dominate it.
  const peakRssOverallBytes = process.resourceUsage().maxRSS * 1024;
  progress('memory read bandwidth');
  const usableThreads = Math.max(...counts.filter((t) => t <= facts.availableParallelism));
  const bandwidthOne = await measureReadBandwidth(1);
  const bandwidthAll = usableThreads > 1 ? await measureReadBandwidth(usableThreads) : bandwidthOne;
  const bandwidth = Math.max(bandwidthOne, bandwidthAll);

  const decodeBound = bandwidth / traffic.bytesPerToken;
  const loadAverageEnd = os.loadavg()[0]!;
  const verdicts: string[] = [];
  const cpuCount = facts.availableParallelism;
  if (Math.max(loadAverageStart, loadAverageEnd) > cpuCount * 0.5) {
    verdicts.push(
      `The machine was busy (load average ${loadAverageStart.toFixed(1)} at start, ${loadAverageEnd.toFixed(1)} at end, on ${cpuCount} CPUs): llama.cpp's threads spin-wait on each other, so every figure, multi-thread ones most, is lower and noisier than on an idle machine.`
    );
  }
  const loadToRead = min(loadTimes) / rawReadMs;
  verdicts.push(
    `Model load takes ${loadToRead.toFixed(2)}x the raw read of the file into memory (${min(loadTimes).toFixed(0)} ms vs ${rawReadMs.toFixed(0)} ms, page cache warm): ${loadToRead <= LOAD_TO_READ_TARGET ? 'meets' : 'MISSES'} the ${LOAD_TO_READ_TARGET}x target.`
  );
  for (const m of byModel) {
    for (const c of m.conditions) {
      const chosen = [...new Set(c.default.chosen)].join(' or ');
      verdicts.push(
        `${(m.bytes / 1e6).toFixed(0)} MB model, ${c.condition}: the default calibrated to ${chosen} thread${chosen === '1' ? '' : 's'} (in ${(min(c.default.calibrationMs) / 1000).toFixed(1)}-${(Math.max(...c.default.calibrationMs) / 1000).toFixed(1)} s), which decodes at ${Math.round(c.chosenShareOfBest * 100)}% of the fastest fixed count (${c.bestThreads}): ${c.chosenShareOfBest >= DEFAULT_SHARE_TARGET ? 'meets' : 'MISSES'} the ${DEFAULT_SHARE_TARGET * 100}% target (the default loads' own best run: ${Math.round(c.defaultShareOfBest * 100)}%).`
      );
    }
  }
  for (const p of parallelPoints.filter((p) => p.sequences >= 4)) {
    verdicts.push(
      `${p.sequences} sequences, ${p.api}(): the scheduler reaches ${Math.round(p.schedulerShareOfDirect * 100)}% of node-llama-cpp direct: ${p.schedulerShareOfDirect >= SCHEDULER_SHARE_TARGET ? 'meets' : 'MISSES'} the ${SCHEDULER_SHARE_TARGET * 100}% target.`
    );
  }
  verdicts.push(
    `Single-sequence decode runs at ${Math.round((fastest.tokensPerSecond / decodeBound) * 100)}% of the memory-bandwidth bound (${decodeBound.toFixed(1)} tokens/s = ${(bandwidth / 1e9).toFixed(1)} GB/s / ${(traffic.bytesPerToken / 1e6).toFixed(0)} MB per token).`
  );

  const results: BenchResults = {
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      availableParallelism: facts.availableParallelism,
      ...(facts.cgroupQuotaCpus !== undefined ? { cgroupQuotaCpus: facts.cgroupQuotaCpus } : {}),
      ...(facts.physicalCores !== undefined ? { physicalCores: facts.physicalCores } : {}),
      memoryBytes: os.totalmem(),
      loadAverageStart,
      loadAverageEnd,
      node: process.version,
      nodeLlamaCpp: location.version,
      backend
    },
    settings: { quick: options.quick, tokensPerRequest: options.tokens, repeats: options.repeats, contextSize: CONTEXT_SIZE },
    model: { path: model.path, description: model.description, bytes: model.bytes, generatedMs: model.generatedMs },
    load: {
      rawReadMs,
      rawReadBytesPerSecond: (model.bytes * 1000) / rawReadMs,
      streamReadMs,
      modelLoadMs: min(loadTimes),
      loadToReadRatio: min(loadTimes) / rawReadMs,
      providerLoadMs
    },
    threads: { usableCpus: usable, byModel },
    parallel: { threads: parallelThreads, points: parallelPoints },
    memory: {
      peakRssBytes,
      peakRssOverallBytes,
      readBandwidthBytesPerSecond: { oneThread: bandwidthOne, allThreads: bandwidthAll, threads: usableThreads },
      tensorBytes: traffic.tensorBytes,
      weightBytesPerToken: traffic.bytesPerToken,
      decodeBoundTokensPerSecond: decodeBound,
      bestSingleSequenceTokensPerSecond: fastest.tokensPerSecond,
      shareOfBound: fastest.tokensPerSecond / decodeBound
    },
    verdicts
  };

  const stamp = started
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const jsonFile = path.join(options.outDir, `inference-${stamp}.json`);
  const svgFile = path.join(options.outDir, `inference-${stamp}.svg`);
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(svgFile, renderSvg(results));
  console.log(renderTable(results));
  console.log(`\nWrote ${jsonFile} and ${svgFile}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});

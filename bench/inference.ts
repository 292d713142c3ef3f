/**
 * `npm run bench`: measures llama.cpp inference through aqe's provider on this machine and writes the figures to
 * .bench/ (JSON and an SVG chart). See README.md, "Benchmark". Figures are reported, never asserted: a benchmark on a
 * shared machine is only as quiet as the machine.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chooseThreadCount, readCpuFacts, type CpuFacts } from '../src/inference/cpuThreads.js';
import { importNodeLlamaCpp, locateNodeLlamaCpp } from '../src/inference/nodeLlamaCppRuntime.js';
import type { BenchResults } from './BenchResults.js';
import { parseBenchOptions } from './benchOptions.js';
import { CUT_OVER_MODELS, ensureBenchModel, MAIN_MODEL, QUICK_MODEL, type BenchModelFile } from './benchModels.js';
import {
  benchPrompts,
  DirectParallelRun,
  getDirectLlama,
  loadDirectModel,
  loadProvider,
  schedulerThroughput,
  sequentialThroughput,
  singleSequenceDecode,
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

/** 1, 2, 4, ... up to the most CPUs the process could use, plus the usable count, the physical cores and the default. */
function threadCounts(facts: CpuFacts, defaultThreads: number): number[] {
  const usable = Math.max(1, Math.min(facts.availableParallelism, Math.floor(facts.cgroupQuotaCpus ?? Infinity)));
  const ceiling = Math.max(usable, facts.physicalCores ?? usable);
  const counts = new Set<number>([usable, defaultThreads]);
  if (facts.physicalCores !== undefined) counts.add(facts.physicalCores);
  for (let n = 1; n <= ceiling; n *= 2) counts.add(n);
  return [...counts].sort((a, b) => a - b);
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
  const defaultThreads = chooseThreadCount(facts, model.bytes);
  const counts = threadCounts(facts, defaultThreads);
  const traffic = await weightTraffic(model.path);

  progress('model load vs raw read');
  timeRawRead(model.path, 1); // fills the page cache
  const rawReadMs = timeRawRead(model.path);
  const streamReadMs = min([timeStreamRead(model.path), timeStreamRead(model.path), timeStreamRead(model.path)]);
  const loadLlama = await getDirectLlama(settings, defaultThreads);
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
  const probe = await loadProvider(settings, model.path, defaultThreads, 1);
  const providerLoadMs = performance.now() - providerStarted;
  await probe.dispose();

  progress(`decode speed by thread count: ${counts.join(', ')}`);
  const sweep = new Map<number, number[]>(counts.map((t) => [t, []]));
  for (let rep = 0; rep < options.repeats; rep++) {
    for (const threads of rep % 2 === 0 ? counts : [...counts].reverse()) {
      const speed = await singleSequenceDecode(settings, model.path, threads);
      progress(`  ${threads} thread(s): ${speed.toFixed(1)} tokens/s`);
      sweep.get(threads)!.push(speed);
    }
  }
  const threadPoints = counts.map((threads) => ({ threads, tokensPerSecond: best(sweep.get(threads)!), runs: sweep.get(threads)! }));
  const fastest = threadPoints.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
  const defaultShare = threadPoints.find((p) => p.threads === defaultThreads)!.tokensPerSecond / (fastest.tokensPerSecond || 1);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;

  const cutOver: BenchResults['threads']['cutOver'] = [];
  const cutOverShapes = (options.quick ? CUT_OVER_MODELS.slice(0, 1) : CUT_OVER_MODELS).filter((s) => !model.path.endsWith(`${s.id}.gguf`));
  for (const shape of cutOverShapes) {
    const file = await ensureBenchModel(options.outDir, shape);
    progress(`cut-over: ${shape.description} (${(file.bytes / 1e6).toFixed(0)} MB)`);
    const runs = new Map<number, number[]>(counts.map((t) => [t, []]));
    for (let rep = 0; rep < options.repeats; rep++) {
      for (const threads of rep % 2 === 0 ? counts : [...counts].reverse()) {
        const speed = await singleSequenceDecode(settings, file.path, threads);
        progress(`  ${threads} thread(s): ${speed.toFixed(1)} tokens/s`);
        runs.get(threads)!.push(speed);
      }
    }
    const points = counts.map((threads) => ({ threads, tokensPerSecond: best(runs.get(threads)!) }));
    const chosen = chooseThreadCount(facts, file.bytes);
    cutOver.push({ model: shape.id, bytes: file.bytes, defaultThreads: chosen, points, defaultShareOfBest: points.find((p) => p.threads === chosen)!.tokensPerSecond / (best(points.map((p) => p.tokensPerSecond)) || 1) });
  }
  cutOver.push({ model: path.basename(model.path, '.gguf'), bytes: model.bytes, defaultThreads, points: threadPoints.map(({ threads, tokensPerSecond }) => ({ threads, tokensPerSecond })), defaultShareOfBest: defaultShare });
  cutOver.sort((a, b) => a.bytes - b.bytes);

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
          progress(`  scheduler ${ours.toFixed(1)}, direct ${theirs.toFixed(1)}${sequential ? `, one at a time ${sequential.tokensPerSecond.toFixed(1)}` : ''} tokens/s`);
          parallelPoints.push({ sequences, api, scheduler: ours, direct: theirs, ...(sequential ? { sequential: sequential.tokensPerSecond } : {}), schedulerShareOfDirect: ours / (theirs || 1) });
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
    verdicts.push(`The machine was busy (load average ${loadAverageStart.toFixed(1)} at start, ${loadAverageEnd.toFixed(1)} at end, on ${cpuCount} CPUs): llama.cpp's threads spin-wait on each other, so every figure, multi-thread ones most, is lower and noisier than on an idle machine.`);
  }
  const loadToRead = min(loadTimes) / rawReadMs;
  verdicts.push(
    `Model load takes ${loadToRead.toFixed(2)}x the raw read of the file into memory (${min(loadTimes).toFixed(0)} ms vs ${rawReadMs.toFixed(0)} ms, page cache warm): ${loadToRead <= LOAD_TO_READ_TARGET ? 'meets' : 'MISSES'} the ${LOAD_TO_READ_TARGET}x target.`
  );
  verdicts.push(
    `Default thread count (${defaultThreads}) reaches ${Math.round(defaultShare * 100)}% of the fastest (${fastest.threads} thread${fastest.threads === 1 ? '' : 's'}): ${defaultShare >= DEFAULT_SHARE_TARGET ? 'meets' : 'MISSES'} the ${DEFAULT_SHARE_TARGET * 100}% target.`
  );
  for (const c of cutOver.filter((c) => c.defaultShareOfBest < DEFAULT_SHARE_TARGET)) {
    verdicts.push(`Cut-over: for the ${(c.bytes / 1e6).toFixed(0)} MB model the default (${c.defaultThreads} thread${c.defaultThreads === 1 ? '' : 's'}) reaches only ${Math.round(c.defaultShareOfBest * 100)}% of the fastest.`);
  }
  for (const p of parallelPoints.filter((p) => p.sequences >= 4)) {
    verdicts.push(`${p.sequences} sequences, ${p.api}(): the scheduler reaches ${Math.round(p.schedulerShareOfDirect * 100)}% of node-llama-cpp direct: ${p.schedulerShareOfDirect >= SCHEDULER_SHARE_TARGET ? 'meets' : 'MISSES'} the ${SCHEDULER_SHARE_TARGET * 100}% target.`);
  }
  verdicts.push(`Single-sequence decode runs at ${Math.round((fastest.tokensPerSecond / decodeBound) * 100)}% of the memory-bandwidth bound (${decodeBound.toFixed(1)} tokens/s = ${(bandwidth / 1e9).toFixed(1)} GB/s / ${(traffic.bytesPerToken / 1e6).toFixed(0)} MB per token).`);

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
    threads: { defaultThreads, points: threadPoints, bestThreads: fastest.threads, defaultShareOfBest: defaultShare, cutOver },
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

  const stamp = started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
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

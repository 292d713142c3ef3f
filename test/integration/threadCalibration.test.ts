/**
 * Thread calibration on real llama.cpp (node-llama-cpp's CPU binary) and a small random-weights GGUF generated here:
 * the probe decodes on a live context, `llama.maxThreads` changes the count between slices, the choice is cached
 * and taken from the cache by the next load. Which count wins depends on this machine's load: only its validity is
 * asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomLlamaModel } from '../../src/gguf/randomModel.js';
import { writeTextChainModel } from '../../src/gguf/textChainModel.js';
import { usableCpus, readCpuFacts, threadCandidates } from '../../src/inference/cpuThreads.js';
import { LocalLlamaProvider, type AutoThreads } from '../../src/inference/LocalLlamaProvider.js';
import { importNodeLlamaCpp, locateNodeLlamaCpp, type NodeLlamaCppModule } from '../../src/inference/nodeLlamaCppRuntime.js';
import { SequenceDecodeProbe } from '../../src/inference/sequenceDecodeProbe.js';
import type { CachedCalibration } from '../../src/inference/threadCalibrationCache.js';

let dir: string;
let runtime: NodeLlamaCppModule;
let modelPath: string;
const usable = Math.min(4, usableCpus(readCpuFacts()));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aqe-thread-calibration-'));
  const location = locateNodeLlamaCpp([process.cwd()]);
  expect(location).toBeDefined();
  runtime = await importNodeLlamaCpp(location!);
  modelPath = join(dir, 'random.gguf');
  await writeRandomLlamaModel(modelPath, { nEmbd: 256, nLayer: 2, nFf: 512, nHead: 4, nHeadKv: 4, nVocab: 512, type: 'f16', seed: 11 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function autoThreads(logs: string[]): AutoThreads {
  return { auto: true, usableCpus: usable, cache: { file: join(dir, 'calibration.json'), nodeLlamaCpp: '3.22.1' }, log: (l) => logs.push(l) };
}

/** The calibration cache file as the provider writes it (threadCalibrationCache.ts). */
interface CalibrationFile {
  entries: Record<string, CachedCalibration>;
}

// Which of the two runs is decided by the machine: with one usable CPU there is nothing to measure.
const itOnSeveralCpus = usable > 1 ? it : it.skip;
const itOnOneCpu = usable === 1 ? it : it.skip;

/** The context still generates after calibration used and cleared its sequence. */
async function expectStillGenerates(provider: LocalLlamaProvider): Promise<void> {
  const result = await provider.complete({ prompt: 'export function add(a: number, b: number) {', maxTokens: 8 });
  expect(result.usage.completionTokens).toBe(8);
}

describe('LocalLlamaProvider with threads calibrated on the loaded model', () => {
  itOnSeveralCpus('chooses a candidate count from measurements, reports how, caches it, and the next load takes the cache', async () => {
    const logs: string[] = [];
    const first = await LocalLlamaProvider.load({ runtime, modelPath, gpu: 'cpu', threads: autoThreads(logs), maxParallel: 1, contextSize: 256 });
    try {
      const info = first.info();
      expect(threadCandidates(usable)).toContain(info.threads);
      expect(info.hardware).toMatch(new RegExp(`^CPU \\(.*\\), ${info.threads} threads? \\(calibrated in \\d+\\.\\d s: 1 → [\\d.]+ tok/s, 2 → [\\d.]+ tok/s`));
      expect(logs).toEqual([expect.stringMatching(/^llama\.cpp threads: \d threads? \(calibrated in/)]);
      const cached = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8')) as CalibrationFile;
      const [key, entry] = Object.entries(cached.entries)[0]!;
      expect(key).toContain(os.cpus()[0]!.model.trim());
      expect(entry.threads).toBe(info.threads);
      expect(entry.measurements.map((m) => m.threads)).toEqual(threadCandidates(usable));
      expect(entry.measurements.every((m) => m.tokensPerSecond > 0)).toBe(true);
      await expectStillGenerates(first);
    } finally {
      await first.dispose();
    }
    const again: string[] = [];
    const second = await LocalLlamaProvider.load({ runtime, modelPath, gpu: 'cpu', threads: autoThreads(again), maxParallel: 1, contextSize: 256 });
    try {
      // A busy moment may make the check disagree with the cached figure; then it calibrates again and says why.
      expect(second.info().hardware).toMatch(
        /\((cached calibration of \d{4}-\d\d-\d\d: .*checked now: [\d.]+ tok\/s|calibrated in .*the cached choice of \d ran at)/
      );
    } finally {
      await second.dispose();
    }
  });

  itOnOneCpu('takes the only usable count without measuring', async () => {
    const first = await LocalLlamaProvider.load({ runtime, modelPath, gpu: 'cpu', threads: autoThreads([]), maxParallel: 1, contextSize: 256 });
    try {
      expect(first.info().threads).toBe(1);
      expect(first.info().hardware).toMatch(/, 1 thread \(the only usable count\)$/);
      await expectStillGenerates(first);
    } finally {
      await first.dispose();
    }
  });

  it('calibrates on the demo kind of model (a text chain) and leaves its answer untouched', async () => {
    const chainPath = join(dir, 'chain.gguf');
    const text = "import { slugify } from '../src/strings';\ndescribe('slugify', () => {});\n";
    await writeTextChainModel(chainPath, text);
    const warnings: string[] = [];
    const provider = await LocalLlamaProvider.load({
      runtime,
      modelPath: chainPath,
      gpu: 'cpu',
      threads: { auto: true, usableCpus: usable },
      maxParallel: 1,
      contextSize: 512,
      warn: (w) => warnings.push(w)
    });
    try {
      expect(warnings).toEqual([]);
      expect(provider.threadChoice()?.threads).toBeGreaterThanOrEqual(1);
      const result = await provider.chat({ user: 'Write the tests.', maxTokens: 200 });
      expect(result.text).toBe(text);
    } finally {
      await provider.dispose();
    }
  });

  it('keeps the given count when threads is a number', async () => {
    const provider = await LocalLlamaProvider.load({ runtime, modelPath, gpu: 'cpu', threads: 1, maxParallel: 1, contextSize: 256 });
    try {
      expect(provider.info()).toMatchObject({ threads: 1 });
      expect(provider.info().hardware).toMatch(/, 1 thread$/);
    } finally {
      await provider.dispose();
    }
  });
});

describe('SequenceDecodeProbe', () => {
  it('decodes the asked number of tokens at the asked thread count, and leaves the sequence empty when finished', async () => {
    const llama = await runtime.getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      logLevel: runtime.LlamaLogLevel.error,
      maxThreads: 2
    });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ sequences: 1, contextSize: 64, threads: 2 });
    try {
      const sequence = context.getSequence();
      const probe = new SequenceDecodeProbe(llama, model, sequence);
      const sample = await probe.decode(1, 6, 10_000);
      expect(sample.tokens).toBe(6);
      expect(sample.ms).toBeGreaterThan(0);
      expect(llama.maxThreads).toBe(1);
      // Slices continue one generation: the prompt is evaluated once.
      const position = sequence.nextTokenIndex;
      await probe.decode(2, 4, 10_000);
      expect(sequence.nextTokenIndex).toBe(position + 4);
      expect(context.currentThreads).toBe(2);
      // More tokens than the context holds: cut where it is full rather than shifting the context, then started over.
      const long = await probe.decode(2, 5000, 60_000);
      expect(long.tokens).toBeGreaterThan(10);
      expect(sequence.nextTokenIndex).toBe(context.contextSize - 1);
      expect((await probe.decode(1, 3, 10_000)).tokens).toBe(3);
      // And cut at maxMs, after at least one token.
      const cut = await probe.decode(1, 5000, 1);
      expect(cut.tokens).toBeGreaterThanOrEqual(1);
      expect(cut.tokens).toBeLessThan(long.tokens);
      await probe.finish();
      expect(sequence.nextTokenIndex).toBe(0);
    } finally {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    }
  });
});

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { estimateRandomLlamaModelBytes, writeRandomLlamaModel, type RandomLlamaModelOptions } from '../src/gguf/randomModel.js';

export interface BenchModelShape {
  /** File name stem under the cache folder. */
  readonly id: string;
  readonly description: string;
  readonly options: RandomLlamaModelOptions;
}

/**
 * A llama of realistic proportions (head size 64, grouped-query attention, FFN ~2.75x, a 32k vocabulary) at 653 MB in
 * Q8_0: the size of the small code models people run on CPU runners (a 1.5B coder in Q4_K_M is ~1 GB), big enough
 * that decoding is limited by memory bandwidth as it is for real models and that load time is dominated by the
 * weights rather than by node-llama-cpp's fixed metadata work (~100 ms), and small enough to generate in seconds.
 */
export const MAIN_MODEL: BenchModelShape = {
  id: 'llama-20l-1536-q8_0',
  description: 'random-weights llama, 20 layers, n_embd 1536, 32k vocab, Q8_0',
  options: { nEmbd: 1536, nLayer: 20, nFf: 4224, nHead: 24, nHeadKv: 8, nVocab: 32000, type: 'q8_0', seed: 20240601, name: 'aqe-bench-653M' }
};

/** --quick: the same proportions at 105 MB. */
export const QUICK_MODEL: BenchModelShape = {
  id: 'llama-8l-768-q8_0',
  description: 'random-weights llama, 8 layers, n_embd 768, 32k vocab, Q8_0',
  options: { nEmbd: 768, nLayer: 8, nFf: 2048, nHead: 12, nHeadKv: 4, nVocab: 32000, type: 'q8_0', seed: 20240602, name: 'aqe-bench-105M' }
};

/**
 * Smaller models for the thread-choice measurements, since where extra threads start to pay depends on the model's
 * size: 8 MB, 46 MB and the quick model (105 MB); the main model adds 653 MB.
 */
export const CUT_OVER_MODELS: readonly BenchModelShape[] = [
  {
    id: 'llama-4l-256-q8_0',
    description: 'random-weights llama, 4 layers, n_embd 256, 8k vocab, Q8_0',
    options: { nEmbd: 256, nLayer: 4, nFf: 768, nHead: 4, nHeadKv: 4, nVocab: 8000, type: 'q8_0', seed: 20240603, name: 'aqe-bench-8M' }
  },
  {
    id: 'llama-8l-512-q8_0',
    description: 'random-weights llama, 8 layers, n_embd 512, 16k vocab, Q8_0',
    options: { nEmbd: 512, nLayer: 8, nFf: 1536, nHead: 8, nHeadKv: 8, nVocab: 16000, type: 'q8_0', seed: 20240604, name: 'aqe-bench-46M' }
  },
  QUICK_MODEL
];

export interface BenchModelFile {
  readonly path: string;
  readonly bytes: number;
  readonly description: string;
  /** Milliseconds spent writing it now; 0 when the cached file was used. */
  readonly generatedMs: number;
}

/** The shape's GGUF in `dir`, written only when absent or of the wrong size (an interrupted write). */
export async function ensureBenchModel(dir: string, shape: BenchModelShape): Promise<BenchModelFile> {
  const file = path.join(dir, `${shape.id}.gguf`);
  const expected = estimateRandomLlamaModelBytes(shape.options);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.size === expected) return { path: file, bytes: expected, description: shape.description, generatedMs: 0 };
  const started = Date.now();
  const written = await writeRandomLlamaModel(file, shape.options);
  return { path: file, bytes: written.bytes, description: shape.description, generatedMs: Date.now() - started };
}

import type { GgufHeader } from '../gguf/readGgufHeader.js';

/** What the number of parallel sequences is chosen from. */
export interface ParallelFacts {
  /** Bytes one sequence's KV cache takes at the run's context size (see kvCacheBytesPerSequence). */
  kvBytesPerSequence: number;
  /** Where the KV cache lives: free VRAM on a GPU, free RAM on CPU. */
  freeMemoryBytes: number;
  gpu: boolean;
  /** CPUs this process may use (cgroup quota, physical cores). */
  usableCpus: number;
}

/** More sequences than this rarely add throughput even on a large GPU, and each needs its prompt evaluated. */
export const MAX_AUTO_SEQUENCES = 8;
/** Share of free memory the KV caches may take; the rest is for compute buffers and the test runs. */
const MEMORY_SHARE = 0.5;

/**
 * `max-parallel: auto`. A GPU decodes several sequences for nearly the price of one, up to what
 * its free memory holds. A CPU is compute-bound: on 2 CPUs or fewer batching only adds
 * contention (measured by `npm run bench`), so one; beyond that, one sequence per two CPUs, up to 4.
 */
export function chooseParallelSequences(facts: ParallelFacts): number {
  const byMemory = facts.kvBytesPerSequence > 0 ? Math.floor((facts.freeMemoryBytes * MEMORY_SHARE) / facts.kvBytesPerSequence) : MAX_AUTO_SEQUENCES;
  const byCompute = facts.gpu ? MAX_AUTO_SEQUENCES : facts.usableCpus <= 2 ? 1 : Math.min(4, Math.floor(facts.usableCpus / 2));
  return Math.max(1, Math.min(byMemory, byCompute));
}

/**
 * KV cache bytes of one sequence of `contextSize` tokens for a llama-style model: keys and values
 * (F16) for every layer, each `head_count_kv × head_dim` wide. Unknown shapes give 0 (no memory bound).
 */
export function kvCacheBytesPerSequence(header: GgufHeader, contextSize: number): number {
  const arch = header.architecture ?? 'llama';
  const num = (key: string): number | undefined => {
    const v = header.metadata[`${arch}.${key}`];
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  };
  const layers = num('block_count');
  const embedding = num('embedding_length');
  const heads = num('attention.head_count');
  if (!layers || !embedding || !heads) return 0;
  const kvHeads = num('attention.head_count_kv') ?? heads;
  const headDim = num('attention.key_length') ?? embedding / heads;
  return 2 * layers * contextSize * kvHeads * headDim * 2;
}

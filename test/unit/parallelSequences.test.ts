import { describe, expect, it } from '@jest/globals';
import type { GgufHeader } from '../../src/gguf/readGgufHeader.js';
import { chooseParallelSequences, kvCacheBytesPerSequence, MAX_AUTO_SEQUENCES } from '../../src/inference/parallelSequences.js';

const GiB = 1024 ** 3;

function header(metadata: Record<string, unknown>): GgufHeader {
  return { version: 3, tensorCount: 0, metadataCount: 0, metadata, architecture: 'qwen2', fileSize: 0, tensorDataOffset: 0, expectedFileSize: 0 };
}

describe('kvCacheBytesPerSequence', () => {
  it('counts keys and values in F16 for every layer, with grouped-query heads', () => {
    // Qwen2.5-Coder-7B: 28 layers, 3584 wide, 28 heads of 128, 4 KV heads.
    const qwen7b = header({ 'qwen2.block_count': 28, 'qwen2.embedding_length': 3584, 'qwen2.attention.head_count': 28, 'qwen2.attention.head_count_kv': 4 });
    expect(kvCacheBytesPerSequence(qwen7b, 8192)).toBe(2 * 28 * 8192 * 4 * 128 * 2); // 448 MiB
    expect(kvCacheBytesPerSequence(qwen7b, 8192) / 1024 ** 2).toBe(448);
  });

  it('takes every head as a KV head when the model does not say otherwise, and gives 0 for unknown shapes', () => {
    const mha = header({ 'qwen2.block_count': 2, 'qwen2.embedding_length': 64, 'qwen2.attention.head_count': 4 });
    expect(kvCacheBytesPerSequence(mha, 100)).toBe(2 * 2 * 100 * 4 * 16 * 2);
    expect(kvCacheBytesPerSequence(header({}), 8192)).toBe(0);
  });
});

describe('chooseParallelSequences', () => {
  const kv = 448 * 1024 ** 2;

  it('uses one sequence on a CPU with 2 usable cores or fewer', () => {
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 64 * GiB, gpu: false, usableCpus: 2 })).toBe(1);
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 64 * GiB, gpu: false, usableCpus: 1 })).toBe(1);
  });

  it('uses one sequence per two CPUs beyond that, up to 4', () => {
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 64 * GiB, gpu: false, usableCpus: 4 })).toBe(2);
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 64 * GiB, gpu: false, usableCpus: 32 })).toBe(4);
  });

  it('fills a GPU up to what half its free memory holds, at most 8', () => {
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 70 * GiB, gpu: true, usableCpus: 2 })).toBe(MAX_AUTO_SEQUENCES);
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 2 * GiB, gpu: true, usableCpus: 2 })).toBe(2);
    // Not even one fits in half: still one (llama.cpp reports the real shortfall if any).
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 0.5 * GiB, gpu: true, usableCpus: 2 })).toBe(1);
  });

  it('is bounded by RAM on a CPU too', () => {
    expect(chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: 1 * GiB, gpu: false, usableCpus: 16 })).toBe(1);
  });
});

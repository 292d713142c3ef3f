import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaChatSession, type Llama } from 'node-llama-cpp';
import { readGgufHeader } from '../../src/gguf/readGgufHeader.js';
import { buildRandomLlamaModel, estimateRandomLlamaModelBytes, writeRandomLlamaModel, type RandomLlamaModelOptions } from '../../src/gguf/randomModel.js';

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-random-'));
  llama = await getLlama({ gpu: false, build: 'never' });
});

afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const small = (type: RandomLlamaModelOptions['type'], seed = 1): RandomLlamaModelOptions => ({
  nEmbd: 256,
  nLayer: 2,
  nFf: 512,
  nHead: 4,
  nHeadKv: 2,
  nVocab: 512,
  type,
  seed
});

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('writeRandomLlamaModel', () => {
  it.each(['f16', 'q8_0', 'f32'] as const)('writes a %s model that loads and generates tokens', async (type) => {
    const path = join(dir, `random-${type}.gguf`);
    const file = await writeRandomLlamaModel(path, small(type));
    expect(file.bytes).toBe(estimateRandomLlamaModelBytes(small(type)));

    const header = await readGgufHeader(path);
    expect(header).toMatchObject({ architecture: 'llama', tensorCount: 3 + 2 * 9, fileSize: file.bytes });
    expect(header.metadata['llama.block_count']).toBe(2);

    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ threads: 1, contextSize: 512 });
    try {
      expect(model.trainContextSize).toBe(4096);
      const sequence = context.getSequence();
      const generated: number[] = [];
      for await (const token of sequence.evaluate(model.tokenize('Benchmark prompt: hello world'), { temperature: 0 })) {
        generated.push(token);
        if (generated.length === 24) break;
      }
      expect(generated).toHaveLength(24);
      // The control tokens' output rows are zero, so greedy decoding never picks EOS or ChatML markers.
      expect(generated.every((token) => token < 256 || token > 258)).toBe(true);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });

  it('works with LlamaChatSession until maxTokens', async () => {
    const path = join(dir, 'random-chat.gguf');
    await writeRandomLlamaModel(path, small('q8_0', 3));
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ threads: 1, contextSize: 1024 });
    try {
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      let tokens = 0;
      await session.prompt('Say something', { temperature: 0, maxTokens: 16, onToken: (chunk) => (tokens += chunk.length) });
      expect(tokens).toBeGreaterThan(0);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });

  it('is deterministic per seed', async () => {
    const a = join(dir, 'seed-a.gguf');
    const b = join(dir, 'seed-b.gguf');
    const c = join(dir, 'seed-c.gguf');
    await writeRandomLlamaModel(a, small('q8_0', 42));
    await writeRandomLlamaModel(b, small('q8_0', 42));
    await writeRandomLlamaModel(c, small('q8_0', 43));
    expect(await sha256(a)).toBe(await sha256(b));
    expect(await sha256(a)).not.toBe(await sha256(c));
  });

  it('rejects shapes llama.cpp cannot use', () => {
    expect(() => buildRandomLlamaModel({ ...small('f16'), nHead: 3 })).toThrow(/multiple of nHead/);
    expect(() => buildRandomLlamaModel({ ...small('q8_0'), nFf: 500 })).toThrow(/multiple of 32/);
    expect(() => buildRandomLlamaModel({ ...small('f16'), nVocab: 100 })).toThrow(/nVocab/);
  });

  it('sizes realistic benchmark shapes without writing them', () => {
    const bytes = estimateRandomLlamaModelBytes({
      nEmbd: 2048,
      nLayer: 4,
      nFf: 5632,
      nHead: 32,
      nHeadKv: 8,
      nVocab: 32000,
      type: 'q8_0',
      seed: 1
    });
    expect(bytes).toBeGreaterThan(300e6);
    expect(bytes).toBeLessThan(400e6);
  });
});

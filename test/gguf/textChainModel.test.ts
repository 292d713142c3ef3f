import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, LlamaChatSession, LlamaCompletion, type Llama } from 'node-llama-cpp';
import { readGgufHeader } from '../../src/gguf/readGgufHeader.js';
import { splitIntoChainPieces, writeTextChainModel } from '../../src/gguf/textChainModel.js';

const here = dirname(fileURLToPath(import.meta.url));

let dir: string;
let llama: Llama;
let jestFileText: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-chain-'));
  jestFileText = await readFile(join(here, 'fixtures', 'cart.test.ts.txt'), 'utf8');
  llama = await getLlama({ gpu: false, build: 'never' });
});

afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('splitIntoChainPieces', () => {
  it.each([
    ['ascii', 'hello hello hello world'],
    ['repeats', 'a'.repeat(50)],
    ['unicode', 'Grüße 👋🏽 日本語\n'.repeat(3)],
    ['tail', 'abcab']
  ])('splits %s into distinct, whole-character pieces of 2+ bytes', (_label, text) => {
    const pieces = splitIntoChainPieces(text);
    expect(pieces.join('')).toBe(text);
    expect(new Set(pieces).size).toBe(pieces.length);
    for (const piece of pieces) {
      expect(Buffer.byteLength(piece, 'utf8')).toBeGreaterThanOrEqual(2);
      expect(Buffer.from(piece, 'utf8').toString('utf8')).toBe(piece);
    }
  });

  it('rejects text that has no UTF-8 form', () => {
    expect(() => splitIntoChainPieces('bad \uD800 surrogate')).toThrow(RangeError);
  });
});

// Prompts are ignored by the model; a long one checks that prompt length and content do not matter.
const SHORT_PROMPT = 'Write unit tests for cart.ts';
const LONG_PROMPT =
  'Here is the changed code:\n```ts\n' +
  Array.from({ length: 60 }, (_, i) => `export const value${i} = (x: number): number => x * ${i}; // ünïcode ${i}`).join('\n') +
  '\n```\nWrite a jest test file for it.';

describe('text chain model in node-llama-cpp', () => {
  const cases: Array<[string, () => string]> = [
    ['a short sentence', () => 'Hello from the text chain model.'],
    ['multi-line unicode text', () => 'Zeile 1: Grüße, 世界!\n  ✓ done — 🎉\n\ttabs and  spaces  \n'],
    ['a ~1,500 character jest test file', () => jestFileText]
  ];

  it.each(cases)('answers every prompt with exactly %s', async (label, getText) => {
    const text = getText();
    const path = join(dir, `${label.replace(/\W+/g, '-')}.gguf`);
    const file = await writeTextChainModel(path, text);
    expect(file.bytes).toBeLessThan(8 * 1024 * 1024);

    const header = await readGgufHeader(path);
    expect(header.architecture).toBe('llama');
    expect(header.fileSize).toBe(file.bytes);

    const model = await llama.loadModel({ modelPath: path });
    // One thread: for a model this small, a second thread only adds synchronization cost (and on a busy 2-core
    // machine a spinning second thread is an order of magnitude slower).
    const context = await model.createContext({ threads: 1, contextSize: 8192 });
    try {
      expect(model.tokens.eosString).toBe('<|im_end|>');
      const sequence = context.getSequence();
      const session = new LlamaChatSession({ contextSequence: sequence });
      expect(session.chatWrapper.wrapperName).toBe('ChatML');
      const first = await session.prompt(SHORT_PROMPT, { temperature: 0, maxTokens: 4000 });
      expect(first).toBe(text);
      // Same session: the history now holds the first answer, re-tokenized as bytes, which must not matter.
      const second = await session.prompt(LONG_PROMPT, { temperature: 0, maxTokens: 4000 });
      expect(second).toBe(text);
      session.dispose({ disposeSequence: false });

      await sequence.clearHistory();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      expect(await completion.generateCompletion('function add(a, b) {', { temperature: 0, maxTokens: 4000 })).toBe(text);
      completion.dispose();
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });
});

import { describe, expect, it } from '@jest/globals';

import { streamGeneration } from '../../src/inference/streamGeneration.js';
import type { CompletionRequest, GenerationResult } from '../../src/inference/TextProvider.js';

function resultOf(text: string, finishReason: GenerationResult['finishReason'] = 'stop'): GenerationResult {
  return {
    text,
    provider: 'test',
    model: 'm',
    finishReason,
    usage: { promptTokens: 1, completionTokens: text.length },
    timings: { queuedMs: 0, firstTokenMs: 0, generationMs: 0, tokensPerSecond: 0 }
  };
}

/** Emits `pieces` one per macrotask through onText, like a decoder, stopping when the signal aborts. */
function fakeGenerator(pieces: readonly string[]) {
  const seen: { signal?: AbortSignal } = {};
  const generate = async (request: CompletionRequest): Promise<GenerationResult> => {
    seen.signal = request.signal;
    let text = '';
    for (const piece of pieces) {
      await new Promise((resolve) => setImmediate(resolve));
      if (request.signal?.aborted) return resultOf(text, 'abort');
      text += piece;
      request.onText?.(piece);
    }
    return resultOf(text);
  };
  return { generate, seen };
}

const request: CompletionRequest = { prompt: 'p', maxTokens: 10 };

describe('streamGeneration', () => {
  it('yields every chunk in order and resolves result with the joined text', async () => {
    const { generate } = fakeGenerator(['a', 'b', 'c', 'd']);
    const stream = streamGeneration(request, generate);
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toEqual(['a', 'b', 'c', 'd']);
    expect((await stream.result).text).toBe('abcd');
  });

  it('buffers chunks produced before the consumer starts reading', async () => {
    const { generate } = fakeGenerator(['x', 'y']);
    const stream = streamGeneration(request, generate);
    await stream.result;
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toEqual(['x', 'y']);
  });

  it("still calls the request's own onText", async () => {
    const { generate } = fakeGenerator(['1', '2']);
    const mine: string[] = [];
    const stream = streamGeneration({ ...request, onText: (c) => mine.push(c) }, generate);
    for await (const _ of stream) void _;
    expect(mine).toEqual(['1', '2']);
  });

  it('aborts the generation when the consumer breaks out of the loop', async () => {
    const { generate, seen } = fakeGenerator(['a', 'b', 'c', 'd', 'e', 'f']);
    const stream = streamGeneration(request, generate);
    for await (const chunk of stream) if (chunk === 'b') break;
    expect(seen.signal?.aborted).toBe(true);
    const result = await stream.result;
    expect(result.finishReason).toBe('abort');
    expect(result.text.length).toBeLessThan(6);
  });

  it("forwards the caller's signal to the generation", async () => {
    const controller = new AbortController();
    const { generate, seen } = fakeGenerator(['a', 'b', 'c']);
    const stream = streamGeneration({ ...request, signal: controller.signal }, generate);
    controller.abort();
    expect(seen.signal?.aborted).toBe(true);
    expect((await stream.result).finishReason).toBe('abort');
  });

  it('throws the generation error from the loop and rejects result, with no unhandled rejection', async () => {
    const failure = new Error('model crashed');
    const stream = streamGeneration(request, async (r) => {
      r.onText?.('partial');
      throw failure;
    });
    const chunks: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })()
    ).rejects.toBe(failure);
    expect(chunks).toEqual(['partial']);
    await expect(stream.result).rejects.toBe(failure);
  });

  it('turns a synchronous throw of the generator into a rejected result', async () => {
    const failure = new TypeError('bad request');
    const stream = streamGeneration(request, () => {
      throw failure;
    });
    await expect(stream.result).rejects.toBe(failure);
  });

  it('rejects with an Error that names a thrown non-Error value', async () => {
    const stream = streamGeneration(request, () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a generator that breaks the contract is the case under test
      throw 'out of memory';
    });
    await expect(stream.result).rejects.toThrow(new Error('The generation threw a non-Error value: out of memory'));
  });
});

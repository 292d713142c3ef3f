import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import { AnthropicProvider, type AnthropicProviderOptions } from '../../src/inference/cloud/AnthropicProvider.js';
import { CLOUD_INPUTS } from '../../src/inference/cloud/cloudInputs.js';
import { CloudProviderError } from '../../src/inference/cloud/CloudProviderError.js';
import { UnsupportedRequestError } from '../../src/inference/cloud/UnsupportedRequestError.js';
import { InvalidJsonOutputError } from '../../src/inference/errors.js';
import { fakeTokenCount, startFakeAnthropicApi, type FakeAnthropicApi } from '../support/fakeAnthropicApi.js';

/** The real SDK client against the fake Messages API on 127.0.0.1. */
const KEY = 'sk-ant-test-key-4f1c0a9b7e2d';
const WRONG_KEY = 'sk-ant-wrong-key-9d8c7b6a5f4e';
const SYSTEM = 'You write jest unit tests. Answer with one TypeScript file.';

let api: FakeAnthropicApi;
/** Every error the provider threw in this file: none may hold a key. */
const thrown: unknown[] = [];

beforeEach(async () => {
  api = await startFakeAnthropicApi({ apiKey: KEY });
});

afterEach(async () => {
  await api.close();
});

afterAll(() => {
  expect(thrown.length).toBeGreaterThan(5);
  for (const error of thrown) {
    // inspect() shows the message, every own property and the cause chain: all a log line could print.
    const text = inspect(error, { depth: 6 });
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(WRONG_KEY);
  }
});

function provider(options: Partial<AnthropicProviderOptions> = {}): AnthropicProvider {
  return new AnthropicProvider({
    apiKey: KEY,
    model: 'claude-test-1',
    baseURL: api.url,
    timeoutMs: 5_000,
    maxRetries: 2,
    contextSize: 200_000,
    concurrency: 4,
    ...options
  });
}

async function failure(promise: Promise<unknown>): Promise<CloudProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  thrown.push(error);
  expect(error).toBeInstanceOf(CloudProviderError);
  return error as CloudProviderError;
}

function sent(index = 0): Record<string, unknown> {
  return api.messageRequests()[index]!.body as Record<string, unknown>;
}

describe('AnthropicProvider: answers', () => {
  it('sends a Messages API request with the key, the model and a cacheable system block, and maps the answer', async () => {
    api.reply({ kind: 'message', text: 'export const x = 1;', usage: { input_tokens: 40, output_tokens: 9 } });
    const result = await provider().chat({ system: SYSTEM, user: 'Test src/add.ts', maxTokens: 256 });

    expect(result).toMatchObject({
      text: 'export const x = 1;',
      provider: 'anthropic',
      model: 'claude-test-1',
      finishReason: 'stop',
      usage: { promptTokens: 40, completionTokens: 9, cacheReadTokens: 0, cacheWriteTokens: 0 }
    });
    expect(result.timings.generationMs).toBeGreaterThanOrEqual(result.timings.firstTokenMs);
    const request = api.messageRequests()[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers.authorization ?? request.headers['x-api-key']).toContain(KEY);
    expect(request.body).toMatchObject({
      model: 'claude-test-1',
      max_tokens: 256,
      system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Test src/add.ts' }]
    });
    expect((request.body as { stream?: unknown }).stream).not.toBe(true);
  });

  it('maps cache reads and writes, counting them in promptTokens', async () => {
    const usage = { input_tokens: 12, output_tokens: 30, cache_read_input_tokens: 1800, cache_creation_input_tokens: 250 };
    api.reply({ kind: 'message', text: 'a', usage }, { kind: 'message', text: ['b', 'c'], usage });
    const whole = await provider().chat({ system: SYSTEM, user: 'u', maxTokens: 64 });
    const streamed = await provider().chat({ system: SYSTEM, user: 'u', maxTokens: 64, onText: () => undefined });

    for (const result of [whole, streamed]) {
      expect(result.usage).toEqual({ promptTokens: 12 + 1800 + 250, completionTokens: 30, cacheReadTokens: 1800, cacheWriteTokens: 250 });
    }
  });

  it('marks the resent user context as a cache breakpoint when the request names it', async () => {
    api.reply({ kind: 'message', text: 'fixed' });
    const context = 'Source of src/add.ts:\nexport const add = (a, b) => a + b;\n';
    await provider().chat({ system: SYSTEM, user: `${context}The test failed: expected 3, got 4.`, cacheableUserPrefix: context, maxTokens: 64 });

    expect(sent().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: context, cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'The test failed: expected 3, got 4.' }
        ]
      }
    ]);
    await expect(provider().chat({ user: 'other text', cacheableUserPrefix: context, maxTokens: 8 })).rejects.toThrow(/start of the request's user text/);
  });

  it('ends at a stop sequence and reports which one, and asks for JSON with the schema', async () => {
    api.reply(
      { kind: 'message', text: 'const a = 1;', stopReason: 'stop_sequence', stopSequence: '\n```' },
      { kind: 'message', text: '{"tests":["adds"]}' },
      { kind: 'message', text: '{"tests":["ad', stopReason: 'max_tokens' }
    );
    const stopped = await provider().chat({ user: 'u', maxTokens: 64, stopSequences: ['\n```', ' '] });
    expect(stopped).toMatchObject({ finishReason: 'stop', stopSequence: '\n```' });
    expect(sent(0).stop_sequences).toEqual(['\n```']);

    const schema = { type: 'object', properties: { tests: { type: 'array', items: { type: 'string' } } }, required: ['tests'] };
    const json = await provider().chat({ user: 'u', maxTokens: 64, jsonSchema: schema });
    expect(json.json).toEqual({ tests: ['adds'] });
    expect(sent(1).output_config).toEqual({ format: { type: 'json_schema', schema } });

    const cut = provider().chat({ user: 'u', maxTokens: 4, jsonSchema: schema });
    await expect(cut).rejects.toBeInstanceOf(InvalidJsonOutputError);
    await expect(cut).rejects.toThrow(/raise max-tokens/);
  });

  it('streams through the SDK helper: chunks in order, onText for chat() too, the whole text in result', async () => {
    const pieces = ['import ', '{ add } ', "from './add';", '\n'];
    api.reply({ kind: 'message', text: pieces, chunkDelayMs: 20 }, { kind: 'message', text: pieces });
    const stream = provider().stream({ system: SYSTEM, user: 'u', maxTokens: 64 });
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const result = await stream.result;

    expect(chunks).toEqual(pieces);
    expect(result.text).toBe(pieces.join(''));
    expect(result.finishReason).toBe('stop');
    expect(result.usage.completionTokens).toBe(pieces.length);
    expect(result.timings.firstTokenMs).toBeLessThan(result.timings.generationMs);
    expect(sent(0)).toMatchObject({ stream: true, system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }] });

    const seen: string[] = [];
    const chatted = await provider().chat({ user: 'u', maxTokens: 64, onText: (chunk) => seen.push(chunk) });
    expect(seen).toEqual(pieces);
    expect(chatted.text).toBe(pieces.join(''));
  });

  it('counts a request exactly with count_tokens, sending what chat() would send', async () => {
    const request = { system: SYSTEM, user: 'Test src/add.ts, which adds two numbers.', maxTokens: 64 };
    const count = await provider().countRequestTokens(request);

    const call = api.requests.find((r) => r.path === '/v1/messages/count_tokens')!;
    expect(count).toBe(fakeTokenCount(call.body));
    expect(count).toBeGreaterThan(0);
    expect(call.body).toMatchObject({ model: 'claude-test-1', system: [{ text: SYSTEM, cache_control: { type: 'ephemeral' } }] });
    expect(api.messageRequests()).toHaveLength(0);
    // The offline estimate errs high, so prompts fitted with it fit.
    expect(provider().countPromptTokens(request)).toBeGreaterThanOrEqual(count);
  });

  it('describes the endpoint, never the key, and refuses what the API cannot do', async () => {
    const cloud = provider({ concurrency: 6, contextSize: 100_000 });
    expect(cloud.info()).toEqual({
      provider: 'anthropic',
      model: 'claude-test-1',
      backend: 'cloud',
      hardware: `Anthropic Messages API at ${new URL(api.url).host}`,
      threads: 0,
      parallelSequences: 6,
      contextSize: 100_000,
      modelLoadMs: 0,
      gpuLayers: 0
    });
    expect(JSON.stringify(cloud.info())).not.toContain(KEY);
    await expect(cloud.complete({ prompt: 'function add(', maxTokens: 8 })).rejects.toBeInstanceOf(UnsupportedRequestError);
    await expect(cloud.embed(['a'])).rejects.toBeInstanceOf(UnsupportedRequestError);
    await expect(cloud.stream({ prompt: 'x', maxTokens: 8 }).result).rejects.toBeInstanceOf(UnsupportedRequestError);
    expect(cloud.countTokens('é'.repeat(30))).toBe(20);
    expect(api.requests).toHaveLength(0);
  });
});

describe('AnthropicProvider: retries', () => {
  it('waits as long as retry-after says after a 429, then succeeds', async () => {
    api.reply({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Slow down', headers: { 'retry-after': '1' } }, { kind: 'message', text: 'ok' });
    const result = await provider().chat({ user: 'u', maxTokens: 8 });

    expect(result.text).toBe('ok');
    const [first, second] = api.messageRequests();
    // Without the header the SDK would wait at most 0.5 s before its first retry.
    const gap = second!.receivedAt - first!.receivedAt;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(2_500);
  });

  it('retries a 529 overloaded answer, streaming or not, then succeeds', async () => {
    api.reply(
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
      { kind: 'message', text: 'ok' },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
      { kind: 'message', text: ['o', 'k'] }
    );
    expect((await provider().chat({ user: 'u', maxTokens: 8 })).text).toBe('ok');
    expect((await provider().chat({ user: 'u', maxTokens: 8, onText: () => undefined })).text).toBe('ok');
    expect(api.messageRequests()).toHaveLength(4);
  });

  it('fails with a retryable server error after maxRetries attempts of HTTP 500', async () => {
    api.reply(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 500, type: 'api_error', message: 'Internal server error' })));
    const error = await failure(provider({ maxRetries: 2 }).chat({ user: 'u', maxTokens: 8 }));

    expect(error).toMatchObject({ kind: 'server', status: 500, retryable: true });
    expect(error.message).toContain('"Internal server error"');
    expect(api.messageRequests()).toHaveLength(3);
  });

  it('reports a rate limit and an overload that outlast the retries with their kinds', async () => {
    api.reply(
      { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Slow down', headers: { 'retry-after': '0' } },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }
    );
    expect(await failure(provider({ maxRetries: 0 }).chat({ user: 'u', maxTokens: 8 }))).toMatchObject({ kind: 'rate-limit', status: 429, retryable: true });
    expect(await failure(provider({ maxRetries: 0 }).chat({ user: 'u', maxTokens: 8 }))).toMatchObject({ kind: 'overloaded', status: 529, retryable: true });
  });
});

describe('AnthropicProvider: faults', () => {
  it('times out a server that never answers within the configured limit, each attempt', async () => {
    api.reply({ kind: 'hang' }, { kind: 'hang' });
    const started = Date.now();
    const error = await failure(provider({ timeoutMs: 400, maxRetries: 1 }).chat({ user: 'u', maxTokens: 8 }));
    const elapsed = Date.now() - started;

    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(error.status).toBeUndefined();
    expect(api.messageRequests()).toHaveLength(2);
    // Two attempts of 400 ms and one backoff of at most 500 ms.
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(elapsed).toBeLessThan(2_500);
  });

  it('reports a body that is not JSON, or not a message, as malformed', async () => {
    api.reply(
      { kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"msg_1","content":[{"type":"te' },
      { kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: '{"type":"message","usage":{"input_tokens":1,"output_tokens":1}}' },
      { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: 'event: message_start\ndata: {not json\n\n' }
    );
    const notJson = await failure(provider().chat({ user: 'u', maxTokens: 8 }));
    expect(notJson).toMatchObject({ kind: 'malformed', status: undefined });
    expect(notJson.message).toMatch(/malformed response \(not JSON/);

    expect((await failure(provider().chat({ user: 'u', maxTokens: 8 }))).message).toMatch(/no "content" array/);
    expect(await failure(provider().chat({ user: 'u', maxTokens: 8, onText: () => undefined }))).toMatchObject({ kind: 'malformed' });
  });

  it('refuses an empty key before any request, naming anthropic-api-key', () => {
    for (const apiKey of [undefined, '', '   ']) {
      let error: unknown;
      try {
        provider({ apiKey });
      } catch (e) {
        error = e;
      }
      thrown.push(error);
      expect(error).toBeInstanceOf(CloudProviderError);
      expect(error).toMatchObject({ kind: 'auth', retryable: false, input: CLOUD_INPUTS.anthropicApiKey });
      expect((error as Error).message).toContain('anthropic-api-key');
    }
    expect(api.requests).toHaveLength(0);
  });

  it('reports a wrong key (401) as auth naming anthropic-api-key, without echoing the key', async () => {
    const wrong = provider({ apiKey: WRONG_KEY });
    for (const attempt of [
      wrong.chat({ user: 'u', maxTokens: 8 }),
      wrong.chat({ user: 'u', maxTokens: 8, onText: () => undefined }),
      wrong.countRequestTokens({ user: 'u', maxTokens: 8 })
    ]) {
      const error = await failure(attempt);
      expect(error).toMatchObject({ kind: 'auth', status: 401, retryable: false, input: CLOUD_INPUTS.anthropicApiKey });
      expect(error.message).toContain('anthropic-api-key');
      expect(error.message).toContain('[redacted]');
      expect(error.message).not.toContain(WRONG_KEY);
    }
    // Not retried: a wrong key stays wrong.
    expect(api.requests).toHaveLength(3);
    // The fake did see the key, so the redaction above was tested on a message that held it.
    expect(api.requests[0]!.headers.authorization).toContain(WRONG_KEY);
  });

  it('names cloud-model when the API does not know the model, and reports an unreachable endpoint', async () => {
    api.reply({ kind: 'error', status: 404, type: 'not_found_error', message: 'model: claude-nope' });
    const unknown = await failure(provider({ model: 'claude-nope' }).chat({ user: 'u', maxTokens: 8 }));
    expect(unknown).toMatchObject({ kind: 'bad-request', status: 404, retryable: false, input: CLOUD_INPUTS.cloudModel });
    expect(unknown.message).toContain('cloud-model');

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await failure(provider({ baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 }).chat({ user: 'u', maxTokens: 8 }));
    expect(unreachable).toMatchObject({ kind: 'unreachable', retryable: true });
  });
});

describe('AnthropicProvider: abort', () => {
  it('aborts a streaming request mid-answer with finishReason abort and the text so far', async () => {
    api.reply({ kind: 'message', text: ['one ', 'two ', 'three'], stallAfterChunks: 2 });
    const controller = new AbortController();
    const seen: string[] = [];
    const started = Date.now();
    const result = await provider().chat({
      user: 'u',
      maxTokens: 64,
      signal: controller.signal,
      onText: (chunk) => {
        seen.push(chunk);
        if (seen.length === 2) controller.abort();
      }
    });

    expect(result).toMatchObject({ finishReason: 'abort', text: 'one two ' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('aborts a request still waiting for its answer, and a stream its consumer leaves', async () => {
    api.reply({ kind: 'hang' }, { kind: 'message', text: ['a', 'b', 'c'], stallAfterChunks: 1 });
    const controller = new AbortController();
    const started = Date.now();
    const waiting = provider().chat({ user: 'u', maxTokens: 8, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await waiting).toMatchObject({ finishReason: 'abort', text: '' });
    // Well before the 5 s request timeout.
    expect(Date.now() - started).toBeLessThan(2_000);

    const stream = provider().stream({ user: 'u', maxTokens: 8 });
    for await (const chunk of stream) {
      expect(chunk).toBe('a');
      break;
    }
    expect(await stream.result).toMatchObject({ finishReason: 'abort', text: 'a' });
  });
});

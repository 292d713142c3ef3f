import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CLOUD_INPUTS } from '../../src/inference/cloud/cloudInputs.js';
import { CloudProviderError } from '../../src/inference/cloud/CloudProviderError.js';
import { OpenAiCompatibleProvider, type OpenAiCompatibleProviderOptions } from '../../src/inference/cloud/OpenAiCompatibleProvider.js';
import { UnsupportedRequestError } from '../../src/inference/cloud/UnsupportedRequestError.js';
import { GenerationAbortedError } from '../../src/inference/errors.js';
import type { ChatRequest } from '../../src/inference/TextProvider.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeOpenAiServerOptions } from '../support/fakeOpenAiServer.js';

// The openai SDK declares engines node >= 22 (CI runs this suite on Node 24); on older Node it is not supported.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const describeOnSupportedNode = nodeMajor >= 22 ? describe : describe.skip;
const suiteName =
  nodeMajor >= 22
    ? 'OpenAiCompatibleProvider against a local OpenAI-compatible server'
    : `OpenAiCompatibleProvider (skipped: the openai SDK needs Node >= 22, this is Node ${process.versions.node}; run with .ci/.node24)`;

const CHAT = '/v1/chat/completions';
const KEY = 'sk-test-4b1d0c2e9f7a';

let servers: FakeOpenAiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const server = await startFakeOpenAiServer(options);
  servers.push(server);
  return server;
}

function providerFor(server: FakeOpenAiServer | string, overrides: Partial<OpenAiCompatibleProviderOptions> = {}): OpenAiCompatibleProvider {
  return new OpenAiCompatibleProvider({
    baseURL: typeof server === 'string' ? server : server.url,
    model: 'qwen2.5-coder-7b',
    timeoutMs: 5_000,
    maxRetries: 2,
    contextSize: 8192,
    concurrency: 4,
    ...overrides
  });
}

const request: ChatRequest = { system: 'You write jest tests.', user: 'Test the add function please', maxTokens: 64 };

async function failure(promise: Promise<unknown>): Promise<CloudProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(CloudProviderError);
  return error as CloudProviderError;
}

/** Everything an error could show in a log: its message, its string form, its own fields and its cause. */
function everythingShown(error: CloudProviderError): string {
  const cause = (error.cause as { message?: unknown } | undefined)?.message;
  return [error.message, String(error), JSON.stringify({ ...error }), typeof cause === 'string' ? cause : '', error.stack ?? ''].join('\n');
}

describeOnSupportedNode(suiteName, () => {
  it('answers a chat request with the server text and usage, sending model, messages and parameters', async () => {
    const server = await serve({ cachedTokens: 3 });
    const provider = providerFor(server);
    const result = await provider.chat({ ...request, stopSequences: ['\n\n'], seed: 7 });
    expect(result.text).toBe('echo: Test the add function please');
    expect(result.finishReason).toBe('stop');
    expect(result.provider).toBe('openai-compatible');
    expect(result.model).toBe('qwen2.5-coder-7b');
    // The fake server counts words: 5 in the prompt, 6 in the answer.
    expect(result.usage).toEqual({ promptTokens: 5, completionTokens: 6, cacheReadTokens: 3 });
    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0]!;
    expect(sent.path).toBe(CHAT);
    expect(sent.body).toMatchObject({
      model: 'qwen2.5-coder-7b',
      messages: [
        { role: 'system', content: 'You write jest tests.' },
        { role: 'user', content: 'Test the add function please' }
      ],
      max_tokens: 64,
      temperature: 0,
      seed: 7,
      stop: ['\n\n']
    });
    expect(sent.body?.stream).toBeFalsy();
    expect(provider.info()).toMatchObject({ provider: 'openai-compatible', backend: 'shared-server', parallelSequences: 4, contextSize: 8192, threads: 0 });
    expect(provider.info().hardware).toContain(server.url.replace('http://', ''));
  });

  it('streams the answer in chunks and takes usage from the final usage chunk', async () => {
    const server = await serve();
    const provider = providerFor(server);
    const seen: string[] = [];
    const stream = provider.stream({ ...request, onText: (chunk) => seen.push(`cb:${chunk}`) });
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const result = await stream.result;
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.join('')).toBe('echo: Test the add function please');
    expect(seen).toEqual(chunks.map((c) => `cb:${c}`));
    expect(result.text).toBe(chunks.join(''));
    expect(result.usage).toEqual({ promptTokens: 5, completionTokens: 6 });
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams chat() when onText is given, and reports a cut answer as length', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'answer', text: 'it("adds", () => {', finishReason: 'length' });
    const chunks: string[] = [];
    const result = await providerFor(server).chat({ ...request, onText: (c) => chunks.push(c) });
    expect(result.finishReason).toBe('length');
    expect(chunks.join('')).toBe('it("adds", () => {');
    expect(server.requests[0]!.body?.stream).toBe(true);
  });

  it('sends raw completions to /v1/completions, whole and streamed', async () => {
    const server = await serve();
    const provider = providerFor(server);
    const whole = await provider.complete({ prompt: 'function add(a, b)', maxTokens: 16 });
    expect(whole.text).toBe('echo: function add(a, b)');
    expect(server.requests[0]).toMatchObject({ path: '/v1/completions', body: { prompt: 'function add(a, b)', max_tokens: 16 } });
    const stream = provider.stream({ prompt: 'const x =', maxTokens: 8 });
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.join('')).toBe('echo: const x =');
    expect((await stream.result).usage).toEqual({ promptTokens: 3, completionTokens: 4 });
    await expect(provider.complete({ prompt: 'x', maxTokens: 4, jsonSchema: { type: 'object' } })).rejects.toThrow(UnsupportedRequestError);
  });

  it('asks for JSON through response_format and parses the answer', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'answer', text: '{"tests":2}' });
    const schema = { type: 'object', properties: { tests: { type: 'number' } } };
    const result = await providerFor(server).chat({ ...request, jsonSchema: schema });
    expect(result.json).toEqual({ tests: 2 });
    expect(server.requests[0]!.body?.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } });
  });

  it('embeds through /v1/embeddings, one vector per text in order', async () => {
    const server = await serve();
    const result = await providerFor(server).embed(['a b c', 'hello']);
    expect(result.vectors).toEqual([
      [5, 3, 'a'.charCodeAt(0)],
      [5, 1, 'h'.charCodeAt(0)]
    ]);
    expect(result.dimensions).toBe(3);
    expect(result.usage.promptTokens).toBe(4);
    expect(server.requests[0]).toMatchObject({ path: '/v1/embeddings', body: { input: ['a b c', 'hello'], encoding_format: 'float' } });
  });

  it('accepts the server address with or without /v1', async () => {
    const server = await serve();
    const result = await providerFor(`${server.url}/v1/`).chat(request);
    expect(result.text).toBe('echo: Test the add function please');
    expect(server.requests[0]!.path).toBe(CHAT);
  });

  it('waits as long as retry-after says after a 429, then succeeds', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } });
    const result = await providerFor(server).chat(request);
    expect(result.text).toBe('echo: Test the add function please');
    expect(server.requests).toHaveLength(2);
    // The SDK's own first backoff is at most 500 ms: a gap of about a second is the header's.
    const gap = server.requests[1]!.at - server.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(3000);
  });

  it('fails with a typed rate-limit error when 429s outlast the retries', async () => {
    const server = await serve();
    const limited = { kind: 'status' as const, status: 429, headers: { 'retry-after-ms': '20' }, body: { error: { message: 'slow down' } } };
    server.script(CHAT, limited, limited, limited);
    const error = await failure(providerFor(server, { maxRetries: 1 }).chat(request));
    expect(error).toMatchObject({ kind: 'rate-limit', status: 429, retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'status', status: 500, body: { error: { message: 'kv cache full' } } });
    const result = await providerFor(server).chat(request);
    expect(result.text).toBe('echo: Test the add function please');
    expect(server.requests).toHaveLength(2);
  });

  it('fails with a typed server error after the retries are spent', async () => {
    const server = await serve();
    const fault = { kind: 'status' as const, status: 500, headers: { 'retry-after-ms': '20' }, body: { error: { message: 'kv cache full' } } };
    server.script(CHAT, fault, fault, fault, fault);
    const error = await failure(providerFor(server, { maxRetries: 2 }).chat(request));
    expect(server.requests).toHaveLength(3);
    expect(error).toMatchObject({ kind: 'server', status: 500, retryable: true });
    expect(error.message).toContain('HTTP 500');
    expect(error.message).toContain('"kv cache full"');
    expect(error.message).toContain('tried 3 times');
  });

  it('reports a 503 as overloaded and a 400 as a bad request naming the model input', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'status', status: 503, headers: { 'x-should-retry': 'false' }, body: { error: { message: 'Loading model' } } });
    expect(await failure(providerFor(server).chat(request))).toMatchObject({ kind: 'overloaded', status: 503, retryable: true });
    server.script(CHAT, { kind: 'status', status: 400, body: { error: { message: 'context length exceeded' } } });
    const bad = await failure(providerFor(server).chat(request));
    expect(bad).toMatchObject({ kind: 'bad-request', status: 400, retryable: false, input: CLOUD_INPUTS.sharedServerModel });
  });

  it('times out within the configured limit when the server never answers', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'hang' });
    const started = Date.now();
    const error = await failure(providerFor(server, { timeoutMs: 400, maxRetries: 0 }).chat(request));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, input: CLOUD_INPUTS.sharedServerUrl });
    expect(error.message).toContain('400 ms');
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a stream that goes silent mid-answer', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'stall', text: 'it works fine', chunks: 2 });
    const chunks: string[] = [];
    const started = Date.now();
    const error = await failure(providerFor(server, { timeoutMs: 400, maxRetries: 0 }).chat({ ...request, onText: (c) => chunks.push(c) }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toMatchObject({ kind: 'timeout', input: CLOUD_INPUTS.sharedServerUrl });
    expect(chunks.join('')).toBe('it works ');
  });

  it('reports a body that is not JSON, or JSON without choices, as malformed', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'malformed' }, { kind: 'malformed', body: '{"object":"chat.completion"}' }, { kind: 'malformed', body: '<html>proxy</html>' });
    for (let i = 0; i < 3; i++) {
      const error = await failure(providerFor(server).chat(request));
      expect(error).toMatchObject({ kind: 'malformed', retryable: false, input: CLOUD_INPUTS.sharedServerUrl });
    }
    expect(server.requests).toHaveLength(3);
  });

  it('talks to a server without auth sending no Authorization header at all', async () => {
    const server = await serve();
    const result = await providerFor(server).chat(request);
    expect(result.text).toBe('echo: Test the add function please');
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    const streamed = providerFor(server, { apiKey: '' }).stream(request);
    await streamed.result;
    expect(server.requests[1]!.headers.authorization).toBeUndefined();
  });

  it('sends the key as a bearer token to a server that requires one', async () => {
    const server = await serve({ apiKey: KEY });
    const result = await providerFor(server, { apiKey: KEY }).chat(request);
    expect(result.text).toBe('echo: Test the add function please');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('names shared-server-api-key when the key is wrong, never showing the key', async () => {
    const server = await serve({ apiKey: KEY });
    const wrong = 'sk-wrong-77c1e0aa53';
    const error = await failure(providerFor(server, { apiKey: wrong }).chat(request));
    expect(error).toMatchObject({ kind: 'auth', status: 401, retryable: false, input: CLOUD_INPUTS.sharedServerApiKey });
    expect(error.message).toContain('shared-server-api-key');
    expect(error.message).toContain('rejected');
    // The fake server quotes the key it got, as OpenAI's own 401 does.
    expect(everythingShown(error)).not.toContain(wrong);
    expect(everythingShown(error)).not.toContain('77c1e0aa53');
    expect(server.requests).toHaveLength(1);

    const streamError = await failure(providerFor(server, { apiKey: wrong }).stream(request).result);
    expect(streamError).toMatchObject({ kind: 'auth', input: CLOUD_INPUTS.sharedServerApiKey });
    expect(everythingShown(streamError)).not.toContain(wrong);
  });

  it('says to set shared-server-api-key when the server needs a key and none is given', async () => {
    const server = await serve({ apiKey: KEY });
    const error = await failure(providerFor(server).chat(request));
    expect(error).toMatchObject({ kind: 'auth', status: 401, input: CLOUD_INPUTS.sharedServerApiKey });
    expect(error.message).toContain('requires an API key: set shared-server-api-key');
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('names shared-server-model when the server does not serve the model', async () => {
    const server = await serve({ models: ['llama-3.1-8b'] });
    const error = await failure(providerFor(server, { model: 'no-such-model' }).chat(request));
    expect(error).toMatchObject({ kind: 'bad-request', status: 404, retryable: false, input: CLOUD_INPUTS.sharedServerModel });
    expect(error.message).toContain('shared-server-model');
    expect(error.message).toContain('"no-such-model"');
  });

  it('aborts a stream mid-answer: finish reason abort, the text so far, the connection closed', async () => {
    const server = await serve({ chunkDelayMs: 100 });
    server.script(CHAT, { kind: 'answer', text: 'one two three four five six seven eight nine ten' });
    const controller = new AbortController();
    const stream = providerFor(server).stream({ ...request, signal: controller.signal });
    const chunks: string[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunks.length === 2) controller.abort();
    }
    const result = await stream.result;
    expect(result.finishReason).toBe('abort');
    expect(result.text).toBe(chunks.join(''));
    expect(result.text.startsWith('one two ')).toBe(true);
    expect(result.text.length).toBeLessThan('one two three four five six seven eight nine ten'.length);
  });

  it('aborts a request the server has not answered yet, and refuses one aborted before it is sent', async () => {
    const server = await serve();
    server.script(CHAT, { kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const result = await providerFor(server).chat({ ...request, signal: controller.signal });
    expect(result.finishReason).toBe('abort');
    expect(result.text).toBe('');
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(providerFor(server).chat({ ...request, signal: AbortSignal.abort() })).rejects.toThrow(GenerationAbortedError);
    await expect(providerFor(server).embed(['x'], { signal: AbortSignal.abort() })).rejects.toThrow(GenerationAbortedError);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a URL nothing listens on as unreachable, naming shared-server-url', async () => {
    const port = await closedPort();
    const error = await failure(providerFor(`http://127.0.0.1:${port}`, { maxRetries: 0 }).chat(request));
    expect(error).toMatchObject({ kind: 'unreachable', retryable: true, input: CLOUD_INPUTS.sharedServerUrl });
    expect(error.message).toContain('shared-server-url');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects a shared-server-url that is not http or https, without echoing credentials', () => {
    for (const url of ['ftp://gpu-box/v1', 'gpu-box:8080', 'not a url', 'http://user:hunter2@[bad']) {
      let error: unknown;
      try {
        providerFor(url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CloudProviderError);
      expect(error).toMatchObject({ kind: 'unreachable', input: CLOUD_INPUTS.sharedServerUrl });
      expect((error as Error).message).toContain('Input "shared-server-url"');
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('keeps credentials in the URL out of the report', async () => {
    const server = await serve();
    const provider = providerFor(server.url.replace('http://', 'http://me:hunter2@'));
    expect(provider.info().hardware).not.toContain('hunter2');
    expect(provider.info().hardware).toContain(server.url.replace('http://', ''));
  });
});

/** A port on 127.0.0.1 that was just free: listened on, then closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

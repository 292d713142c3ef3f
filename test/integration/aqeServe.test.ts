/**
 * `aqe serve` in this process, on 127.0.0.1 and a free port, answering with the generated demo model through real
 * llama.cpp (node-llama-cpp's CPU binary): the HTTP protocol with plain fetch (every Node), and the official openai
 * client against it (Node >= 22, as the SDK requires; CI runs this suite on Node 24), the router's openai-compatible
 * provider included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import OpenAI, { APIError, AuthenticationError, RateLimitError } from 'openai';
import { parseServeArgs, startServe, type ServeSettings, type StartedServe } from '../../src/cli/serveCommand.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { OpenAiCompatibleProvider } from '../../src/inference/cloud/OpenAiCompatibleProvider.js';
import { LocalLlamaProvider } from '../../src/inference/LocalLlamaProvider.js';
import { DEMO_ANSWER_FILE, prepareDemoModel } from '../../src/inference/model/demoModel.js';
import { importNodeLlamaCpp, locateNodeLlamaCpp } from '../../src/inference/nodeLlamaCppRuntime.js';
import { startModelServer, type RunningModelServer, type ServedModel } from '../../src/serve/ModelServer.js';
import { OPENAI_COMPATIBLE_MIN_NODE_MAJOR } from '../../src/routing/createRemoteProvider.js';
import type { Logger } from '../../src/core/Logger.js';

// The same rule as the router's OpenAiCompatibleProvider (createRemoteProvider.ts): the SDK declares node >= 22.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const onSdkNode = nodeMajor >= OPENAI_COMPATIBLE_MIN_NODE_MAJOR;
const describeWithSdk = onSdkNode ? describe : describe.skip;
const sdkSuite = onSdkNode
  ? 'aqe serve with the openai client'
  : `aqe serve with the openai client (skipped: the openai SDK needs Node >= ${OPENAI_COMPATIBLE_MIN_NODE_MAJOR}, this is Node ${process.versions.node}; run with .ci/.node24)`;

const KEY = 'sk-serve-test-5e1f0a77';

let dir: string;
let answer: string;
/** Through the CLI's own path (flags → settings → loadProvider): 2 sequences, a queue of 8, an API key. */
let shared: StartedServe;
let sharedLog: string[];
/** Built by hand around a model the test loads itself, so it can be seen loading: 1 sequence, no queue. */
let single: RunningModelServer;
let singleLog: string[];
let release: (model: ServedModel) => void;
let healthWhileLoading: { status: number; body: unknown };
let chatWhileLoading: { status: number; retryAfter: string | null; body: unknown };

function quietLogger(lines: string[]): Logger {
  return { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), group: (_name, task) => task() };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-serve-'));
  answer = await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8');
  const settings = parseServeArgs(
    ['--model', 'demo', '--port', '0', '--queue', '8', '--max-parallel', '2', '--threads', '1', '--context-size', '2048', '--max-body-bytes', '65536'],
    { AQE_SERVE_API_KEY: KEY },
    dir,
    dir
  ) as ServeSettings;
  sharedLog = [];
  shared = await startServe(settings, dir, quietLogger(sharedLog));
  await shared.ready;

  singleLog = [];
  const pending = new Promise<ServedModel>((resolve) => (release = resolve));
  single = await startModelServer({ host: '127.0.0.1', port: 0, queueLimit: 0, log: (line) => singleLog.push(line) }, pending);
  const health = await fetch(`${single.url}/health`);
  healthWhileLoading = { status: health.status, body: await health.json() };
  const chat = await post(single.url, { model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
  chatWhileLoading = { status: chat.status, retryAfter: chat.headers.get('retry-after'), body: await chat.json() };
  const location = locateNodeLlamaCpp([process.cwd()]);
  const provider = await LocalLlamaProvider.load({
    runtime: await importNodeLlamaCpp(location!),
    modelPath: await prepareDemoModel(dir),
    gpu: 'cpu',
    threads: 1,
    maxParallel: 1,
    contextSize: 2048
  });
  release({ provider, id: 'demo' });
  await waitFor(async () => (await fetch(`${single.url}/health`)).status === 200);
}, 120_000);

afterAll(async () => {
  await shared?.server.close();
  await single?.close();
  await rm(dir, { recursive: true, force: true });
});

function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {})
  });
}

const authorized = { authorization: `Bearer ${KEY}` };
const question = {
  model: 'demo',
  messages: [
    { role: 'system' as const, content: 'You write jest tests.' },
    { role: 'user' as const, content: 'Test slugify.' }
  ]
};

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`The condition did not hold within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The text of a stream of chat.completion.chunk events, and its events. */
async function readEvents(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      expect(e.startsWith('data: ')).toBe(true);
      return e.slice('data: '.length);
    });
}

describe('aqe serve over HTTP', () => {
  it('says 503 on /health and on requests while the model loads, then 200 with the model and the queue', async () => {
    expect(healthWhileLoading).toEqual({ status: 503, body: { status: 'loading', model: null, queue: null } });
    expect(chatWhileLoading).toMatchObject({ status: 503, retryAfter: '5', body: { error: { type: 'server_error', code: 'model_loading' } } });
    const health = await fetch(`${single.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', model: 'demo', queue: { running: 0, queued: 0, slots: 1, queueLimit: 0 } });
    // Probes send no key: /health is open even where the API needs one.
    expect(await (await fetch(`${shared.server.url}/health`)).json()).toMatchObject({ status: 'ok', model: 'demo', queue: { slots: 2, queueLimit: 8 } });
  });

  it('answers a chat completion with the model text, the finish reason and the usage', async () => {
    const response = await post(shared.server.url, { ...question, seed: 3 }, authorized);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      object: string;
      model: string;
      choices: { message: { content: string }; finish_reason: string }[];
      usage: Record<string, number>;
    };
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'demo',
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }]
    });
    expect(body.usage.prompt_tokens).toBeGreaterThan(5);
    expect(body.usage.completion_tokens).toBeGreaterThan(10);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('honours max_tokens and stop', async () => {
    const cut = (await (await post(shared.server.url, { ...question, max_tokens: 5 }, authorized)).json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.usage.completion_tokens).toBe(5);
    expect(answer.startsWith(cut.choices[0]!.message.content)).toBe(true);
    const stopAt = "describe('";
    const stopped = (await (await post(shared.server.url, { ...question, stop: [stopAt] }, authorized)).json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
    };
    expect(stopped.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: answer.slice(0, answer.indexOf(stopAt)) } });
  });

  it('streams server-sent events in OpenAI chunk format, with the usage chunk when asked, ending in [DONE]', async () => {
    const response = await post(shared.server.url, { ...question, stream: true, stream_options: { include_usage: true } }, authorized);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e) as {
          id: string;
          object: string;
          choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
          usage?: { completion_tokens: number };
        }
    );
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    // The text arrives in many pieces, as it is generated, and they join to the whole answer.
    const pieces = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? ''));
    expect(pieces.filter((p) => p !== '').length).toBeGreaterThan(10);
    expect(pieces.join('')).toBe(answer);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: expect.any(Number) } });
  });

  it('answers more concurrent clients than sequences: every one fully, those beyond the sequences after a wait', async () => {
    const clients = 5;
    const responses = await Promise.all(Array.from({ length: clients }, () => post(shared.server.url, question, authorized)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { choices: { message: { content: string } }[] }[];
    expect(responses.map((r) => r.status)).toEqual(Array(clients).fill(200));
    expect(bodies.map((b) => b.choices[0]!.message.content)).toEqual(Array(clients).fill(answer));
    const waits = responses.map((r) => Number(r.headers.get('x-aqe-queue-ms'))).sort((a, b) => a - b);
    // Two sequences: two start at once, the others wait for one of them to finish (all three when the five arrive
    // before the first answer is done, as they do by far; two leaves room for a slow machine).
    expect(waits.filter((w) => w > 0).length).toBeGreaterThanOrEqual(clients - 3);
    expect(waits.slice(0, 2)).toEqual([0, 0]);
    expect((await (await fetch(`${shared.server.url}/health`)).json()) as unknown).toMatchObject({ queue: { running: 0, queued: 0 } });
  });

  it('refuses a request beyond the sequences and the queue with 429, a retry-after and an OpenAI error', async () => {
    // The one sequence held by a stream that is read only once the refusal is in.
    const busy = await post(single.url, { ...question, stream: true });
    expect(busy.status).toBe(200);
    const refused = await post(single.url, question);
    const busyEvents = readEvents(busy);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toEqual({
      error: { message: expect.stringContaining('All 1 sequence(s) are busy'), type: 'rate_limit_error', param: null, code: 'queue_full' }
    });
    expect((await busyEvents).at(-1)).toBe('[DONE]');
    expect((await post(single.url, question)).status).toBe(200);
  });

  it('needs the API key when one is set: 401 without it or with another, in OpenAI form', async () => {
    const missing = await post(shared.server.url, question);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
    const wrong = await fetch(`${shared.server.url}/v1/models`, { headers: { authorization: 'Bearer sk-not-it' } });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await wrong.json())).not.toContain(KEY);
  });

  it('refuses malformed bodies with 400, oversized ones with 413, other models with 404, unknown paths in OpenAI form', async () => {
    const notJson = await post(shared.server.url, '{"model": "demo", "messages": [', authorized);
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
    const noMessages = await post(shared.server.url, { model: 'demo', messages: 'hello' }, authorized);
    expect(noMessages.status).toBe(400);
    expect(await noMessages.json()).toMatchObject({ error: { code: 'invalid_request', param: 'messages' } });
    const badTemperature = await post(shared.server.url, { ...question, temperature: 9 }, authorized);
    expect(await badTemperature.json()).toMatchObject({ error: { code: 'invalid_request', param: 'temperature' } });
    const conversation = await post(
      shared.server.url,
      {
        model: 'demo',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'user', content: 'c' }
        ]
      },
      authorized
    );
    expect(await conversation.json()).toMatchObject({ error: { code: 'unsupported_conversation', param: 'messages.1.role' } });
    const tooLong = await post(shared.server.url, { ...question, max_tokens: 5000 }, authorized);
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: { code: 'context_length_exceeded' } });
    const huge = await post(shared.server.url, { model: 'demo', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }, authorized);
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: 'request_too_large' } });
    const otherModel = await post(shared.server.url, { ...question, model: 'gpt-4o' }, authorized);
    expect(otherModel.status).toBe(404);
    expect(await otherModel.json()).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
    const nowhere = await fetch(`${shared.server.url}/v2/anything`);
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toMatchObject({ error: { type: 'not_found_error' } });
    const wrongMethod = await fetch(`${shared.server.url}/v1/chat/completions`, { headers: authorized });
    expect(wrongMethod.status).toBe(405);
  });

  it('logs request text escaped: a path cannot forge a log line', async () => {
    await fetch(`${shared.server.url}/x%0A::error::forged%1B[31m`);
    const line = sharedLog.find((l) => l.includes('forged'));
    expect(line).toBeDefined();
    expect(line).not.toContain('\n');
    expect(line).not.toContain('\u001b');
    expect(line).toContain('GET "/x%0A::error::forged%1B[31m" 404');
  });

  it('stops the generation of a client that disconnects and frees its sequence', async () => {
    const controller = new AbortController();
    const response = await post(single.url, { ...question, stream: true }, {}, controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(async () => singleLog.some((l) => l.includes('(client gone)')));
    await waitFor(async () => ((await (await fetch(`${single.url}/health`)).json()) as { queue: { running: number } }).queue.running === 0);
    expect((await post(single.url, question)).status).toBe(200);
  });
});

describeWithSdk(sdkSuite, () => {
  let client: OpenAI;
  beforeAll(() => {
    client = new OpenAI({ apiKey: KEY, baseURL: `${shared.server.url}/v1`, maxRetries: 0, organization: null, project: null });
  });

  it('lists the served model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['demo']);
  });

  it('gets a completion and a streamed completion of the demo answer', async () => {
    const completion = await client.chat.completions.create({ ...question, messages: [{ role: 'user', content: 'Test slugify.' }], max_tokens: 1000, seed: 1 });
    expect(completion.choices[0]!.message.content).toBe(answer);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(10);
    const stream = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'Test slugify.' }],
      stream: true,
      stream_options: { include_usage: true }
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(answer);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
  });

  it('raises the SDK’s AuthenticationError without the key and RateLimitError (with retry-after) when the queue is full', async () => {
    const anonymous = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${shared.server.url}/v1`, maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(AuthenticationError);
    const singleClient = new OpenAI({ apiKey: 'unused', baseURL: `${single.url}/v1`, maxRetries: 0 });
    const busy = await singleClient.chat.completions.create({ ...question, stream: true });
    const refusal = await singleClient.chat.completions.create(question).then(
      () => undefined,
      (e: unknown) => e
    );
    for await (const chunk of busy) void chunk;
    expect(refusal).toBeInstanceOf(RateLimitError);
    expect((refusal as APIError).code).toBe('queue_full');
    expect(Number((refusal as APIError).headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers the router’s openai-compatible provider (shared-server-url) end to end', async () => {
    const provider = new OpenAiCompatibleProvider({
      baseURL: shared.server.url,
      model: 'demo',
      apiKey: KEY,
      timeoutMs: 30_000,
      maxRetries: 1,
      contextSize: 2048,
      concurrency: 2
    });
    const whole = await provider.chat({ system: 'You write jest tests.', user: 'Test slugify.', maxTokens: 1000 });
    expect(whole).toMatchObject({ text: answer, finishReason: 'stop', provider: 'openai-compatible' });
    const pieces: string[] = [];
    const streamed = await provider.chat({ user: 'Test slugify.', maxTokens: 1000, onText: (p) => pieces.push(p) });
    expect(streamed.text).toBe(answer);
    expect(pieces.length).toBeGreaterThan(10);
    expect(streamed.usage.completionTokens).toBe(whole.usage.completionTokens);
  });
});

describe('aqe serve shutdown', () => {
  it('stops accepting, lets the answer in flight finish, then unloads the model', async () => {
    const inFlight = await post(single.url, { ...question, stream: true });
    expect(inFlight.status).toBe(200);
    const closed = single.close();
    const events = await readEvents(inFlight);
    await closed;
    expect(events.at(-1)).toBe('[DONE]');
    expect(
      events
        .slice(0, -1)
        .map((e) => (JSON.parse(e) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
        .join('')
    ).toBe(answer);
    await expect(fetch(`${single.url}/health`)).rejects.toThrow();
    expect(singleLog.slice(-2)).toEqual([expect.stringMatching(/^POST "\/v1\/chat\/completions" 200/), 'Stopped; the model is unloaded.']);
  });
});

/**
 * The router over real providers: the real Anthropic SDK client (AnthropicProvider, made by createRemoteProvider)
 * against the fake Messages API on 127.0.0.1 as the cloud, answers from a replay file written by each test as the
 * local model, and real llama.cpp failing on a corrupt GGUF where the local model must fail to load. Every claim is
 * checked on what the fake server recorded: what reached the cloud, how often, and what it cost.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/core/Logger.js';
import type { ModelPrice, PathRule, RemoteProviderOptions, RoutingOptions } from '../../src/core/Routing.js';
import { AnthropicProvider } from '../../src/inference/cloud/AnthropicProvider.js';
import { InferenceError, ModelLoadError } from '../../src/inference/errors.js';
import type { LoadedProvider } from '../../src/inference/LoadedProvider.js';
import { LocalLlamaProvider } from '../../src/inference/LocalLlamaProvider.js';
import { importNodeLlamaCpp, locateNodeLlamaCpp, type NodeLlamaCppModule } from '../../src/inference/nodeLlamaCppRuntime.js';
import { ReplayMissError, ReplayProvider, type ReplayEntry } from '../../src/inference/ReplayProvider.js';
import type { ChatRequest, GenerationResult } from '../../src/inference/TextProvider.js';
import { createRemoteProvider } from '../../src/routing/createRemoteProvider.js';
import { BudgetExhaustedError, FallbackFailedError, RemoteProviderUnsupportedError } from '../../src/routing/errors.js';
import { HybridRouter, type RouteTask } from '../../src/routing/HybridRouter.js';
import { maxRequestCostUsd, requestCostUsd } from '../../src/routing/priceTable.js';
import { nearestRank } from '../../src/routing/ProviderTelemetry.js';
import { startFakeAnthropicApi, type AnthropicReply, type FakeAnthropicApi } from '../support/fakeAnthropicApi.js';
import { startFakeOpenAiServer } from '../support/fakeOpenAiServer.js';
import { routingOptions } from '../support/routingOptions.js';

const KEY = 'sk-ant-router-test-5e6f7a8b9c0d';
const MODEL = 'claude-router-test';
/**
 * A configured price whose cache-write rate equals the input rate, so a request that writes no cache and uses all of
 * max-tokens costs exactly its reservation (maxRequestCostUsd): the budget tests can then say how many fit.
 */
const PRICE: ModelPrice = { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3, cacheReadPerMTok: 0.3 };
const MAX_TOKENS = 400;
const SYSTEM = 'You write jest unit tests. Answer with one TypeScript file.';
const CLOUD_TEXT = 'export const fromCloud = true;';

const COMPLEX = [{ name: 'parseExpression', complexity: 15, lines: 60 }];
const SIMPLE = [{ name: 'lerp', complexity: 1, lines: 3 }];

let dir: string;
let api: FakeAnthropicApi;
/** What the fake cloud answers a message request with once its queue is empty. */
let cloudAnswer: () => AnthropicReply;
let logLines: string[];
let routers: HybridRouter[];

const logger: Logger = {
  info: (m) => logLines.push(m),
  warn: (m) => logLines.push(`warning: ${m}`),
  group: (_name, task) => task()
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aqe-router-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  cloudAnswer = () => ({ kind: 'message', text: CLOUD_TEXT, usage: { output_tokens: MAX_TOKENS } });
  api = await startFakeAnthropicApi({ apiKey: KEY, respond: () => cloudAnswer() });
  logLines = [];
  routers = [];
});

afterEach(async () => {
  await Promise.all(routers.map((r) => r.dispose()));
  await api.close();
  // The key reaches no log line, whatever failed.
  expect(logLines.filter((l) => l.includes(KEY))).toEqual([]);
});

function remote(overrides: Partial<RemoteProviderOptions> = {}): RemoteProviderOptions {
  return { kind: 'anthropic', model: MODEL, apiKey: KEY, baseURL: api.url, timeoutMs: 5_000, maxRetries: 2, ...overrides };
}

/** Options with the fake cloud configured and priced. */
function options(overrides: Partial<RoutingOptions> = {}, rules?: Parameters<typeof routingOptions>[1]): RoutingOptions {
  return routingOptions({ remote: remote(), prices: { [MODEL]: PRICE }, ...overrides }, rules);
}

let replayFiles = 0;
/** A replay file answering, in order, for each target listed. */
async function replayFile(lines: ReadonlyArray<{ target: string; text?: string; usage?: GenerationResult['usage'] }>): Promise<string> {
  const file = join(dir, `replay-${++replayFiles}.jsonl`);
  const entries: ReplayEntry[] = lines.map((l) => ({
    target: l.target,
    response: { text: l.text ?? `// local answer for ${l.target}`, ...(l.usage ? { usage: l.usage } : {}) }
  }));
  await writeFile(file, entries.map((e) => JSON.stringify(e)).join('\n'));
  return file;
}

interface Made {
  router: HybridRouter;
  /** How many times the router asked for the local model. */
  localLoads: () => number;
}

function makeRouter(routing: RoutingOptions, local: () => Promise<LoadedProvider>): Made {
  let loads = 0;
  const countedLocal = (): Promise<LoadedProvider> => {
    loads += 1;
    return local();
  };
  const remoteOptions = routing.remote;
  const router = new HybridRouter(
    routing,
    { local: countedLocal, ...(remoteOptions ? { remote: () => createRemoteProvider(remoteOptions, 8192, 4) } : {}) },
    logger
  );
  routers.push(router);
  return { router, localLoads: () => loads };
}

function replayLocal(file: string): () => Promise<LoadedProvider> {
  return async () => ({ provider: await ReplayProvider.open(file, 8192) });
}

function task(target: string, units = SIMPLE, estimatedPromptTokens = 50): RouteTask {
  return { target, units, estimatedPromptTokens, maxTokens: MAX_TOKENS };
}

function request(target: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { system: SYSTEM, user: `Write jest tests for ${target}.`, maxTokens: MAX_TOKENS, target, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error
  );
}

describe('HybridRouter: modes', () => {
  it('local-only: a complex task stays local, a failing local request surfaces, nothing is escalated; the cloud gets no request', async () => {
    const file = await replayFile([{ target: 'src/parser.ts' }]);
    const { router } = makeRouter(options({ mode: 'local-only' }), replayLocal(file));

    const routed = await router.route(task('src/parser.ts', COMPLEX));
    expect(routed.decision).toMatchObject({ tier: 'local', rule: 'mode', provider: 'replay', estimatedCostUsd: 0 });
    expect((await routed.provider.chat(request('src/parser.ts'))).text).toBe('// local answer for src/parser.ts');

    const failing = await router.route(task('src/lexer.ts', COMPLEX));
    expect(await rejection(failing.provider.chat(request('src/lexer.ts')))).toBeInstanceOf(ReplayMissError);
    expect(await router.escalate(task('src/lexer.ts', COMPLEX), 'the local candidate was rejected')).toBeUndefined();

    expect(api.requests).toHaveLength(0);
    expect(router.telemetry().map((t) => t.tier)).toEqual(['local']);
    expect(router.fallbacks()).toBe(0);
  });

  it('privacy strict: the same in hybrid-auto with a remote configured; the local failure surfaces and the cloud gets no request', async () => {
    const file = await replayFile([{ target: 'src/parser.ts' }]);
    const { router } = makeRouter(options({ privacy: 'strict', mode: 'hybrid-auto' }), replayLocal(file));

    const routed = await router.route(task('src/parser.ts', COMPLEX));
    expect(routed.decision).toMatchObject({ tier: 'local', rule: 'privacy' });
    await routed.provider.chat(request('src/parser.ts'));
    // The replay line was used up: the second request fails locally and is not handed to the cloud.
    expect(await rejection(routed.provider.chat(request('src/parser.ts')))).toBeInstanceOf(ReplayMissError);
    expect(await router.escalate(task('src/parser.ts', COMPLEX), 'rejected')).toBeUndefined();

    expect(api.requests).toHaveLength(0);
  });

  it('sensitive-paths: a matching complex target stays local and its local failure surfaces, while another goes to the cloud', async () => {
    const file = await replayFile([]);
    const { router } = makeRouter(options({ sensitivePaths: ['src/secrets/**'] }), replayLocal(file));

    const secret = await router.route(task('src/secrets/keys.ts', COMPLEX));
    expect(secret.decision).toMatchObject({ tier: 'local', rule: 'sensitive-paths' });
    expect(await rejection(secret.provider.chat(request('src/secrets/keys.ts')))).toBeInstanceOf(ReplayMissError);
    expect(await router.escalate(task('src/secrets/keys.ts', COMPLEX), 'rejected')).toBeUndefined();
    expect(api.requests).toHaveLength(0);

    const open = await router.route(task('src/parser.ts', COMPLEX));
    expect(open.decision).toMatchObject({ tier: 'cloud', rule: 'complexity', provider: 'anthropic', model: MODEL });
    expect((await open.provider.chat(request('src/parser.ts'))).text).toBe(CLOUD_TEXT);
    expect(api.messageRequests()).toHaveLength(1);
    expect(JSON.stringify(api.requests.map((r) => r.body))).not.toContain('secrets');
  });

  it('cloud-only: a simple task goes to the cloud and the local model is never loaded', async () => {
    const { router, localLoads } = makeRouter(options({ mode: 'cloud-only' }), replayLocal(await replayFile([])));

    const routed = await router.route(task('src/math.ts'));
    expect(routed.decision).toMatchObject({ tier: 'cloud', rule: 'mode', reason: 'router-mode is cloud-only' });
    const result = await routed.provider.chat(request('src/math.ts'));
    expect(result).toMatchObject({ text: CLOUD_TEXT, provider: 'anthropic', model: MODEL });
    expect(routed.provider.info()).toMatchObject({ provider: 'anthropic', contextSize: 8192 });

    expect(api.messageRequests().map((r) => (r.body as { model: string }).model)).toEqual([MODEL]);
    expect(localLoads()).toBe(0);
    expect(router.loadedLocal()).toBeUndefined();
  });

  it('hybrid-auto: the complex task goes to the cloud, the simple one stays local', async () => {
    const { router } = makeRouter(options({ mode: 'hybrid-auto' }), replayLocal(await replayFile([{ target: 'src/math.ts' }])));

    const hard = await router.route(task('src/parser.ts', COMPLEX));
    const easy = await router.route(task('src/math.ts'));
    expect([hard.decision, easy.decision]).toMatchObject([
      { tier: 'cloud', rule: 'complexity', reason: 'complexity 15 of "parseExpression" > 10' },
      { tier: 'local', rule: 'default', provider: 'replay' }
    ]);
    expect((await hard.provider.chat(request('src/parser.ts'))).provider).toBe('anthropic');
    expect((await easy.provider.chat(request('src/math.ts'))).provider).toBe('replay');
    expect(api.messageRequests()).toHaveLength(1);
    expect(router.loadedLocal()?.provider.info().provider).toBe('replay');
  });

  it('hybrid-prefer-local: the complex task stays local first, and may be escalated to the cloud', async () => {
    const { router } = makeRouter(options({ mode: 'hybrid-prefer-local' }), replayLocal(await replayFile([{ target: 'src/parser.ts' }])));

    const routed = await router.route(task('src/parser.ts', COMPLEX));
    expect(routed.decision).toMatchObject({ tier: 'local', rule: 'default' });
    await routed.provider.chat(request('src/parser.ts'));
    expect(api.requests).toHaveLength(0);

    const escalated = await router.escalate(task('src/parser.ts', COMPLEX), 'the local candidate was rejected (validation: 2 tests fail)');
    expect(escalated?.decision).toMatchObject({
      phase: 'escalation',
      tier: 'cloud',
      rule: 'escalation',
      reason: 'the local candidate was rejected (validation: 2 tests fail)'
    });
    expect((await escalated!.provider.chat(request('src/parser.ts'))).text).toBe(CLOUD_TEXT);
    expect(api.messageRequests()).toHaveLength(1);
  });
});

describe('HybridRouter: a remote provider that cannot start', () => {
  it('keeps the task local, says why, and does not try the remote again', async () => {
    const file = await replayFile([{ target: 'src/parser.ts' }, { target: 'src/lexer.ts' }]);
    let attempts = 0;
    const router = new HybridRouter(
      options(),
      {
        local: replayLocal(file),
        remote: () => {
          attempts += 1;
          return createRemoteProvider(remote({ apiKey: '' }), 8192, 1);
        }
      },
      logger
    );
    routers.push(router);

    const first = await router.route(task('src/parser.ts', COMPLEX));
    expect(first.decision).toMatchObject({ tier: 'local', rule: 'default' });
    expect(first.decision.reason).toContain('the remote provider could not start (CloudProviderError: Input "anthropic-api-key" is empty');
    const second = await router.route(task('src/lexer.ts', COMPLEX));
    expect(second.decision).toMatchObject({ tier: 'local', rule: 'default', reason: 'no rule sent it to the remote model' });
    expect(await router.escalate(task('src/lexer.ts', COMPLEX), 'rejected')).toBeUndefined();
    expect(attempts).toBe(1);
    expect(api.requests).toHaveLength(0);
    expect(logLines.some((l) => l.startsWith('warning: The remote provider is unavailable'))).toBe(true);
  });
});

describe('HybridRouter: fallback from the cloud to the local model', () => {
  it.each([
    { status: 500, type: 'api_error', kind: 'server' },
    { status: 529, type: 'overloaded_error', kind: 'overloaded' }
  ])('hands a request that got HTTP $status through every retry to the local model, and keeps the task there', async ({ status, type, kind }) => {
    const file = await replayFile([
      { target: 'src/parser.ts', text: 'local first' },
      { target: 'src/parser.ts', text: 'local repair' }
    ]);
    const { router } = makeRouter(options({ maxCloudUsd: 10 }), replayLocal(file));
    api.reply(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status, type, message: 'try later', headers: { 'retry-after-ms': '10' } })));

    const routed = await router.route(task('src/parser.ts', COMPLEX));
    expect(routed.tier).toBe('cloud');
    const answer = await routed.provider.chat(request('src/parser.ts'));
    expect(answer).toMatchObject({ text: 'local first', provider: 'replay' });
    // maxRetries 2: three attempts reached the server.
    expect(api.messageRequests()).toHaveLength(3);
    expect(router.decisions()).toMatchObject([
      { phase: 'initial', tier: 'cloud', rule: 'complexity' },
      {
        phase: 'fallback',
        tier: 'local',
        rule: 'fallback',
        provider: 'replay',
        reason: `the cloud request failed (${kind} HTTP ${status} after 2 retries)`,
        estimatedCostUsd: 0
      }
    ]);

    // The repair round goes straight to the local model.
    expect((await routed.provider.chat(request('src/parser.ts'))).text).toBe('local repair');
    expect(routed.provider.tier).toBe('local');
    expect(api.messageRequests()).toHaveLength(3);

    const cloud = router.telemetry().find((t) => t.tier === 'cloud')!;
    expect(cloud).toMatchObject({ requests: 1, errors: 1, retries: 2, fallbacks: 1, promptTokens: 0, costUsd: 0 });
    expect(router.telemetry().find((t) => t.tier === 'local')).toMatchObject({ requests: 2, errors: 0 });
    expect(router.fallbacks()).toBe(1);
    // The failed request cost nothing, and its reservation was given back.
    expect(router.budget.spentUsd).toBe(0);
    expect(router.budget.reservedUsd).toBe(0);
  });

  it('hands a request to the local model when the server hangs past the timeout on every attempt', async () => {
    const file = await replayFile([{ target: 'src/parser.ts', text: 'local after timeout' }]);
    const { router } = makeRouter(options({ remote: remote({ timeoutMs: 300, maxRetries: 1 }) }), replayLocal(file));
    api.reply({ kind: 'hang' }, { kind: 'hang' });

    const routed = await router.route(task('src/parser.ts', COMPLEX));
    const started = Date.now();
    expect((await routed.provider.chat(request('src/parser.ts'))).text).toBe('local after timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(api.messageRequests()).toHaveLength(2);
    expect(router.decisions()[1]).toMatchObject({ phase: 'fallback', tier: 'local', reason: 'the cloud request failed (timeout after 1 retry)' });
    expect(router.telemetry().find((t) => t.tier === 'cloud')).toMatchObject({ errors: 1, retries: 1, fallbacks: 1 });
  });

  it('does not hand over an aborted request: it ends with finishReason abort on its tier', async () => {
    const { router } = makeRouter(options(), replayLocal(await replayFile([{ target: 'src/parser.ts' }])));
    api.reply({ kind: 'hang' });
    const routed = await router.route(task('src/parser.ts', COMPLEX));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const result = await routed.provider.chat(request('src/parser.ts', { signal: controller.signal }));
    expect(result).toMatchObject({ finishReason: 'abort', provider: 'anthropic' });
    expect(router.decisions()).toHaveLength(1);
    expect(router.fallbacks()).toBe(0);
  });

  it('fails with both errors when the local model cannot answer the handed-over request either', async () => {
    const { router } = makeRouter(options({ remote: remote({ maxRetries: 0 }) }), replayLocal(await replayFile([])));
    api.reply({ kind: 'error', status: 500, type: 'api_error', message: 'boom' });
    const routed = await router.route(task('src/parser.ts', COMPLEX));
    const error = await rejection(routed.provider.chat(request('src/parser.ts')));
    expect(error).toBeInstanceOf(FallbackFailedError);
    expect(error.message).toContain('The cloud request for "src/parser.ts" failed (CloudProviderError');
    expect(error.message).toContain('the fallback to the local model failed too (ReplayMissError');
  });
});

describe('HybridRouter: fallback from the local model to the cloud', () => {
  let runtime: NodeLlamaCppModule;
  let corruptModel: string;

  beforeAll(async () => {
    const location = locateNodeLlamaCpp([process.cwd()]);
    expect(location).toBeDefined();
    runtime = await importNodeLlamaCpp(location!);
    // What a truncated or mislabelled download looks like: the GGUF magic, then noise.
    corruptModel = join(dir, 'corrupt.gguf');
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    Buffer.from('GGUF', 'latin1').copy(garbage, 0);
    await writeFile(corruptModel, garbage);
  });

  /** The local model as the pipeline loads it, on the corrupt file: real llama.cpp, real ModelLoadError. */
  const corruptLocal = async (): Promise<LoadedProvider> => {
    // node-llama-cpp warns about the nonsense header before it gives up; the test output stays clean.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      return { provider: await LocalLlamaProvider.load({ runtime, modelPath: corruptModel, gpu: 'cpu', threads: 1, maxParallel: 1, contextSize: 1024 }) };
    } finally {
      warn.mockRestore();
    }
  };

  it('routes to the cloud as local-unavailable when the local model fails to load, loading it only once', async () => {
    const { router, localLoads } = makeRouter(options(), corruptLocal);

    const first = await router.route(task('src/math.ts'));
    expect(first.decision).toMatchObject({ tier: 'cloud', rule: 'local-unavailable', provider: 'anthropic' });
    expect(first.decision.reason).toContain('the local model failed to load (ModelLoadError:');
    expect((await first.provider.chat(request('src/math.ts'))).text).toBe(CLOUD_TEXT);

    const second = await router.route(task('src/util.ts'));
    expect(second.decision).toMatchObject({ tier: 'cloud', rule: 'local-unavailable', reason: 'the local model is unavailable' });
    expect(localLoads()).toBe(1);
    expect(router.loadedLocal()).toBeUndefined();
    expect(api.messageRequests()).toHaveLength(1);
    expect(logLines.some((l) => l.startsWith('warning: The local model is unavailable: ModelLoadError'))).toBe(true);
  });

  it.each([
    { name: 'local-only', routing: { mode: 'local-only' as const } },
    { name: 'privacy strict', routing: { privacy: 'strict' as const } },
    { name: 'a sensitive path', routing: { sensitivePaths: ['src/**'] } }
  ])('under $name the load error surfaces and the cloud gets no request', async ({ routing }) => {
    const { router } = makeRouter(options(routing), corruptLocal);
    const error = await rejection(router.route(task('src/math.ts', COMPLEX)));
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.message).toContain(corruptModel);
    expect(api.requests).toHaveLength(0);
    expect(router.decisions()).toEqual([]);
  });

  it('fails a task with BudgetExhaustedError when the cap refuses the cloud and the local model failed to load', async () => {
    const tokens = await ((await createRemoteProvider(remote(), 8192, 1)) as AnthropicProvider).countRequestTokens(request('src/c1.ts'));
    const perRequest = maxRequestCostUsd(PRICE, tokens, MAX_TOKENS);
    const { router } = makeRouter(options({ maxCloudUsd: 1.5 * perRequest }), corruptLocal);

    // Both routed before either is sent: each sees the whole budget, and only one request fits it.
    const [first, second] = await Promise.all(['src/c1.ts', 'src/c2.ts'].map((t) => router.route(task(t, SIMPLE, tokens))));
    expect([first!.tier, second!.tier]).toEqual(['cloud', 'cloud']);
    const [ok, refused] = await Promise.allSettled([first!.provider.chat(request('src/c1.ts')), second!.provider.chat(request('src/c2.ts'))]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { text: CLOUD_TEXT } });
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect(error.message).toContain('"src/c2.ts"');
    expect(error.message).toContain('the local model is unavailable (ModelLoadError:');

    // Decided after the spend: refused at once.
    expect(await rejection(router.route(task('src/c3.ts', SIMPLE, tokens)))).toBeInstanceOf(BudgetExhaustedError);
    expect(api.messageRequests()).toHaveLength(1);
    expect(router.budget.spentUsd).toBeLessThanOrEqual(1.5 * perRequest);
  });

  it('hands a failed local request to the cloud, and the task stays there', async () => {
    const { router } = makeRouter(options(), replayLocal(await replayFile([])));
    const routed = await router.route(task('src/math.ts'));
    expect(routed.tier).toBe('local');

    expect((await routed.provider.chat(request('src/math.ts'))).text).toBe(CLOUD_TEXT);
    const fallback = router.decisions()[1]!;
    expect(fallback).toMatchObject({ phase: 'fallback', tier: 'cloud', rule: 'fallback', provider: 'anthropic' });
    expect(fallback.reason).toContain('the local request failed (ReplayMissError:');
    expect(fallback.estimatedCostUsd).toBeGreaterThan(0);
    expect(routed.provider.tier).toBe('cloud');
    expect(router.telemetry().find((t) => t.tier === 'local')).toMatchObject({ requests: 1, errors: 1, fallbacks: 1 });
    expect(api.messageRequests()).toHaveLength(1);
  });

  it('never hands a failed local request across a local path rule or a sensitive path', async () => {
    const keepHome: PathRule = { name: 'core-stays-home', paths: ['src/core/**'], route: 'local', priority: 85 };
    const { router } = makeRouter(options({ pathRules: [keepHome], sensitivePaths: ['src/secrets/**'] }), replayLocal(await replayFile([])));
    for (const target of ['src/core/engine.ts', 'src/secrets/vault.ts']) {
      const routed = await router.route(task(target, COMPLEX));
      expect(routed.tier).toBe('local');
      expect(await rejection(routed.provider.chat(request(target)))).toBeInstanceOf(ReplayMissError);
    }
    expect(router.decisions().map((d) => d.rule)).toEqual(['core-stays-home', 'sensitive-paths']);
    expect(api.requests).toHaveLength(0);
  });
});

describe('HybridRouter: escalation', () => {
  it('refuses when escalate is off, for a pinned task, a task that already went to the cloud, without a remote, or past the budget', async () => {
    const file = await replayFile([]);
    const keepHome: PathRule = { name: 'core-stays-home', paths: ['src/core/**'], route: 'local', priority: 85 };
    const cases: Array<{ routing: RoutingOptions; target: string; units?: typeof COMPLEX }> = [
      { routing: options({ escalate: false }), target: 'src/math.ts' },
      { routing: options({ pathRules: [keepHome] }), target: 'src/core/engine.ts' },
      { routing: options(), target: 'src/parser.ts', units: COMPLEX },
      { routing: routingOptions(), target: 'src/math.ts' },
      { routing: options({ maxCloudUsd: 0.000_001 }), target: 'src/math.ts' }
    ];
    for (const { routing, target, units } of cases) {
      const { router } = makeRouter(routing, replayLocal(file));
      await router.route(task(target, units));
      expect(await router.escalate(task(target, units), 'rejected')).toBeUndefined();
    }
    // Routing the complex task to the cloud sent nothing yet; no escalation sent anything.
    expect(api.requests).toHaveLength(0);
    const budgetRefused = routers.at(-1)!;
    expect(budgetRefused.budget).toMatchObject({ tasksKeptLocal: 1, exhausted: true, spentUsd: 0 });
  });

  it('refuses for a task never routed, and allows a local task on the cloud once, with its decision', async () => {
    const { router } = makeRouter(options(), replayLocal(await replayFile([{ target: 'src/math.ts' }])));
    expect(await router.escalate(task('src/math.ts'), 'rejected')).toBeUndefined();
    await router.route(task('src/math.ts'));
    const escalated = await router.escalate(task('src/math.ts'), 'the local candidate was rejected (coverage: no new lines)');
    expect(escalated).toMatchObject({ tier: 'cloud', decision: { phase: 'escalation', rule: 'escalation', provider: 'anthropic' } });
    expect(escalated!.decision.estimatedCostUsd).toBeCloseTo(maxRequestCostUsd(PRICE, 50, MAX_TOKENS), 12);
    await escalated!.provider.chat(request('src/math.ts'));
    expect(api.messageRequests()).toHaveLength(1);
  });
});

describe('HybridRouter: max-cloud-usd', () => {
  /** The exact input tokens of request(target) as the fake counts them (the same prompt length for every target below). */
  async function countedTokens(target: string): Promise<number> {
    const counter = (await createRemoteProvider(remote(), 8192, 1)) as AnthropicProvider;
    return counter.countRequestTokens(request(target));
  }

  it('sends exactly the N requests that fit and keeps the next task local, saying budget; spend never passes the cap', async () => {
    const n = 3;
    const targets = ['src/a1.ts', 'src/a2.ts', 'src/a3.ts', 'src/a4.ts'];
    const tokens = await countedTokens(targets[0]!);
    const perRequest = maxRequestCostUsd(PRICE, tokens, MAX_TOKENS);
    const cap = n * perRequest + perRequest / 2;
    const { router } = makeRouter(
      options({ mode: 'cloud-only', maxCloudUsd: cap }),
      replayLocal(await replayFile([{ target: 'src/a4.ts', text: 'local, by budget' }]))
    );

    const answers: string[] = [];
    for (const target of targets) {
      const routed = await router.route(task(target, SIMPLE, tokens));
      answers.push((await routed.provider.chat(request(target))).text);
    }

    expect(answers).toEqual([CLOUD_TEXT, CLOUD_TEXT, CLOUD_TEXT, 'local, by budget']);
    expect(router.decisions().map((d) => [d.target, d.tier, d.rule])).toEqual([
      ['src/a1.ts', 'cloud', 'mode'],
      ['src/a2.ts', 'cloud', 'mode'],
      ['src/a3.ts', 'cloud', 'mode'],
      ['src/a4.ts', 'local', 'budget']
    ]);
    expect(router.decisions()[3]!.reason).toContain('more than the $');
    expect(api.messageRequests()).toHaveLength(n);
    expect(router.budget.spentUsd).toBeLessThanOrEqual(cap);
    expect(router.budget.spentUsd).toBeCloseTo(n * perRequest, 12);
    expect(router.budget).toMatchObject({ exhausted: true, tasksKeptLocal: 1, reservedUsd: 0 });
    expect(router.telemetry().find((t) => t.tier === 'cloud')!.costUsd).toBeCloseTo(router.budget.spentUsd, 12);
  });

  it('lets tasks routed and sent at once take only what the cap holds: the rest go local at their request', async () => {
    const targets = ['src/b1.ts', 'src/b2.ts', 'src/b3.ts', 'src/b4.ts', 'src/b5.ts'];
    const tokens = await countedTokens(targets[0]!);
    const perRequest = maxRequestCostUsd(PRICE, tokens, MAX_TOKENS);
    const cap = 2 * perRequest + perRequest / 2;
    // Streamed slowly, so the requests that got through are still in flight while the others ask.
    cloudAnswer = () => ({ kind: 'message', text: ['from ', 'the ', 'cloud'], chunkDelayMs: 100, usage: { output_tokens: MAX_TOKENS } });
    const file = await replayFile(targets.map((target) => ({ target, text: 'local, by budget' })));
    const { router } = makeRouter(options({ mode: 'cloud-only', maxCloudUsd: cap }), replayLocal(file));

    const routed = await Promise.all(targets.map((target) => router.route(task(target, SIMPLE, tokens))));
    expect(routed.map((r) => r.tier)).toEqual(['cloud', 'cloud', 'cloud', 'cloud', 'cloud']);
    const answers = await Promise.all(routed.map((r, i) => r.provider.chat(request(targets[i]!, { onText: () => undefined }))));

    expect(answers.filter((a) => a.provider === 'anthropic')).toHaveLength(2);
    expect(answers.filter((a) => a.text === 'local, by budget')).toHaveLength(3);
    expect(api.messageRequests()).toHaveLength(2);
    const fallbacks = router.decisions().filter((d) => d.phase === 'fallback');
    expect(fallbacks.map((d) => [d.tier, d.rule])).toEqual([
      ['local', 'budget'],
      ['local', 'budget'],
      ['local', 'budget']
    ]);
    expect(router.budget.spentUsd).toBeLessThanOrEqual(cap);
    expect(router.budget).toMatchObject({ exhausted: true, tasksKeptLocal: 3, reservedUsd: 0 });
    // A budget refusal is not a provider failure.
    expect(router.fallbacks()).toBe(0);
  });
});

describe('HybridRouter: telemetry', () => {
  it('counts requests, tokens with the cache, retries as the server saw them, latency percentiles and cost, per provider', async () => {
    const file = await replayFile([
      { target: 'src/math.ts', usage: { promptTokens: 120, completionTokens: 30 } },
      { target: 'src/math.ts', usage: { promptTokens: 80, completionTokens: 10 } }
    ]);
    const { router } = makeRouter(options(), replayLocal(file));
    api.reply(
      { kind: 'message', text: 'one', usage: { input_tokens: 40, output_tokens: 9, cache_read_input_tokens: 1800, cache_creation_input_tokens: 250 } },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after-ms': '10' } },
      { kind: 'message', text: ['t', 'w', 'o'], chunkDelayMs: 150, usage: { input_tokens: 30, output_tokens: 3 } },
      { kind: 'message', text: ['t', 'h', 'r', 'e', 'e'], chunkDelayMs: 200, usage: { input_tokens: 20, output_tokens: 5, cache_read_input_tokens: 100 } }
    );

    const cloudTask = await router.route(task('src/parser.ts', COMPLEX));
    const results: GenerationResult[] = [];
    for (let i = 0; i < 3; i++) results.push(await cloudTask.provider.chat(request('src/parser.ts', { onText: () => undefined })));
    const localTask = await router.route(task('src/math.ts'));
    await localTask.provider.chat(request('src/math.ts'));
    await localTask.provider.chat(request('src/math.ts'));

    expect(results.map((r) => r.retries)).toEqual([0, 1, 0]);
    const [local, cloud] = router.telemetry();
    expect(cloud).toMatchObject({
      provider: 'anthropic',
      model: MODEL,
      tier: 'cloud',
      requests: 3,
      errors: 0,
      // Four attempts reached the server for three requests.
      retries: api.messageRequests().length - 3,
      fallbacks: 0,
      promptTokens: 40 + 1800 + 250 + 30 + 20 + 100,
      completionTokens: 9 + 3 + 5,
      cacheReadTokens: 1900,
      cacheWriteTokens: 250
    });
    expect(cloud!.retries).toBe(1);
    expect(cloud!.costUsd).toBeCloseTo(
      results.reduce((n, r) => n + requestCostUsd(PRICE, r.usage), 0),
      12
    );
    // Latencies grow with the streamed pieces: ~0, ~450 and ~1000 ms; nearest rank puts p50 on the second, p95 on the third.
    expect(cloud!.latencyMs.p50).toBeGreaterThanOrEqual(400);
    expect(cloud!.latencyMs.p50).toBeLessThan(900);
    expect(cloud!.latencyMs.p95).toBeGreaterThanOrEqual(900);
    expect(cloud!.latencyMs.total).toBeGreaterThanOrEqual(cloud!.latencyMs.p50 + cloud!.latencyMs.p95);
    expect(cloud!.generationMs).toBeGreaterThanOrEqual(1300);

    expect(local).toMatchObject({
      provider: 'replay',
      tier: 'local',
      requests: 2,
      errors: 0,
      retries: 0,
      promptTokens: 200,
      completionTokens: 40,
      cacheReadTokens: 0
    });
    expect(local!.costUsd).toBeCloseTo((local!.generationMs * 0.36) / 3_600_000, 12);

    // Measured cloud throughput now replaces the nominal rates in the next cloud decision's estimate.
    const nominal = (await router.route(task('src/parser2.ts', COMPLEX, 50))).decision.estimatedLatencyMs;
    expect(nominal).not.toBe(Math.round((50 / 5000 + MAX_TOKENS / 60) * 1000));
  });

  it('computes nearest-rank percentiles', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(nearestRank(twenty, 0.5)).toBe(10);
    expect(nearestRank(twenty, 0.95)).toBe(19);
    expect(nearestRank([10, 20, 30], 0.5)).toBe(20);
    expect(nearestRank([10, 20, 30], 0.95)).toBe(30);
    expect(nearestRank([7], 0.95)).toBe(7);
    expect(nearestRank([], 0.5)).toBe(0);
  });

  it('estimates a decision latency from nominal rates before a tier has answered', async () => {
    const { router } = makeRouter(options(), replayLocal(await replayFile([])));
    const cloud = await router.route(task('src/parser.ts', COMPLEX, 500));
    expect(cloud.decision.estimatedLatencyMs).toBe(Math.round((500 / 5000 + MAX_TOKENS / 60) * 1000));
    const local = await router.route(task('src/math.ts', SIMPLE, 500));
    expect(local.decision.estimatedLatencyMs).toBe(Math.round((500 / 60 + MAX_TOKENS / 10) * 1000));
  });
});

describe('createRemoteProvider', () => {
  it('makes the Anthropic provider from the options, with the run context size', async () => {
    const provider = await createRemoteProvider(remote(), 16_384, 3);
    expect(provider).toBeInstanceOf(AnthropicProvider);
    expect(provider.info()).toMatchObject({ provider: 'anthropic', model: MODEL, contextSize: 16_384, parallelSequences: 3 });
  });

  it('refuses openai-compatible on Node older than 22 with an error naming the fix', async () => {
    const error = await rejection(createRemoteProvider({ ...remote(), kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1' }, 8192, 1, '20.20.2'));
    expect(error).toBeInstanceOf(RemoteProviderUnsupportedError);
    expect(error).toBeInstanceOf(InferenceError);
    expect(error.message).toContain('needs Node.js 22 or newer; this is Node.js 20.20.2');
  });
});

// The openai SDK declares engines node >= 22 (CI runs this suite on Node 24); on older Node it is not supported.
const supportedNode = Number(process.versions.node.split('.')[0]) >= 22;
const describeOnSupportedNode = supportedNode ? describe : describe.skip;

describeOnSupportedNode(
  `createRemoteProvider: openai-compatible${supportedNode ? '' : ` (skipped: the openai SDK needs Node >= 22, this is ${process.versions.node}; run with .ci/.node24)`}`,
  () => {
    it('routes to a shared OpenAI-compatible server at $0, retries counted', async () => {
      const server = await startFakeOpenAiServer();
      try {
        server.script('/v1/chat/completions', { kind: 'status', status: 503, headers: { 'retry-after-ms': '10' }, body: { error: { message: 'busy' } } });
        const shared: RemoteProviderOptions = {
          kind: 'openai-compatible',
          model: 'qwen2.5-coder',
          apiKey: '',
          baseURL: server.url,
          timeoutMs: 5_000,
          maxRetries: 2
        };
        const { router } = makeRouter(routingOptions({ mode: 'cloud-only', remote: shared, maxCloudUsd: 0 }), replayLocal(await replayFile([])));
        const routed = await router.route(task('src/math.ts'));
        expect(routed.decision).toMatchObject({ tier: 'cloud', provider: 'openai-compatible', estimatedCostUsd: 0 });
        const result = await routed.provider.chat(request('src/math.ts'));
        expect(result.text).toBe('echo: Write jest tests for src/math.ts.');
        expect(result.retries).toBe(1);
        expect(server.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);
        expect(router.telemetry()[0]).toMatchObject({ tier: 'cloud', retries: 1, costUsd: 0 });
        expect(router.budget.spentUsd).toBe(0);
      } finally {
        await server.close();
      }
    });
  }
);

import OpenAI, { APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { CompletionCreateParamsBase } from 'openai/resources/completions';
import { isError } from '../../core/isError.js';
import { ContextOverflowError, GenerationAbortedError, InvalidJsonOutputError } from '../errors.js';
import { streamGeneration } from '../streamGeneration.js';
import {
  isCompletionRequest,
  type ChatRequest,
  type CompletionRequest,
  type EmbeddingResult,
  type EmbedOptions,
  type GenerationResult,
  type ProviderInfo,
  type TextProvider,
  type TextRequest,
  type TextStream
} from '../TextProvider.js';
import { CLOUD_INPUTS } from './cloudInputs.js';
import { CloudProviderError } from './CloudProviderError.js';
import { countingFetch, retriesOf, withAttemptTally, type AttemptTally } from './countAttempts.js';
import { sharedServerError, type SharedServerContext } from './sharedServerErrors.js';
import { parseSharedServerUrl, type SharedServerUrl } from './sharedServerUrl.js';
import { UnsupportedRequestError } from './UnsupportedRequestError.js';

export interface OpenAiCompatibleProviderOptions {
  /** shared-server-url: the server's address or its `/v1` API root (llama-server, vLLM, Ollama). */
  baseURL: string;
  /** shared-server-model: the model name the server serves (its /v1/models). */
  model: string;
  /** shared-server-api-key; absent for servers without authentication. */
  apiKey?: string;
  /** Per attempt: the SDK's request timeout, and the longest silence allowed between two chunks of a stream. */
  timeoutMs: number;
  /** Retries after the first attempt, by the SDK (429, 5xx, connection errors; honouring retry-after). */
  maxRetries: number;
  /** The model's context as configured on the server, in tokens: requests are fitted to it before sending. */
  contextSize: number;
  /** How many requests the caller may have in flight at once (reported as parallelSequences). */
  concurrency: number;
}

/**
 * The SDK refuses to start without some key. With no shared-server-api-key this placeholder satisfies it, and the
 * Authorization header is removed from every request, so it never leaves the process. It is not a credential.
 */
const NO_KEY_PLACEHOLDER = 'no-key-configured';

/**
 * Tokens one chat message costs beyond its text (role markers and separators of the common chat templates), so that
 * the estimate stays on the high side.
 */
const CHAT_MESSAGE_OVERHEAD_TOKENS = 8;

type ChatParams = Omit<ChatCompletionCreateParamsBase, 'stream' | 'stream_options'>;
type CompletionParams = Omit<CompletionCreateParamsBase, 'stream' | 'stream_options'>;

/** What one generation produced, however it was received. */
interface Answer {
  text: string;
  finishReason: GenerationResult['finishReason'];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
  firstTextAt: number;
}

/**
 * A model on a server that speaks the OpenAI HTTP API (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`):
 * llama.cpp's llama-server, vLLM, Ollama. Requests go through the official openai SDK, whose retries and timeouts
 * apply. Requests with `onText` (and every stream()) are streamed, with the usage chunk asked for.
 */
export class OpenAiCompatibleProvider implements TextProvider {
  private readonly client: OpenAI;
  private readonly url: SharedServerUrl;
  private readonly apiKey: string | undefined;

  constructor(private readonly options: OpenAiCompatibleProviderOptions) {
    this.url = parseSharedServerUrl(options.baseURL);
    const apiKey = options.apiKey === undefined || options.apiKey === '' ? undefined : options.apiKey;
    this.client = new OpenAI({
      apiKey: apiKey ?? NO_KEY_PLACEHOLDER,
      // Explicit nulls: the SDK would otherwise read OPENAI_ORG_ID and friends from the environment and send them.
      organization: null,
      project: null,
      webhookSecret: null,
      baseURL: this.url.baseURL,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      // A null default header removes the SDK's own, so no placeholder bearer token is sent to a server without auth.
      defaultHeaders: apiKey === undefined ? { Authorization: null } : undefined,
      // Counting each attempt lets a result (or the error) say how many retries the SDK made for it.
      fetch: countingFetch(fetchWithInRealmErrors),
      // The SDK logs failed SSE chunks and retries to the console; our errors say the same, in the run's log, once.
      logLevel: 'off'
    });
    this.apiKey = apiKey;
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.generate(request);
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.generate(request);
  }

  stream(request: TextRequest): TextStream {
    return streamGeneration(request, (r) => this.generate(r));
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbeddingResult> {
    const queuedAt = Date.now();
    if (options.signal?.aborted) throw new GenerationAbortedError('embed() was cancelled before the request was sent.');
    if (texts.length === 0) {
      return {
        vectors: [],
        dimensions: 0,
        provider: 'openai-compatible',
        model: this.options.model,
        usage: { promptTokens: 0 },
        timings: { queuedMs: 0, embeddingMs: 0, tokensPerSecond: 0 }
      };
    }
    const context = this.context('/embeddings');
    let response: OpenAI.CreateEmbeddingResponse;
    try {
      // Floats asked for explicitly: the SDK's default (base64) is not implemented by every compatible server.
      response = await this.client.embeddings.create({ model: this.options.model, input: [...texts], encoding_format: 'float' }, { signal: options.signal });
    } catch (error) {
      if (error instanceof APIUserAbortError || options.signal?.aborted) {
        throw new GenerationAbortedError(`embed() was cancelled while waiting for ${this.url.endpoint}.`);
      }
      throw sharedServerError(error, context);
    }
    const vectors = embeddingVectors(response, texts.length, context);
    const embeddingMs = Date.now() - queuedAt;
    const promptTokens = typeof response?.usage?.prompt_tokens === 'number' ? response.usage.prompt_tokens : texts.reduce((n, t) => n + this.countTokens(t), 0);
    return {
      vectors,
      dimensions: vectors[0]!.length,
      provider: 'openai-compatible',
      model: this.options.model,
      usage: { promptTokens },
      timings: { queuedMs: 0, embeddingMs, tokensPerSecond: embeddingMs > 0 ? (promptTokens * 1000) / embeddingMs : 0 }
    };
  }

  /**
   * An estimate: the server's tokenizer is not available here. One token per 3 UTF-8 bytes overestimates the BPE
   * tokenizers of current models (about 4 bytes a token on English and code), so prompts fitted with it fit.
   */
  countTokens(text: string): number {
    return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
  }

  /** The estimate of countTokens for the texts, plus each chat message's template overhead. */
  countPromptTokens(request: TextRequest): number {
    if (isCompletionRequest(request)) return this.countTokens(request.prompt);
    const system = request.system ? this.countTokens(request.system) + CHAT_MESSAGE_OVERHEAD_TOKENS : 0;
    // The user message, plus the header of the assistant turn the template opens.
    return system + this.countTokens(request.user) + 2 * CHAT_MESSAGE_OVERHEAD_TOKENS;
  }

  info(): ProviderInfo {
    return {
      provider: 'openai-compatible',
      model: this.options.model,
      backend: 'shared-server',
      hardware: `OpenAI-compatible server at ${this.url.endpoint}`,
      threads: 0,
      parallelSequences: this.options.concurrency,
      contextSize: this.options.contextSize,
      modelLoadMs: 0,
      gpuLayers: 0
    };
  }

  /** The SDK holds no connections of its own beyond fetch's keep-alive pool, which closes when idle. */
  async dispose(): Promise<void> {}

  private async generate(request: TextRequest): Promise<GenerationResult> {
    const tally: AttemptTally = { attempts: 0 };
    try {
      const result = await withAttemptTally(tally, () => this.generateOnce(request));
      return { ...result, retries: retriesOf(tally) };
    } catch (error) {
      if (error instanceof CloudProviderError) error.retries = retriesOf(tally);
      throw error;
    }
  }

  private async generateOnce(request: TextRequest): Promise<GenerationResult> {
    const startedAt = Date.now();
    if (request.signal?.aborted) throw new GenerationAbortedError('The request was cancelled before it was sent to the shared server.');
    const promptTokens = this.countPromptTokens(request);
    if (promptTokens + request.maxTokens > this.options.contextSize) {
      throw new ContextOverflowError(promptTokens, request.maxTokens, this.options.contextSize);
    }
    const completion = isCompletionRequest(request);
    if (completion && request.jsonSchema) {
      throw new UnsupportedRequestError(
        'The OpenAI completions API has no JSON-schema output: ask for JSON through chat() (response_format json_schema), not through complete() or a raw-completion stream.'
      );
    }
    const context = this.context(completion ? '/completions' : '/chat/completions');
    let answer: Answer;
    try {
      answer = request.onText ? await this.streamed(request, context, startedAt) : await this.whole(request, context);
    } catch (error) {
      if (error instanceof APIUserAbortError && request.signal?.aborted) {
        answer = { text: '', finishReason: 'abort', firstTextAt: 0 };
      } else {
        throw sharedServerError(error, context);
      }
    }
    const finishedAt = Date.now();
    const generationMs = finishedAt - startedAt;
    const usage = answer.usage ?? undefined;
    const result: GenerationResult = {
      text: answer.text,
      provider: 'openai-compatible',
      model: this.options.model,
      finishReason: answer.finishReason,
      // Without a usage report (an aborted stream, a server that ignores include_usage) the estimates stand in.
      usage: {
        promptTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : promptTokens,
        completionTokens: typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : this.countTokens(answer.text)
      },
      timings: {
        queuedMs: 0,
        firstTokenMs: answer.firstTextAt === 0 ? generationMs : answer.firstTextAt - startedAt,
        generationMs,
        tokensPerSecond: 0
      }
    };
    const cached = usage?.prompt_tokens_details?.cached_tokens;
    if (typeof cached === 'number') result.usage.cacheReadTokens = cached;
    const decodeMs = answer.firstTextAt === 0 ? generationMs : finishedAt - answer.firstTextAt;
    if (decodeMs > 0) result.timings.tokensPerSecond = (result.usage.completionTokens * 1000) / decodeMs;
    if (!completion && request.jsonSchema && result.finishReason !== 'abort') result.json = parseJson(result);
    return result;
  }

  /** One JSON answer: no streaming, so the SDK can retry the whole request. */
  private async whole(request: TextRequest, context: SharedServerContext): Promise<Answer> {
    const signal = request.signal;
    if (isCompletionRequest(request)) {
      const body: unknown = await this.client.completions.create({ ...this.completionParams(request), stream: false }, { signal });
      const choice = firstChoice(body, context);
      return { text: textField(choice, 'text', context), finishReason: finishReason(choice.finish_reason), usage: usageOf(body), firstTextAt: 0 };
    }
    const body: unknown = await this.client.chat.completions.create({ ...this.chatParams(request), stream: false }, { signal });
    const choice = firstChoice(body, context);
    const message = choice.message as Record<string, unknown> | undefined;
    if (typeof message !== 'object' || message === null) throw malformed(context, 'its first choice has no "message"');
    return { text: textField(message, 'content', context), finishReason: finishReason(choice.finish_reason), usage: usageOf(body), firstTextAt: 0 };
  }

  /**
   * Server-sent events, text passed to onText as it arrives. The SDK's timeout ends when the headers arrive, so a
   * stream that goes quiet for timeoutMs is cut here and reported as a timeout.
   */
  private async streamed(request: TextRequest, context: SharedServerContext, startedAt: number): Promise<Answer> {
    const controller = new AbortController();
    const outer = request.signal;
    const forward = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', forward, { once: true });
    let timedOut = false;
    let idle: NodeJS.Timeout | undefined;
    const restartIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.options.timeoutMs);
    };
    const answer: Answer = { text: '', finishReason: 'stop', firstTextAt: 0 };
    let finished = false;
    try {
      const options = { signal: controller.signal };
      const streamOptions = { include_usage: true };
      const chunks: AsyncIterable<unknown> = isCompletionRequest(request)
        ? await this.client.completions.create({ ...this.completionParams(request), stream: true, stream_options: streamOptions }, options)
        : await this.client.chat.completions.create({ ...this.chatParams(request), stream: true, stream_options: streamOptions }, options);
      restartIdle();
      for await (const chunk of chunks) {
        restartIdle();
        if (typeof chunk !== 'object' || chunk === null) throw malformed(context, 'a stream chunk is not a JSON object');
        const usage = usageOf(chunk);
        if (usage) answer.usage = usage;
        const choices = (chunk as { choices?: unknown }).choices;
        if (!Array.isArray(choices)) throw malformed(context, 'a stream chunk has no "choices" array');
        const choice = choices[0] as Record<string, unknown> | undefined;
        if (!choice) continue;
        const piece = isCompletionRequest(request) ? choice.text : (choice.delta as { content?: unknown } | undefined)?.content;
        if (piece !== undefined && piece !== null && typeof piece !== 'string') throw malformed(context, 'a stream chunk carries text that is not a string');
        if (piece) {
          if (answer.firstTextAt === 0) answer.firstTextAt = Date.now();
          answer.text += piece;
          request.onText?.(piece);
        }
        if (typeof choice.finish_reason === 'string') {
          answer.finishReason = finishReason(choice.finish_reason);
          finished = true;
        }
      }
    } catch (error) {
      if (!(error instanceof APIUserAbortError) || (!timedOut && !outer?.aborted)) throw error;
    } finally {
      clearTimeout(idle);
      outer?.removeEventListener('abort', forward);
    }
    // The SDK ends the iteration quietly when the request is aborted, so the cause is read from the flags.
    if (outer?.aborted) return { ...answer, finishReason: 'abort' };
    if (timedOut) {
      const elapsed = Date.now() - startedAt;
      throw new CloudProviderError(
        `The shared server at ${context.endpoint} (shared-server-url) sent nothing for ${this.options.timeoutMs} ms while streaming ${context.operation} (${answer.text.length} characters after ${elapsed} ms). Check that the server is not stalled or overloaded, or allow it more time.`,
        { kind: 'timeout', retryable: true, input: CLOUD_INPUTS.sharedServerUrl }
      );
    }
    if (!finished) throw malformed(context, 'the stream ended before a chunk with a finish_reason');
    return answer;
  }

  private chatParams(request: ChatRequest): ChatParams {
    const params: ChatParams = {
      model: this.options.model,
      messages: [...(request.system ? [{ role: 'system' as const, content: request.system }] : []), { role: 'user' as const, content: request.user }],
      max_tokens: request.maxTokens,
      temperature: request.temperature ?? 0
    };
    if (request.seed !== undefined) params.seed = request.seed;
    if (request.stopSequences && request.stopSequences.length > 0) params.stop = [...request.stopSequences];
    if (request.jsonSchema) {
      params.response_format = { type: 'json_schema', json_schema: { name: 'answer', schema: { ...request.jsonSchema }, strict: true } };
    }
    return params;
  }

  private completionParams(request: CompletionRequest): CompletionParams {
    const params: CompletionParams = {
      model: this.options.model,
      prompt: request.prompt,
      max_tokens: request.maxTokens,
      temperature: request.temperature ?? 0
    };
    if (request.seed !== undefined) params.seed = request.seed;
    if (request.stopSequences && request.stopSequences.length > 0) params.stop = [...request.stopSequences];
    return params;
  }

  private context(operation: string): SharedServerContext {
    return {
      endpoint: this.url.endpoint,
      model: this.options.model,
      operation: `/v1${operation}`,
      apiKey: this.apiKey,
      timeoutMs: this.options.timeoutMs,
      maxRetries: this.options.maxRetries
    };
  }
}

/**
 * fetch, with its rejections made Errors of this realm. The SDK tells a timeout (an AbortError) from a refused
 * connection with `instanceof Error`; inside a vm context such as jest's, Node's DOMException is of another realm,
 * fails that test, and a timeout would be reported as an unreachable server.
 */
async function fetchWithInRealmErrors(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (error instanceof Error || !isError(error)) throw error;
    const copy = new Error(error.message, { cause: (error as { cause?: unknown }).cause });
    copy.name = error.name;
    if (error.stack) copy.stack = error.stack;
    throw copy;
  }
}

function firstChoice(body: unknown, context: SharedServerContext): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) throw malformed(context, 'the body is not a JSON object');
  const choices = (body as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || typeof choices[0] !== 'object' || choices[0] === null) throw malformed(context, 'the body has no "choices"');
  return choices[0] as Record<string, unknown>;
}

/** A text field that may be null (an empty answer) but must be a string when present. */
function textField(holder: Record<string, unknown>, field: string, context: SharedServerContext): string {
  const value = holder[field];
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') throw malformed(context, `"${field}" is not a string`);
  return value;
}

function usageOf(body: unknown): Answer['usage'] {
  const usage = (body as { usage?: unknown } | null)?.usage;
  return typeof usage === 'object' && usage !== null ? (usage as Answer['usage']) : undefined;
}

/** `length` is the only reason that means the answer was cut; content filters and tool calls end it like a stop. */
function finishReason(reason: unknown): GenerationResult['finishReason'] {
  return reason === 'length' ? 'length' : 'stop';
}

function embeddingVectors(response: unknown, expected: number, context: SharedServerContext): number[][] {
  const data = (response as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== expected) {
    throw malformed(context, `the body should hold ${expected} embedding${expected === 1 ? '' : 's'} in "data"`);
  }
  const vectors: number[][] = new Array<number[]>(expected);
  for (const [position, item] of data.entries()) {
    const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
    const at = typeof index === 'number' ? index : position;
    if (!Array.isArray(embedding) || !embedding.every((v) => typeof v === 'number') || at < 0 || at >= expected || vectors[at]) {
      throw malformed(context, `embedding ${position} is not a list of numbers with a distinct index`);
    }
    vectors[at] = embedding as number[];
  }
  const dimensions = vectors[0]!.length;
  if (dimensions === 0 || vectors.some((v) => v.length !== dimensions)) throw malformed(context, 'the embeddings are empty or differ in length');
  return vectors;
}

function parseJson(result: GenerationResult): unknown {
  try {
    return JSON.parse(result.text) as unknown;
  } catch (error) {
    const why =
      result.finishReason === 'length'
        ? `it was cut at max-tokens (${result.usage.completionTokens} tokens); raise max-tokens`
        : 'check that the server supports response_format json_schema (llama-server and vLLM do) and the schema';
    throw new InvalidJsonOutputError(`The model's answer is not complete JSON (${(error as Error).message}): ${why}.`, result.text);
  }
}

function malformed(context: SharedServerContext, problem: string): CloudProviderError {
  return new CloudProviderError(
    `The shared server at ${context.endpoint} (shared-server-url) answered ${context.operation} with a body the OpenAI API does not allow: ${problem}. Check that shared-server-url points at an OpenAI-compatible API (llama-server, vLLM, Ollama).`,
    { kind: 'malformed', retryable: false, input: CLOUD_INPUTS.sharedServerUrl }
  );
}

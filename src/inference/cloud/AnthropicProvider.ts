import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import { InferenceError, InvalidJsonOutputError } from '../errors.js';
import { streamGeneration } from '../streamGeneration.js';
import {
  isCompletionRequest,
  type ChatRequest,
  type CompletionRequest,
  type EmbeddingResult,
  type GenerationResult,
  type ProviderInfo,
  type TextProvider,
  type TextRequest,
  type TextStream
} from '../TextProvider.js';
import { malformedResponseError, missingApiKeyError, toCloudProviderError, type AnthropicErrorContext } from './anthropicErrors.js';
import { mapUsage, messageParams, readMessage, type AnthropicChatRequest, type MessageOutcome } from './anthropicMessages.js';
import { CLOUD_INPUTS } from './cloudInputs.js';
import { CloudProviderError } from './CloudProviderError.js';
import { countingFetch, retriesOf, withAttemptTally, type AttemptTally } from './countAttempts.js';
import { UnsupportedRequestError } from './UnsupportedRequestError.js';

export interface AnthropicProviderOptions {
  /** The anthropic-api-key input; empty or absent fails at construction, before any request. */
  apiKey: string | undefined;
  /** The cloud-model input. */
  model: string;
  /** Defaults to the public API; tests point it at a server on 127.0.0.1. */
  baseURL?: string;
  /** Per attempt, until the response headers arrive (the SDK's timeout; a timed-out attempt is retried). */
  timeoutMs: number;
  /** Retries of the SDK (429, 529, 5xx, timeouts, connection errors), honouring retry-after. */
  maxRetries: number;
  /** The model's context window, for fitting prompts. */
  contextSize: number;
  /** How many requests the caller runs at once (reported as parallelSequences; the API itself has no slots). */
  concurrency: number;
}

/** The Anthropic Messages API as a TextProvider: chat only, streaming, prompt caching of the fixed prefix. */
export class AnthropicProvider implements TextProvider {
  private readonly client: Anthropic;
  private readonly context: AnthropicErrorContext;
  /** In-flight requests, so dispose() ends them rather than leaving sockets behind. */
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly options: AnthropicProviderOptions) {
    const apiKey = options.apiKey?.trim() ?? '';
    if (apiKey === '') throw missingApiKeyError();
    if (options.model.trim() === '') {
      throw new CloudProviderError(`Input "${CLOUD_INPUTS.cloudModel}" is empty: name the Anthropic model to use (e.g. claude-sonnet-4-5).`, {
        kind: 'bad-request',
        retryable: false,
        input: CLOUD_INPUTS.cloudModel
      });
    }
    const baseURL = options.baseURL ?? 'https://api.anthropic.com';
    let host: string;
    try {
      host = new URL(baseURL).host;
    } catch {
      throw new InferenceError(`The Anthropic base URL ${JSON.stringify(baseURL)} is not a URL: give an absolute http(s) URL.`);
    }
    this.context = { model: options.model, host, apiKey };
    // Passing the key explicitly also keeps the SDK from reading ANTHROPIC_* variables or profiles on disk; its log
    // lines could carry prompt text, so it stays silent and faults surface as typed errors instead.
    this.client = new Anthropic({
      apiKey,
      baseURL,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      logLevel: 'off',
      // Every attempt passes through here, so the retries the SDK made for a request can be reported with it.
      fetch: countingFetch((input: string | URL | Request, init?: RequestInit) => fetch(input, init))
    });
  }

  chat(request: ChatRequest | AnthropicChatRequest): Promise<GenerationResult> {
    return this.run(request, (r, signal) => (r.onText ? this.streamed(r, signal) : this.whole(r, signal)));
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return Promise.reject(rawCompletionUnsupported(request));
  }

  stream(request: TextRequest): TextStream {
    return streamGeneration(request, (r) => (isCompletionRequest(r) ? this.complete(r) : this.chat(r)));
  }

  async embed(texts: readonly string[]): Promise<EmbeddingResult> {
    throw new UnsupportedRequestError(
      `The Anthropic API has no embeddings endpoint, so ${texts.length} text${texts.length === 1 ? '' : 's'} cannot be embedded with ${this.options.model}. Embed with the local model instead.`
    );
  }

  /**
   * A conservative estimate (no Claude tokenizer is available offline): one token per 3 bytes of UTF-8, more than
   * the ~3.5-4 characters a token usually holds, so a prompt fitted with it does not overflow. Exact counts, for
   * pricing, come from countRequestTokens().
   */
  countTokens(text: string): number {
    return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
  }

  /** The estimate for system and user text plus the few tokens the API wraps each message in. */
  countPromptTokens(request: TextRequest): number {
    if (isCompletionRequest(request)) return this.countTokens(request.prompt);
    return this.countTokens(request.system ?? '') + this.countTokens(request.user) + MESSAGE_OVERHEAD_TOKENS;
  }

  /** The exact input tokens of a request, from the API's count_tokens endpoint (no generation, no charge for output). */
  async countRequestTokens(request: TextRequest | AnthropicChatRequest, options: { signal?: AbortSignal } = {}): Promise<number> {
    if (isCompletionRequest(request)) throw rawCompletionUnsupported(request);
    const { model, system, messages } = messageParams(request, this.options.model);
    let counted: unknown;
    try {
      counted = await this.client.messages.countTokens({ model, messages, ...(system ? { system } : {}) }, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      throw toCloudProviderError(error, this.context);
    }
    const tokens = (counted as { input_tokens?: unknown } | null)?.input_tokens;
    if (typeof tokens !== 'number') throw malformedResponseError('the token count has no numeric "input_tokens"', this.context);
    return tokens;
  }

  info(): ProviderInfo {
    return {
      provider: 'anthropic',
      model: this.options.model,
      backend: 'cloud',
      hardware: `Anthropic Messages API at ${this.context.host}`,
      threads: 0,
      parallelSequences: this.options.concurrency,
      contextSize: this.options.contextSize,
      modelLoadMs: 0,
      gpuLayers: 0
    };
  }

  async dispose(): Promise<void> {
    for (const controller of this.inFlight) controller.abort(new Error('The provider was disposed.'));
    this.inFlight.clear();
  }

  /** Links the caller's signal to one the provider can also abort on dispose, and times the request. */
  private async run(request: AnthropicChatRequest, send: (request: AnthropicChatRequest, signal: AbortSignal) => Promise<Attempt>): Promise<GenerationResult> {
    const controller = new AbortController();
    const outer = request.signal;
    const forward = (): void => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener('abort', forward, { once: true });
    this.inFlight.add(controller);
    const started = Date.now();
    const tally: AttemptTally = { attempts: 0 };
    try {
      const attempt = await withAttemptTally(tally, () => send(request, controller.signal));
      return { ...this.result(request, attempt, started), retries: retriesOf(tally) };
    } catch (error) {
      if (error instanceof CloudProviderError) error.retries = retriesOf(tally);
      throw error;
    } finally {
      outer?.removeEventListener('abort', forward);
      this.inFlight.delete(controller);
    }
  }

  private async whole(request: AnthropicChatRequest, signal: AbortSignal): Promise<Attempt> {
    let message: unknown;
    try {
      message = await this.client.messages.create({ ...messageParams(request, this.options.model), stream: false }, { signal });
    } catch (error) {
      if (signal.aborted || error instanceof APIUserAbortError) return { outcome: abortedOutcome('', undefined) };
      throw toCloudProviderError(error, this.context);
    }
    return { outcome: this.checked(message), firstTokenAt: Date.now() };
  }

  /** Through the SDK's stream helper: each text delta reaches onText as it arrives. */
  private async streamed(request: AnthropicChatRequest, signal: AbortSignal): Promise<Attempt> {
    const stream = this.client.messages.stream(messageParams(request, this.options.model), { signal });
    let text = '';
    let firstTokenAt: number | undefined;
    stream.on('text', (delta) => {
      firstTokenAt ??= Date.now();
      text += delta;
      request.onText?.(delta);
    });
    try {
      const message = await stream.finalMessage();
      return { outcome: this.checked(message), ...(firstTokenAt !== undefined ? { firstTokenAt } : {}) };
    } catch (error) {
      if (signal.aborted || error instanceof APIUserAbortError) {
        return { outcome: abortedOutcome(text, stream.currentMessage?.usage), ...(firstTokenAt !== undefined ? { firstTokenAt } : {}) };
      }
      throw toCloudProviderError(error, this.context);
    }
  }

  private checked(message: unknown): MessageOutcome {
    const outcome = readMessage(message);
    if (typeof outcome === 'string') throw malformedResponseError(outcome, this.context);
    return outcome;
  }

  private result(request: AnthropicChatRequest, attempt: Attempt, started: number): GenerationResult {
    const ended = Date.now();
    const { outcome } = attempt;
    const firstTokenAt = attempt.firstTokenAt ?? ended;
    const decodingSeconds = (ended - firstTokenAt) / 1000;
    const result: GenerationResult = {
      text: outcome.text,
      provider: 'anthropic',
      model: this.options.model,
      finishReason: outcome.finishReason,
      usage: outcome.usage,
      timings: {
        queuedMs: 0,
        firstTokenMs: firstTokenAt - started,
        generationMs: ended - started,
        tokensPerSecond: decodingSeconds > 0 ? outcome.usage.completionTokens / decodingSeconds : 0
      }
    };
    if (outcome.stopSequence !== undefined) result.stopSequence = outcome.stopSequence;
    if (request.jsonSchema && result.finishReason !== 'abort') {
      try {
        result.json = JSON.parse(result.text) as unknown;
      } catch (error) {
        throw new InvalidJsonOutputError(
          `${this.options.model} answered text that is not JSON (${(error as Error).message}) although the request asked for JSON output${result.finishReason === 'length' ? ': the answer was cut at max-tokens, raise max-tokens' : ''}.`,
          result.text
        );
      }
    }
    return result;
  }
}

/** Role markers and message framing the API adds around the system prompt and the one user turn. */
const MESSAGE_OVERHEAD_TOKENS = 16;

interface Attempt {
  outcome: MessageOutcome;
  /** When the first text arrived (streaming) or the whole answer did; absent when none came. */
  firstTokenAt?: number;
}

function abortedOutcome(text: string, usage: unknown): MessageOutcome {
  const mapped = mapUsage(usage);
  return {
    text,
    finishReason: 'abort',
    usage: typeof mapped === 'string' ? { promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } : mapped
  };
}

function rawCompletionUnsupported(request: CompletionRequest): UnsupportedRequestError {
  return new UnsupportedRequestError(
    `The Anthropic Messages API has no raw completion: a prompt of ${request.prompt.length} characters cannot be continued without the chat format. Send it as a chat request, or use the local model for raw completion.`
  );
}

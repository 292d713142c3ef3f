import type { GpuTelemetryFigures } from './gpuTelemetry.js';

/** A JSON schema (the subset node-llama-cpp turns into a grammar: types, enum, const, oneOf, properties, items, $defs). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What every generation request can set, chat or raw completion. */
export interface GenerationOptions {
  maxTokens: number;
  /** 0 = greedy (the default: reproducible runs). */
  temperature?: number;
  seed?: number;
  /**
   * Cancels the request. While it waits for a free sequence it rejects with GenerationAbortedError; once generating it
   * resolves with finishReason "abort" and the text so far.
   */
  signal?: AbortSignal;
  /** What the request is for: the source file, or `file#unit` (replay files can be keyed by it). */
  target?: string;
  /** Called with each piece of text as it is generated (progress lines, streaming). */
  onText?: (chunk: string) => void;
  /** Generation ends before the first of these texts; the text returned stops just before it. */
  stopSequences?: readonly string[];
  /**
   * Constrains decoding to JSON matching this schema (a grammar); the parsed value is the result's `json`. A result that
   * is not complete JSON (cut at maxTokens) rejects with InvalidJsonOutputError.
   */
  jsonSchema?: JsonSchema;
}

/** A request for one chat completion: the model's chat template wraps the messages. */
export interface ChatRequest extends GenerationOptions {
  system?: string;
  user: string;
}

/** A raw continuation of `prompt`: no chat template, no system prompt. */
export interface CompletionRequest extends GenerationOptions {
  prompt: string;
}

export type TextRequest = ChatRequest | CompletionRequest;

export function isCompletionRequest(request: TextRequest): request is CompletionRequest {
  return 'prompt' in request;
}

export interface GenerationResult {
  text: string;
  provider: string;
  model: string;
  finishReason: 'stop' | 'length' | 'abort';
  /** The stop sequence that ended generation, when one did. */
  stopSequence?: string;
  /** The parsed output, when the request had a jsonSchema (absent when aborted). */
  json?: unknown;
  /**
   * Tokens billed or computed. promptTokens counts every input token, cached ones included; the cache figures are
   * the parts of it a cloud provider read from or wrote to its prompt cache (absent for local providers).
   */
  usage: { promptTokens: number; completionTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number };
  /**
   * What the answer cost in USD, set by the router: a cloud answer its billed tokens at the model's price, a local one
   * its inference time at local-cost-per-hour. Absent where no router priced it.
   */
  costUsd?: number;
  /** HTTP attempts beyond the first that the cloud SDK made for this answer (429, 529, 5xx, timeouts); absent for local providers. */
  retries?: number;
  timings: {
    /** Waiting for a free sequence slot. */
    queuedMs: number;
    firstTokenMs: number;
    generationMs: number;
    tokensPerSecond: number;
  };
}

/**
 * A generation whose text arrives in chunks: iterate it (`for await`) for the chunks, await `result` for the whole
 * answer (its text is the chunks joined). Leaving the loop early aborts the generation. Single consumer: the chunks are
 * delivered once.
 */
export interface TextStream extends AsyncIterable<string> {
  readonly result: Promise<GenerationResult>;
}

export interface EmbedOptions {
  /** Stops between texts; the call rejects with GenerationAbortedError. */
  signal?: AbortSignal;
}

export interface EmbeddingResult {
  /** One vector per input text, in order. */
  vectors: number[][];
  /** Length of each vector (the model's embedding size). */
  dimensions: number;
  provider: string;
  model: string;
  usage: { promptTokens: number };
  timings: {
    /** Waiting for the embedding context (created on first use) and earlier embed calls. */
    queuedMs: number;
    embeddingMs: number;
    /** Input tokens per second. */
    tokensPerSecond: number;
  };
}

/** What a provider runs on, for the report. */
export interface ProviderInfo {
  provider: string;
  model: string;
  backend: string;
  hardware: string;
  threads: number;
  parallelSequences: number;
  contextSize: number;
  modelLoadMs: number;
  /** Model layers offloaded to the GPU (0 on CPU). */
  gpuLayers: number;
  /** The GPU and its memory after the model and context were allocated; absent on CPU. */
  gpu?: {
    device: string;
    vramTotalBytes: number;
    vramFreeBytes: number;
    layersOffloaded: number;
    totalLayers: number;
  };
  /** GPU utilisation and memory sampled from the model load on (CUDA with nvidia-smi only); absent where nothing was sampled. */
  gpuTelemetry?: GpuTelemetryFigures;
}

/** A text generation back end: local llama.cpp now, cloud and replay later, same shape. */
export interface TextProvider {
  chat(request: ChatRequest): Promise<GenerationResult>;
  complete(request: CompletionRequest): Promise<GenerationResult>;
  stream(request: TextRequest): TextStream;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<EmbeddingResult>;
  /** Exact token count under this model's tokenizer (for fitting prompts to the context). */
  countTokens(text: string): number;
  /**
   * Tokens the request's prompt takes in a sequence, chat template included: a request fits when this plus maxTokens
   * is at most info().contextSize (else it rejects with ContextOverflowError).
   */
  countPromptTokens(request: TextRequest): number;
  info(): ProviderInfo;
  dispose(): Promise<void>;
}

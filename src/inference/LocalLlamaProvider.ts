import os from 'node:os';
import path from 'node:path';
import type {
  ChatHistoryItem,
  ChatWrapper,
  GbnfJsonSchema,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaJsonSchemaGrammar,
  LlamaModel,
  Token
} from 'node-llama-cpp';
import type { GpuOption } from '../core/RunOptions.js';
import {
  ContextOverflowError,
  GenerationAbortedError,
  InferenceError,
  InvalidJsonOutputError,
  ModelLoadError,
  OutOfMemoryError,
  ProviderUnavailableError,
  UnsupportedJsonSchemaError
} from './errors.js';
import { threadCandidates } from './cpuThreads.js';
import type { NodeLlamaCppModule } from './nodeLlamaCppRuntime.js';
import { startGpuTelemetry, type GpuTelemetry } from './gpuTelemetry.js';
import { SequenceDecodeProbe } from './sequenceDecodeProbe.js';
import { SequencePool } from './SequencePool.js';
import { streamGeneration } from './streamGeneration.js';
import type { CalibrationSettings } from './threadCalibration.js';
import { CalibrationCache, modelIdentity } from './threadCalibrationCache.js';
import { ThreadTuner } from './threadTuner.js';
import {
  isCompletionRequest,
  type ChatRequest,
  type CompletionRequest,
  type EmbeddingResult,
  type EmbedOptions,
  type GenerationResult,
  type JsonSchema,
  type ProviderInfo,
  type TextProvider,
  type TextRequest,
  type TextStream
} from './TextProvider.js';

export interface LocalProviderOptions {
  runtime: NodeLlamaCppModule;
  modelPath: string;
  /** Name shown in reports; defaults to the file name. */
  modelLabel?: string;
  gpu: GpuOption;
  /** A count (the threads input, a benchmark's or a test's), or calibrated on the loaded model; never left to the library. */
  threads: number | AutoThreads;
  /** Sequences of the one context; a function chooses them once the back end and its free memory are known. */
  maxParallel: number | ((memory: { gpu: boolean; freeBytes: number }) => number);
  /** Tokens per sequence; capped at what the model was trained on. */
  contextSize: number;
  warn?: (message: string) => void;
}

/** `threads: 0`: the count is measured on the loaded model (see threadTuner.ts) among 1..usableCpus. */
export interface AutoThreads {
  auto: true;
  /** CPUs the process may really use (see usableCpus): the most threads tried. */
  usableCpus: number;
  /** Where calibrations are kept between runs, and the runtime version they hold for; absent = calibrate every load. */
  cache?: { file: string; nodeLlamaCpp: string };
  /** Where the choice and its figures are logged. */
  log?: (line: string) => void;
  settings?: Partial<CalibrationSettings>;
}

/** A compiled JSON-schema grammar; `parse` checks text against the schema. */
type AnyJsonSchemaGrammar = LlamaGrammar & Pick<LlamaJsonSchemaGrammar<GbnfJsonSchema>, 'parse'>;

/** What one generation on a sequence ended with, chat or completion alike. */
interface SequenceOutcome {
  text: string;
  stopReason: 'eogToken' | 'stopGenerationTrigger' | 'customStopTrigger' | 'functionCalls' | 'maxTokens' | 'abort';
  customStopTrigger?: readonly (string | Token)[];
}

interface SequenceGenerationOptions {
  maxTokens: number;
  temperature: number;
  seed?: number;
  signal?: AbortSignal;
  stopOnAbortSignal: true;
  onToken: () => void;
  onTextChunk?: (chunk: string) => void;
  grammar?: LlamaGrammar;
  customStopTriggers?: string[];
}

/**
 * llama.cpp in this process: the model is loaded once, one context holds `maxParallel`
 * sequences, and requests queue for a free sequence so several files generate at once.
 */
export class LocalLlamaProvider implements TextProvider {
  private readonly pool: SequencePool<LlamaContextSequence>;
  /** Compiled grammars by schema JSON: compiling one takes longer than a short generation. */
  private readonly grammars = new Map<string, Promise<AnyJsonSchemaGrammar>>();
  /** Created on the first embed() only: most runs never embed, and it costs a second KV cache. */
  private embeddingContext?: Promise<LlamaEmbeddingContext>;
  /** embed() calls run one after another (the embedding context has one sequence). */
  private embeddings: Promise<unknown> = Promise.resolve();
  /** Generations decoding now, and how many have started: a generation that saw no other one measured the threads alone. */
  private decoding = 0;
  private generationsStarted = 0;
  /** A mid-run thread re-calibration under way (see ThreadTuner.recheck). */
  private recheck?: Promise<void>;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequences: readonly LlamaContextSequence[],
    private readonly runtime: NodeLlamaCppModule,
    private readonly chatWrapper: ChatWrapper,
    private readonly details: ProviderInfo,
    private readonly tuner: ThreadTuner | undefined,
    private readonly warn: (message: string) => void,
    private readonly telemetry: GpuTelemetry | undefined
  ) {
    this.pool = new SequencePool(sequences);
  }

  static async load(options: LocalProviderOptions): Promise<LocalLlamaProvider> {
    const warn = options.warn ?? (() => undefined);
    const given = options.threads;
    const auto = typeof given === 'number' ? undefined : given;
    // Calibration lowers llama.maxThreads from here; the context must want the most it may be given.
    const maxThreads = typeof given === 'number' ? given : Math.max(1, Math.floor(given.usableCpus));
    const llama = await getLlamaWithFallback(options, maxThreads, warn);
    // From the load on, so the peaks include loading; nvidia-smi sees the devices only CUDA uses.
    const telemetry = llama.gpu === 'cuda' ? startGpuTelemetry() : undefined;
    const started = Date.now();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
    } catch (error) {
      await telemetry?.stop();
      await llama.dispose();
      throw classifyLoadError(error, options.modelPath);
    }
    const modelLoadMs = Date.now() - started;
    const contextSize = Math.min(options.contextSize, model.trainContextSize || options.contextSize);
    let context: LlamaContext | undefined;
    let sequences = typeof options.maxParallel === 'number' ? options.maxParallel : options.maxParallel(await freeMemory(llama));
    // A context too big for memory is retried with fewer parallel sequences before giving up.
    for (;;) {
      try {
        context = await model.createContext({ sequences, contextSize, threads: maxThreads, batchSize: Math.min(512, contextSize) });
        break;
      } catch (error) {
        if (sequences > 1) {
          warn(
            `Could not create a context with ${sequences} sequences of ${contextSize} tokens (${(error as Error).message}); retrying with ${Math.floor(sequences / 2)}.`
          );
          sequences = Math.floor(sequences / 2);
          continue;
        }
        await telemetry?.stop();
        await model.dispose();
        await llama.dispose();
        throw new OutOfMemoryError(
          `A context of ${contextSize} tokens does not fit in memory for ${path.basename(options.modelPath)}: ${(error as Error).message}. Lower context-size or max-parallel, or use a smaller quantization.`
        );
      }
    }
    const contextSequences: LlamaContextSequence[] = [];
    while (context.sequencesLeft > 0) contextSequences.push(context.getSequence());
    const backend = llama.gpu === false ? 'cpu' : llama.gpu;
    let tuner: ThreadTuner | undefined;
    if (auto) {
      try {
        tuner = await startThreadTuner(auto, llama, model, contextSequences[0]!, `${backend}:${model.gpuLayers}`, options.modelPath, warn);
      } catch (error) {
        llama.maxThreads = 1;
        warn(
          `Could not calibrate llama.cpp's thread count (${(error as Error).message}); using 1 thread, which never stalls on a busy machine. Set the threads input to choose a count.`
        );
      }
    }
    const threads = tuner?.threads ?? (auto ? 1 : maxThreads);
    const gpu = await describeGpu(llama, model);
    const details: ProviderInfo = {
      provider: 'local',
      model: options.modelLabel ?? path.basename(options.modelPath),
      backend,
      hardware: describeHardware(llama, model, describeThreadCount(threads), gpu),
      threads,
      parallelSequences: sequences,
      contextSize: context.contextSize,
      modelLoadMs,
      gpuLayers: model.gpuLayers,
      ...(gpu ? { gpu } : {})
    };
    // Matching the model's chat template takes ~0.5 s of main-thread time: done once, not per request.
    const chatWrapper = options.runtime.resolveChatWrapper(model);
    return new LocalLlamaProvider(llama, model, context, contextSequences, options.runtime, chatWrapper, details, tuner, warn, telemetry);
  }

  info(): ProviderInfo {
    const threads = this.tuner
      ? { threads: this.tuner.threads, hardware: describeHardware(this.llama, this.model, this.tuner.description, this.details.gpu) }
      : {};
    const gpuTelemetry = this.telemetry?.figures();
    return { ...this.details, ...threads, ...(this.details.gpu ? { gpu: { ...this.details.gpu } } : {}), ...(gpuTelemetry ? { gpuTelemetry } : {}) };
  }

  /** How the thread count was chosen when it was calibrated (undefined when it was given): for the benchmark. */
  threadChoice(): { threads: number; description: string; calibrationMs: number } | undefined {
    return this.tuner ? { threads: this.tuner.threads, description: this.tuner.description, calibrationMs: this.tuner.calibrationMs } : undefined;
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
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

  /** Tokens the request's prompt takes in a sequence: the chat template applied, or the raw text with BOS. */
  countPromptTokens(request: TextRequest): number {
    if (isCompletionRequest(request)) {
      const bos = this.model.tokens.shouldPrependBosToken ? this.model.tokens.bos : null;
      return this.model.tokenize(request.prompt, false, bos !== null ? 'trimLeadingSpace' : undefined).length + (bos !== null ? 1 : 0);
    }
    // The same history LlamaChatSession builds for a first prompt, so the count is exactly what it evaluates.
    const history: ChatHistoryItem[] = [
      ...this.chatWrapper.generateInitialChatHistory({ systemPrompt: request.system ?? '' }),
      { type: 'user', text: request.user },
      { type: 'model', response: [] }
    ];
    return this.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.model.tokenizer).length;
  }

  private async generate(request: TextRequest): Promise<GenerationResult> {
    const queuedAt = Date.now();
    const promptTokens = this.countPromptTokens(request);
    if (promptTokens === 0) throw new InferenceError('The prompt is empty: give the model at least one token of text to continue.');
    // Checked up front: llama.cpp would otherwise drop the start of the prompt or fail with its own error mid-run.
    if (promptTokens + request.maxTokens > this.details.contextSize) {
      throw new ContextOverflowError(promptTokens, request.maxTokens, this.details.contextSize, this.model.trainContextSize || undefined);
    }
    const grammar = request.jsonSchema ? await this.grammarFor(request.jsonSchema) : undefined;
    let sequence: LlamaContextSequence;
    try {
      sequence = await this.pool.acquire(request.signal);
    } catch (error) {
      throw request.signal?.aborted ? abortedWhileQueued(queuedAt) : error;
    }
    let slowedTo: number | undefined;
    this.decoding++;
    const startIndex = ++this.generationsStarted;
    const alone = this.decoding === 1;
    try {
      if (request.signal?.aborted) throw abortedWhileQueued(queuedAt);
      const startedAt = Date.now();
      // The meter's "output" evaluations are the ones that produce a sampled token: one per generated token. (Its
      // "input" count misses the last prompt token, so promptTokens comes from the count above.)
      const before = sequence.tokenMeter.getState().usedOutputTokens;
      let firstTokenAt = 0;
      const options: SequenceGenerationOptions = {
        maxTokens: request.maxTokens,
        temperature: request.temperature ?? 0,
        seed: request.seed,
        signal: request.signal,
        stopOnAbortSignal: true,
        onToken: () => {
          if (firstTokenAt === 0) firstTokenAt = Date.now();
        },
        // Only when someone listens: node-llama-cpp detokenizes every chunk for this callback.
        onTextChunk: request.onText ? (chunk) => chunk !== '' && request.onText?.(chunk) : undefined,

        grammar,
        customStopTriggers: request.stopSequences && request.stopSequences.length > 0 ? [...request.stopSequences] : undefined
      };
      const outcome = isCompletionRequest(request)
        ? await this.runCompletion(sequence, request.prompt, options)
        : await this.runChat(sequence, request, options);
      const completionTokens = sequence.tokenMeter.getState().usedOutputTokens - before;
      const finishedAt = Date.now();
      const generationMs = finishedAt - startedAt;
      // Decoding speed after the first token: prompt evaluation is not part of it.
      const decodeMs = firstTokenAt === 0 ? generationMs : finishedAt - firstTokenAt;
      const decodedTokens = firstTokenAt === 0 ? completionTokens : completionTokens - 1;
      const finishReason = outcome.stopReason === 'maxTokens' ? 'length' : outcome.stopReason === 'abort' ? 'abort' : 'stop';
      const tokensPerSecond = decodeMs > 0 && decodedTokens > 0 ? (decodedTokens * 1000) / decodeMs : 0;
      if (alone && this.generationsStarted === startIndex && this.tuner?.shouldRecheck(decodedTokens, tokensPerSecond)) slowedTo = tokensPerSecond;
      const result: GenerationResult = {
        text: outcome.text,
        provider: 'local',
        model: this.details.model,
        finishReason,
        usage: { promptTokens, completionTokens },
        timings: {
          queuedMs: startedAt - queuedAt,
          firstTokenMs: firstTokenAt === 0 ? generationMs : firstTokenAt - startedAt,
          generationMs,
          tokensPerSecond
        }
      };
      const stopSequence = outcome.customStopTrigger?.filter((part): part is string => typeof part === 'string').join('');
      if (outcome.stopReason === 'customStopTrigger' && stopSequence) result.stopSequence = stopSequence;
      if (grammar && finishReason !== 'abort') result.json = parseJsonOutput(grammar, result);
      return result;
    } finally {
      this.decoding--;
      try {
        await sequence.clearHistory();
      } finally {
        this.pool.release(sequence);
        if (slowedTo !== undefined && !this.recheck) this.startRecheck(slowedTo);
      }
    }
  }

  /**
   * Measures the thread counts again while holding every sequence, so no generation decodes beside the probe;
   * queued requests wait the two or so seconds it takes.
   */
  private startRecheck(observedTokensPerSecond: number): void {
    const tuner = this.tuner!;
    this.recheck = (async () => {
      const held = await Promise.all(this.sequences.map(() => this.pool.acquire()));
      try {
        await tuner.recheck(new SequenceDecodeProbe(this.llama, this.model, held[0]!), observedTokensPerSecond);
      } finally {
        for (const sequence of held) this.pool.release(sequence);
      }
    })()
      .catch((error: unknown) => this.warn(`Re-calibrating llama.cpp's thread count failed (${(error as Error).message}); keeping ${tuner.threads}.`))
      .finally(() => {
        this.recheck = undefined;
      });
  }

  private async runChat(sequence: LlamaContextSequence, request: ChatRequest, options: SequenceGenerationOptions): Promise<SequenceOutcome> {
    const session = new this.runtime.LlamaChatSession({
      contextSequence: sequence,
      chatWrapper: this.chatWrapper,
      // Left undefined, node-llama-cpp inserts its own default system prompt (hundreds of tokens).
      systemPrompt: request.system ?? '',
      autoDisposeSequence: false
    });
    try {
      const result = await session.promptWithMeta(request.user, options);
      return {
        text: result.responseText,
        stopReason: result.stopReason,
        customStopTrigger: result.stopReason === 'customStopTrigger' ? result.customStopTrigger : undefined
      };
    } finally {
      session.dispose({ disposeSequence: false });
    }
  }

  private async runCompletion(sequence: LlamaContextSequence, prompt: string, options: SequenceGenerationOptions): Promise<SequenceOutcome> {
    const completion = new this.runtime.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      // The prompt was checked to fit with maxTokens: no context shift, and no silent cut of the prompt's start (the
      // default shift size makes LlamaCompletion keep only 90% of the context for the prompt).
      const { response, metadata } = await completion.generateCompletionWithMeta(prompt, { ...options, contextShiftSize: 0, disableContextShift: true });
      return {
        text: response,
        stopReason: metadata.stopReason,
        customStopTrigger: metadata.stopReason === 'customStopTrigger' ? metadata.customStopTrigger : undefined
      };
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }

  private grammarFor(schema: JsonSchema): Promise<AnyJsonSchemaGrammar> {
    let key: string;
    try {
      key = JSON.stringify(schema);
    } catch (error) {
      return Promise.reject(
        new UnsupportedJsonSchemaError(
          `The JSON schema is not plain JSON (${(error as Error).message.split('\n')[0]}): give a schema without cycles, functions or BigInts.`
        )
      );
    }
    const cached = this.grammars.get(key);
    if (cached) return cached;
    // The schema is the caller's plain object; node-llama-cpp validates it while compiling.
    const compiled = this.llama.createGrammarForJsonSchema(schema as never) as Promise<AnyJsonSchemaGrammar>;
    const grammar = compiled.catch((error: unknown) => {
      this.grammars.delete(key);
      throw new UnsupportedJsonSchemaError(
        `The JSON schema cannot be turned into a grammar: ${(error as Error).message}. Use the subset node-llama-cpp supports (type, enum, const, oneOf, properties, items, $defs).`
      );
    });
    this.grammars.set(key, grammar);
    return grammar;
  }

  embed(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbeddingResult> {
    const queuedAt = Date.now();
    const run = this.embeddings.then(() => this.embedNow(texts, options, queuedAt));
    this.embeddings = run.catch(() => undefined);
    return run;
  }

  private async embedNow(texts: readonly string[], options: EmbedOptions, queuedAt: number): Promise<EmbeddingResult> {
    const context = await this.getEmbeddingContext();
    const contextSize = this.details.contextSize;
    const lengths = texts.map((text, i) => {
      const length = context.calculateInputLength(text);
      if (length === 0) throw new InferenceError(`Text ${i + 1} of ${texts.length} to embed is empty: it has no tokens to embed.`);
      if (length >= contextSize) throw new ContextOverflowError(length, 0, contextSize, this.model.trainContextSize || undefined);
      return length;
    });
    const startedAt = Date.now();
    const vectors: number[][] = [];
    for (const text of texts) {
      if (options.signal?.aborted) {
        throw new GenerationAbortedError(`embed() was cancelled after ${vectors.length} of ${texts.length} texts.`);
      }
      vectors.push([...(await context.getEmbeddingFor(text)).vector]);
    }
    const embeddingMs = Date.now() - startedAt;
    const promptTokens = lengths.reduce((sum, n) => sum + n, 0);
    return {
      vectors,
      dimensions: vectors[0]?.length ?? this.model.embeddingVectorSize,
      provider: 'local',
      model: this.details.model,
      usage: { promptTokens },
      timings: { queuedMs: startedAt - queuedAt, embeddingMs, tokensPerSecond: embeddingMs > 0 ? (promptTokens * 1000) / embeddingMs : 0 }
    };
  }

  private getEmbeddingContext(): Promise<LlamaEmbeddingContext> {
    if (!this.embeddingContext) {
      const contextSize = this.details.contextSize;
      this.embeddingContext = this.model.createEmbeddingContext({ threads: this.details.threads, contextSize }).catch((error: unknown) => {
        this.embeddingContext = undefined;
        throw new OutOfMemoryError(
          `An embedding context of ${contextSize} tokens could not be created for ${this.details.model}: ${(error as Error).message}. Lower context-size or max-parallel to leave memory for it.`
        );
      });
    }
    return this.embeddingContext;
  }

  async dispose(): Promise<void> {
    // Stopped first: the figures describe the run, not the teardown, and nothing below may leave it sampling.
    await this.telemetry?.stop();
    await this.recheck;
    const embedding = await this.embeddingContext?.catch(() => undefined);
    await embedding?.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

function abortedWhileQueued(queuedAt: number): GenerationAbortedError {
  return new GenerationAbortedError(`The request was cancelled after ${Date.now() - queuedAt} ms waiting for a free sequence, before it started.`);
}

/** The grammar guarantees the syntax only while generation runs to its end: a cut answer is not a value. */
function parseJsonOutput(grammar: AnyJsonSchemaGrammar, result: GenerationResult): unknown {
  try {
    return grammar.parse(result.text);
  } catch (error) {
    const why =
      result.finishReason === 'length'
        ? `it was cut at max-tokens (${result.usage.completionTokens} tokens); raise max-tokens`
        : result.stopSequence !== undefined
          ? `the stop sequence ${JSON.stringify(result.stopSequence)} ended it early; remove it from stopSequences`
          : 'check the schema';
    throw new InvalidJsonOutputError(`The model's answer is not a complete JSON value of the schema (${(error as Error).message}): ${why}.`, result.text);
  }
}

async function getLlamaWithFallback(options: LocalProviderOptions, maxThreads: number, warn: (m: string) => void): Promise<Llama> {
  const base = { build: 'never' as const, skipDownload: true, progressLogs: false, logLevel: options.runtime.LlamaLogLevel.error, maxThreads };
  const gpu = options.gpu === 'cpu' ? false : options.gpu;
  try {
    return await options.runtime.getLlama({ ...base, gpu });
  } catch (error) {
    if (gpu === false) {
      throw new ProviderUnavailableError(
        `llama.cpp could not start on the CPU: ${(error as Error).message}. Check that node-llama-cpp's binary package for this platform is installed.`
      );
    }
    warn(`GPU back end "${options.gpu}" could not start (${(error as Error).message}); falling back to CPU. Set gpu: cpu to skip the attempt.`);
    return options.runtime.getLlama({ ...base, gpu: false });
  }
}

/** Where the KV caches will live, and how much room is left there now that the model is loaded. */
async function freeMemory(llama: Llama): Promise<{ gpu: boolean; freeBytes: number }> {
  if (llama.gpu === false) return { gpu: false, freeBytes: os.freemem() };
  const vram = await llama.getVramState().catch(() => undefined);
  return { gpu: true, freeBytes: vram?.free ?? 0 };
}

function classifyLoadError(error: unknown, modelPath: string): Error {
  const message = (error as Error).message ?? String(error);
  if (/out of memory|failed to allocate|ENOMEM|cudaMalloc/i.test(message)) {
    return new OutOfMemoryError(
      `Loading ${modelPath} ran out of memory: ${message}. Use a smaller quantization (e.g. Q4_K_M), set gpu: cpu, or use a runner with more memory.`
    );
  }
  return new ModelLoadError(
    `llama.cpp could not load ${modelPath}: ${message}. Check that it is a complete GGUF file of an architecture llama.cpp supports (re-download it if it was cut off).`
  );
}

/** The GPU's facts after the model and the context took their memory; undefined on CPU. */
async function describeGpu(llama: Llama, model: LlamaModel): Promise<ProviderInfo['gpu']> {
  if (llama.gpu === false) return undefined;
  const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
  const vram = await llama.getVramState().catch(() => undefined);
  return {
    device: names.join(', ') || 'unknown device',
    vramTotalBytes: vram?.total ?? 0,
    vramFreeBytes: vram?.free ?? 0,
    layersOffloaded: model.gpuLayers,
    totalLayers: model.fileInsights.totalLayers
  };
}

/** Calibrates (or takes the cached calibration for this machine and model) on the context's first sequence. */
async function startThreadTuner(
  auto: AutoThreads,
  llama: Llama,
  model: LlamaModel,
  sequence: LlamaContextSequence,
  backend: string,
  modelPath: string,
  warn: (m: string) => void
): Promise<ThreadTuner> {
  const usable = Math.max(1, Math.floor(auto.usableCpus));
  const cache = auto.cache
    ? {
        store: new CalibrationCache(auto.cache.file),
        key: {
          cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
          usableCpus: usable,
          model: await modelIdentity(modelPath),
          nodeLlamaCpp: auto.cache.nodeLlamaCpp,
          backend
        }
      }
    : undefined;
  return ThreadTuner.start(new SequenceDecodeProbe(llama, model, sequence), (n) => (llama.maxThreads = n), {
    candidates: threadCandidates(usable),
    ...(cache ? { cache } : {}),
    ...(auto.settings ? { settings: auto.settings } : {}),
    log: auto.log ?? (() => undefined),
    warn
  });
}

function describeThreadCount(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}

function describeHardware(llama: Llama, model: LlamaModel, threads: string, gpu: ProviderInfo['gpu']): string {
  if (llama.gpu === false || !gpu) {
    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    return `CPU (${cpu}), ${threads}`;
  }
  const gib = gpu.vramTotalBytes > 0 ? ` (${(gpu.vramTotalBytes / 1024 ** 3).toFixed(1)} GiB VRAM)` : '';
  return `${llama.gpu.toUpperCase()}: ${gpu.device}${gib}, ${model.gpuLayers} layers offloaded`;
}

import os from 'node:os';
import path from 'node:path';
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import type { GpuOption } from '../config/RunOptions.js';
import { ModelLoadError, OutOfMemoryError, ProviderUnavailableError } from './errors.js';
import type { NodeLlamaCppModule } from './nodeLlamaCppRuntime.js';
import { SequencePool } from './SequencePool.js';
import type { ChatRequest, GenerationResult, ProviderInfo, TextProvider } from './TextProvider.js';

export interface LocalProviderOptions {
  runtime: NodeLlamaCppModule;
  modelPath: string;
  /** Name shown in reports; defaults to the file name. */
  modelLabel?: string;
  gpu: GpuOption;
  /** Resolved thread count (see chooseThreadCount); never left to the library. */
  threads: number;
  maxParallel: number;
  /** Tokens per sequence; capped at what the model was trained on. */
  contextSize: number;
  warn?: (message: string) => void;
}

/**
 * llama.cpp in this process: the model is loaded once, one context holds `maxParallel`
 * sequences, and requests queue for a free sequence so several files generate at once.
 */
export class LocalLlamaProvider implements TextProvider {
  private readonly pool: SequencePool<LlamaContextSequence>;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly runtime: NodeLlamaCppModule,
    private readonly chatWrapper: ChatWrapper,
    private readonly details: ProviderInfo
  ) {
    const sequences: LlamaContextSequence[] = [];
    while (context.sequencesLeft > 0) sequences.push(context.getSequence());
    this.pool = new SequencePool(sequences);
  }

  static async load(options: LocalProviderOptions): Promise<LocalLlamaProvider> {
    const warn = options.warn ?? (() => undefined);
    const llama = await getLlamaWithFallback(options, warn);
    const started = Date.now();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
    } catch (error) {
      await llama.dispose();
      throw classifyLoadError(error, options.modelPath);
    }
    const modelLoadMs = Date.now() - started;
    const contextSize = Math.min(options.contextSize, model.trainContextSize || options.contextSize);
    let context: LlamaContext | undefined;
    let sequences = options.maxParallel;
    // A context too big for memory is retried with fewer parallel sequences before giving up.
    for (;;) {
      try {
        context = await model.createContext({ sequences, contextSize, threads: options.threads, batchSize: Math.min(512, contextSize) });
        break;
      } catch (error) {
        if (sequences > 1) {
          warn(`Could not create a context with ${sequences} sequences of ${contextSize} tokens (${(error as Error).message}); retrying with ${Math.floor(sequences / 2)}.`);
          sequences = Math.floor(sequences / 2);
          continue;
        }
        await model.dispose();
        await llama.dispose();
        throw new OutOfMemoryError(
          `A context of ${contextSize} tokens does not fit in memory for ${path.basename(options.modelPath)}: ${(error as Error).message}. Lower context-size or max-parallel, or use a smaller quantization.`
        );
      }
    }
    const details: ProviderInfo = {
      provider: 'local',
      model: options.modelLabel ?? path.basename(options.modelPath),
      backend: llama.gpu === false ? 'cpu' : llama.gpu,
      hardware: await describeHardware(llama, model, options.threads),
      threads: options.threads,
      parallelSequences: sequences,
      contextSize: context.contextSize,
      modelLoadMs
    };
    // Matching the model's chat template takes ~0.5 s of main-thread time: done once, not per request.
    const chatWrapper = options.runtime.resolveChatWrapper(model);
    return new LocalLlamaProvider(llama, model, context, options.runtime, chatWrapper, details);
  }

  info(): ProviderInfo {
    return { ...this.details };
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    const queuedAt = Date.now();
    return this.pool.use(async (sequence) => {
      const startedAt = Date.now();
      const session = new this.runtime.LlamaChatSession({
        contextSequence: sequence,
        chatWrapper: this.chatWrapper,
        // Left undefined, node-llama-cpp inserts its own default system prompt (hundreds of tokens).
        systemPrompt: request.system ?? '',
        autoDisposeSequence: false
      });
      const before = sequence.tokenMeter.getState();
      let firstTokenAt = 0;
      try {
        const result = await session.promptWithMeta(request.user, {
          maxTokens: request.maxTokens,
          temperature: request.temperature ?? 0,
          seed: request.seed,
          signal: request.signal,
          stopOnAbortSignal: true,
          onTextChunk: (chunk) => {
            if (firstTokenAt === 0) firstTokenAt = Date.now();
            request.onText?.(chunk);
          }
        });
        const after = sequence.tokenMeter.getState();
        const generationMs = Date.now() - startedAt;
        const completionTokens = after.usedOutputTokens - before.usedOutputTokens;
        const decodeMs = firstTokenAt === 0 ? generationMs : Date.now() - firstTokenAt;
        return {
          text: result.responseText,
          provider: 'local',
          model: this.details.model,
          finishReason: result.stopReason === 'maxTokens' ? 'length' : result.stopReason === 'abort' ? 'abort' : 'stop',
          usage: { promptTokens: after.usedInputTokens - before.usedInputTokens, completionTokens },
          timings: {
            queuedMs: startedAt - queuedAt,
            firstTokenMs: firstTokenAt === 0 ? generationMs : firstTokenAt - startedAt,
            generationMs,
            tokensPerSecond: decodeMs > 0 ? (completionTokens * 1000) / decodeMs : 0
          }
        };
      } finally {
        session.dispose({ disposeSequence: false });
        await sequence.clearHistory();
      }
    });
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

async function getLlamaWithFallback(options: LocalProviderOptions, warn: (m: string) => void): Promise<Llama> {
  const base = { build: 'never' as const, skipDownload: true, progressLogs: false, logLevel: options.runtime.LlamaLogLevel.error, maxThreads: options.threads };
  const gpu = options.gpu === 'cpu' ? false : options.gpu;
  try {
    return await options.runtime.getLlama({ ...base, gpu });
  } catch (error) {
    if (gpu === false) {
      throw new ProviderUnavailableError(`llama.cpp could not start on the CPU: ${(error as Error).message}. Check that node-llama-cpp's binary package for this platform is installed.`);
    }
    warn(`GPU back end "${options.gpu}" could not start (${(error as Error).message}); falling back to CPU. Set gpu: cpu to skip the attempt.`);
    return options.runtime.getLlama({ ...base, gpu: false });
  }
}

function classifyLoadError(error: unknown, modelPath: string): Error {
  const message = (error as Error).message ?? String(error);
  if (/out of memory|failed to allocate|ENOMEM|cudaMalloc/i.test(message)) {
    return new OutOfMemoryError(`Loading ${modelPath} ran out of memory: ${message}. Use a smaller quantization (e.g. Q4_K_M), set gpu: cpu, or use a runner with more memory.`);
  }
  return new ModelLoadError(`llama.cpp could not load ${modelPath}: ${message}. Check that it is a complete GGUF file of an architecture llama.cpp supports (re-download it if it was cut off).`);
}

async function describeHardware(llama: Llama, model: LlamaModel, threads: number): Promise<string> {
  if (llama.gpu === false) {
    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    return `CPU (${cpu}), ${threads} thread${threads === 1 ? '' : 's'}`;
  }
  const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
  const vram = await llama.getVramState().catch(() => undefined);
  const gib = vram ? ` (${(vram.total / 1024 ** 3).toFixed(1)} GiB VRAM)` : '';
  return `${llama.gpu.toUpperCase()}: ${names.join(', ') || 'unknown device'}${gib}, ${model.gpuLayers} layers offloaded`;
}

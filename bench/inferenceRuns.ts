import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import type { Llama, LlamaChatSession, LlamaCompletion, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import type { GpuOption } from '../src/core/RunOptions.js';
import { LocalLlamaProvider, type AutoThreads } from '../src/inference/LocalLlamaProvider.js';
import type { NodeLlamaCppModule } from '../src/inference/nodeLlamaCppRuntime.js';
import type { GenerationResult } from '../src/inference/TextProvider.js';

/** What every measurement shares. */
export interface RunSettings {
  runtime: NodeLlamaCppModule;
  gpu: GpuOption;
  /** Tokens decoded per request. */
  tokens: number;
  contextSize: number;
  /** A decode run is cut after this long (default DECODE_RUN_LIMIT_MS). */
  decodeLimitMs?: number;
}

/** Distinct prompts (so parallel sequences do different work), short next to the tokens decoded. */
export function benchPrompts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `Request ${i + 1}: describe what the changed function does and list its edge cases.`);
}

export function loadProvider(settings: RunSettings, modelPath: string, threads: number | AutoThreads, maxParallel: number): Promise<LocalLlamaProvider> {
  return LocalLlamaProvider.load({ runtime: settings.runtime, modelPath, gpu: settings.gpu, threads, maxParallel, contextSize: settings.contextSize });
}

/** node-llama-cpp without aqe in between, configured as LocalLlamaProvider configures it. */
export async function getDirectLlama(settings: RunSettings, threads: number): Promise<Llama> {
  const { runtime, gpu } = settings;
  return runtime.getLlama({
    gpu: gpu === 'cpu' ? false : gpu,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: runtime.LlamaLogLevel.error,
    maxThreads: threads
  });
}

export function loadDirectModel(llama: Llama, modelPath: string): Promise<LlamaModel> {
  return llama.loadModel({ modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
}

/** Reads the whole file through a reused buffer: the floor for any loader that reads the weights. */
/**
 * Reading the file into memory, as any loader that keeps the weights must: one buffer the size of
 * the file, filled from the page cache; best of `times`. It runs in a child process so its buffer
 * does not count in this process's peak RSS.
 */
export function timeRawRead(file: string, times = 3): number {
  const script = `
    const fs = require('node:fs');
    let best = Infinity;
    for (let i = 0; i < ${times}; i++) {
      const fd = fs.openSync(process.argv[1], 'r');
      const started = performance.now();
      const buffer = Buffer.allocUnsafe(fs.fstatSync(fd).size);
      for (let offset = 0; offset < buffer.length; ) {
        const n = fs.readSync(fd, buffer, offset, Math.min(buffer.length - offset, 16 * 1024 * 1024), null);
        if (n <= 0) break;
        offset += n;
      }
      best = Math.min(best, performance.now() - started);
      fs.closeSync(fd);
    }
    process.stdout.write(String(best));`;
  const result = spawnSync(process.execPath, ['-e', script, file], { encoding: 'utf8' });
  const ms = Number(result.stdout);
  if (result.status !== 0 || !Number.isFinite(ms)) throw new Error(`Timing the read of ${file} failed: ${result.stderr}`);
  return ms;
}

/** Streaming the file through one reused 16 MB buffer: the page cache's copy rate, faster than any load can be. */
export function timeStreamRead(file: string): number {
  const buffer = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = openSync(file, 'r');
  try {
    const started = performance.now();
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    return performance.now() - started;
  } finally {
    closeSync(fd);
  }
}

/**
 * A run is cut after this long and measured on the tokens it decoded: an oversubscribed thread count can decode at
 * 2 tokens/s, and waiting for all its tokens would only stretch the benchmark.
 */
const DECODE_RUN_LIMIT_MS = 15_000;

/** Decode tokens/s of one request on a one-sequence provider (prompt evaluation excluded). */
export async function singleSequenceDecode(settings: RunSettings, modelPath: string, threads: number): Promise<number> {
  return (await decodeOnce(settings, modelPath, threads)).tokensPerSecond;
}

export interface DefaultDecode {
  tokensPerSecond: number;
  /** The count calibration chose, how (its figures), and what calibrating took. */
  threads: number;
  description: string;
  calibrationMs: number;
}

/**
 * The same measurement with aqe's default: `threads: 0`, calibrated on the loaded model at load time (no cache, so
 * every load measures the machine as it is now).
 */
export async function defaultThreadsDecode(settings: RunSettings, modelPath: string, usableCpus: number): Promise<DefaultDecode> {
  const { tokensPerSecond, choice } = await decodeOnce(settings, modelPath, { auto: true, usableCpus });
  if (!choice) throw new Error('The provider was given threads: auto but reports no calibrated choice.');
  return { tokensPerSecond, ...choice };
}

async function decodeOnce(
  settings: RunSettings,
  modelPath: string,
  threads: number | AutoThreads
): Promise<{ tokensPerSecond: number; choice: ReturnType<LocalLlamaProvider['threadChoice']> }> {
  const provider = await loadProvider(settings, modelPath, threads, 1);
  try {
    // The first request pages the memory-mapped weights in; it is not measured.
    await provider.complete({ prompt: benchPrompts(1)[0]!, maxTokens: 4 });
    const result = await provider.complete({
      prompt: benchPrompts(1)[0]!,
      maxTokens: settings.tokens,
      signal: AbortSignal.timeout(settings.decodeLimitMs ?? DECODE_RUN_LIMIT_MS)
    });
    return { tokensPerSecond: result.timings.tokensPerSecond, choice: provider.threadChoice() };
  } finally {
    await provider.dispose();
  }
}

/**
 * Background load as a run has it while its test runs go on: a child process spinning on one core. Returns a stop
 * function.
 */
export async function startBusyLoop(): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  // Never left spinning if the benchmark ends early, by an error or a signal.
  const kill = (): void => void child.kill('SIGKILL');
  const killAndExit = (signal: NodeJS.Signals): void => {
    kill();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', kill);
  process.once('SIGINT', killAndExit);
  process.once('SIGTERM', killAndExit);
  // Let the scheduler see it as a steady load before measuring.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return async () => {
    process.off('exit', kill);
    process.off('SIGINT', killAndExit);
    process.off('SIGTERM', killAndExit);
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
}

export interface Throughput {
  tokens: number;
  ms: number;
  tokensPerSecond: number;
}

function throughput(tokens: number, ms: number): Throughput {
  return { tokens, ms, tokensPerSecond: (tokens * 1000) / ms };
}

/** All prompts at once through the provider's queue and sequences. */
export async function schedulerThroughput(
  provider: LocalLlamaProvider,
  prompts: readonly string[],
  api: 'complete' | 'chat',
  tokens: number
): Promise<Throughput> {
  const started = performance.now();
  const results = await Promise.all(
    prompts.map((prompt) => (api === 'chat' ? provider.chat({ user: prompt, maxTokens: tokens }) : provider.complete({ prompt, maxTokens: tokens })))
  );
  return throughput(sumTokens(results), performance.now() - started);
}

/** The same prompts through the provider, each waiting for the one before. */
export async function sequentialThroughput(provider: LocalLlamaProvider, prompts: readonly string[], tokens: number): Promise<Throughput> {
  const started = performance.now();
  const results: GenerationResult[] = [];
  for (const prompt of prompts) results.push(await provider.complete({ prompt, maxTokens: tokens }));
  return throughput(sumTokens(results), performance.now() - started);
}

function sumTokens(results: readonly GenerationResult[]): number {
  return results.reduce((sum, r) => sum + r.usage.completionTokens, 0);
}

/**
 * One context of N sequences driven with node-llama-cpp's own API: one LlamaCompletion (or LlamaChatSession) per
 * sequence, all started together. Objects are created and sequences cleared outside the timed part.
 */
export class DirectParallelRun {
  private constructor(
    private readonly runtime: NodeLlamaCppModule,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[]
  ) {}

  static async create(runtime: NodeLlamaCppModule, model: LlamaModel, sequences: number, settings: RunSettings, threads: number): Promise<DirectParallelRun> {
    const context = await model.createContext({ sequences, contextSize: settings.contextSize, threads, batchSize: Math.min(512, settings.contextSize) });
    return new DirectParallelRun(
      runtime,
      model,
      context,
      Array.from({ length: sequences }, () => context.getSequence())
    );
  }

  async run(prompts: readonly string[], api: 'complete' | 'chat', tokens: number): Promise<Throughput> {
    await Promise.all(this.sequences.map((s) => s.clearHistory()));
    const before = this.sequences.map((s) => s.tokenMeter.getState().usedOutputTokens);
    let generate: Array<() => Promise<unknown>>;
    let disposables: Array<LlamaCompletion | LlamaChatSession>;
    if (api === 'chat') {
      const chatWrapper = this.runtime.resolveChatWrapper(this.model);
      const sessions = this.sequences.map(
        (contextSequence) => new this.runtime.LlamaChatSession({ contextSequence, chatWrapper, systemPrompt: '', autoDisposeSequence: false })
      );
      generate = sessions.map((session, i) => () => session.prompt(prompts[i]!, { maxTokens: tokens, temperature: 0 }));
      disposables = sessions;
    } else {
      const completions = this.sequences.map((contextSequence) => new this.runtime.LlamaCompletion({ contextSequence }));
      generate = completions.map((completion, i) => () => completion.generateCompletion(prompts[i]!, { maxTokens: tokens, temperature: 0 }));
      disposables = completions;
    }
    try {
      const started = performance.now();
      await Promise.all(generate.map((g) => g()));
      const ms = performance.now() - started;
      const generated = this.sequences.reduce((sum, s, i) => sum + s.tokenMeter.getState().usedOutputTokens - before[i]!, 0);
      return throughput(generated, ms);
    } finally {
      for (const d of disposables) d.dispose({ disposeSequence: false });
    }
  }

  dispose(): Promise<void> {
    return this.context.dispose();
  }
}

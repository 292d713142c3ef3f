import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InferenceError } from './errors.js';
import type { ChatRequest, GenerationResult, ProviderInfo, TextProvider } from './TextProvider.js';

/**
 * One line of a replay file (JSONL). Recorded lines carry `key` (a hash of model, parameters and
 * prompt) and the request for reading; hand-written lines may carry only `target` (the source
 * file, or `file#unit`) and `response.text`. Several lines for one target are served in order.
 */
export interface ReplayEntry {
  key?: string;
  target?: string;
  model?: string;
  request?: { system?: string; user: string; maxTokens: number; temperature: number; seed?: number };
  response: { text: string; finishReason?: GenerationResult['finishReason']; usage?: GenerationResult['usage'] };
}

export class ReplayMissError extends InferenceError {
  override readonly name = 'ReplayMissError';
}

/** The identity of a request: same model, parameters and prompt → same answer under greedy decoding. */
export function requestKey(model: string, request: ChatRequest): string {
  const identity = JSON.stringify([model, request.system ?? '', request.user, request.maxTokens, request.temperature ?? 0, request.seed ?? null]);
  return createHash('sha256').update(identity).digest('hex');
}

/** Answers from a replay file instead of a model: reproducible runs, exact outputs in tests. */
export class ReplayProvider implements TextProvider {
  private readonly byKey = new Map<string, ReplayEntry>();
  private readonly byTarget = new Map<string, ReplayEntry[]>();

  private constructor(
    private readonly file: string,
    entries: ReplayEntry[],
    private readonly model: string
  ) {
    for (const entry of entries) {
      if (entry.key) this.byKey.set(entry.key, entry);
      else if (entry.target) this.byTarget.set(entry.target, [...(this.byTarget.get(entry.target) ?? []), entry]);
    }
  }

  static async open(file: string): Promise<ReplayProvider> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ReplayMissError(`The replay file ${file} cannot be read (${(error as Error).message}). Record one first with replay-mode: record, or fix replay-file.`);
    }
    const entries = text
      .split('\n')
      .map((line, i) => ({ line: line.trim(), n: i + 1 }))
      .filter(({ line }) => line !== '')
      .map(({ line, n }) => parseEntry(line, n, file));
    const model = entries.find((e) => e.model)?.model ?? 'replay';
    return new ReplayProvider(file, entries, model);
  }

  async chat(request: ChatRequest): Promise<GenerationResult> {
    const started = Date.now();
    const entry = this.byKey.get(requestKey(this.model, request)) ?? (request.target ? this.byTarget.get(request.target)?.shift() : undefined);
    if (!entry) {
      throw new ReplayMissError(
        `${this.file} has no answer for this request${request.target ? ` (target ${request.target})` : ''}: the prompt, the model or the parameters changed since it was recorded, or no hand-written line has that target. Record again with replay-mode: record.`
      );
    }
    request.onText?.(entry.response.text);
    return {
      text: entry.response.text,
      provider: 'replay',
      model: this.model,
      finishReason: entry.response.finishReason ?? 'stop',
      usage: entry.response.usage ?? { promptTokens: 0, completionTokens: 0 },
      timings: { queuedMs: 0, firstTokenMs: 0, generationMs: Date.now() - started, tokensPerSecond: 0 }
    };
  }

  countTokens(text: string): number {
    return Math.ceil(text.length / 4);
  }

  info(): ProviderInfo {
    return { provider: 'replay', model: this.model, backend: 'replay', hardware: `answers from ${path.basename(this.file)}`, threads: 0, parallelSequences: 1, contextSize: 1_048_576, modelLoadMs: 0 };
  }

  async dispose(): Promise<void> {}
}

/** Wraps a real provider and appends every request and answer to a replay file. */
export class RecordingProvider implements TextProvider {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: TextProvider,
    private readonly file: string
  ) {}

  async chat(request: ChatRequest): Promise<GenerationResult> {
    const result = await this.inner.chat(request);
    const model = this.inner.info().model;
    const entry: ReplayEntry = {
      key: requestKey(model, request),
      target: request.target,
      model,
      request: { system: request.system, user: request.user, maxTokens: request.maxTokens, temperature: request.temperature ?? 0, seed: request.seed },
      response: { text: result.text, finishReason: result.finishReason, usage: result.usage }
    };
    // Appends are chained so parallel answers never interleave within a line.
    this.writes = this.writes.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, `${JSON.stringify(entry)}\n`);
    });
    await this.writes;
    return result;
  }

  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }

  info(): ProviderInfo {
    return this.inner.info();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

function parseEntry(line: string, n: number, file: string): ReplayEntry {
  let entry: ReplayEntry;
  try {
    entry = JSON.parse(line) as ReplayEntry;
  } catch {
    throw new ReplayMissError(`${file}:${n} is not valid JSON. Each line of a replay file is one JSON object.`);
  }
  if (typeof entry?.response?.text !== 'string' || (!entry.key && !entry.target)) {
    throw new ReplayMissError(`${file}:${n} needs "response": {"text": ...} and either "key" (recorded) or "target" (the source file it answers for).`);
  }
  return entry;
}

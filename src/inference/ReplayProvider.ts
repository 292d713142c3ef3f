import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InferenceError, InvalidJsonOutputError, ProviderUnavailableError } from './errors.js';
import { streamGeneration } from './streamGeneration.js';
import {
  isCompletionRequest,
  type ChatRequest,
  type CompletionRequest,
  type EmbeddingResult,
  type GenerationResult,
  type JsonSchema,
  type ProviderInfo,
  type TextProvider,
  type TextRequest,
  type TextStream
} from './TextProvider.js';

/**
 * One line of a replay file (JSONL). Recorded lines carry `key` (a hash of model, parameters and
 * prompt) and the request for reading (`user` for chat, `prompt` for raw completion); hand-written lines may carry
 * only `target` (the source file, or `file#unit`) and `response.text`. Several lines for one target are served in order.
 */
export interface ReplayEntry {
  key?: string;
  target?: string;
  model?: string;
  request?: {
    system?: string;
    user?: string;
    prompt?: string;
    maxTokens: number;
    temperature: number;
    seed?: number;
    stopSequences?: readonly string[];
    jsonSchema?: JsonSchema;
  };
  response: { text: string; finishReason?: GenerationResult['finishReason']; usage?: GenerationResult['usage'] };
}

export class ReplayMissError extends InferenceError {
  override readonly name = 'ReplayMissError';
}

/** The identity of a request: same model, parameters and prompt → same answer under greedy decoding. */
export function requestKey(model: string, request: TextRequest): string {
  const parameters = [request.maxTokens, request.temperature ?? 0, request.seed ?? null];
  const identity: unknown[] = isCompletionRequest(request)
    ? ['complete', model, request.prompt, ...parameters]
    : [model, request.system ?? '', request.user, ...parameters];
  // Options added after the format was fixed join the identity only when set, so older recordings keep their keys.
  const later: Record<string, unknown> = {};
  if (request.stopSequences && request.stopSequences.length > 0) later.stopSequences = request.stopSequences;
  if (request.jsonSchema) later.jsonSchema = request.jsonSchema;
  if (Object.keys(later).length > 0) identity.push(later);
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/**
 * Identity of a prompt alone (model and text, no parameters): recorded token counts are looked
 * up by it, so a replay fits prompts to the context exactly as the recorded run did.
 */
export function promptKey(model: string, request: TextRequest): string {
  const identity = isCompletionRequest(request) ? ['complete', model, request.prompt] : [model, request.system ?? '', request.user];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** A line of a recording that holds no answer but the exact token count of a prompt the run measured. */
interface PromptCountLine {
  promptKey: string;
  promptTokens: number;
}

/** Answers from a replay file instead of a model: reproducible runs, exact outputs in tests. */
export class ReplayProvider implements TextProvider {
  private readonly byKey = new Map<string, ReplayEntry>();
  private readonly byTarget = new Map<string, ReplayEntry[]>();
  /** The line numbers of the lines naming each source file (the part of `target` before any `#unit`). */
  private readonly linesByFile = new Map<string, number[]>();

  private constructor(
    private readonly file: string,
    entries: ReadonlyArray<{ entry: ReplayEntry; line: number }>,
    private readonly model: string,
    private readonly contextSize: number,
    private readonly promptCounts: ReadonlyMap<string, number>
  ) {
    for (const { entry, line } of entries) {
      if (entry.key) this.byKey.set(entry.key, entry);
      else if (entry.target) this.byTarget.set(entry.target, [...(this.byTarget.get(entry.target) ?? []), entry]);
      if (entry.target) {
        const sourceFile = targetFile(entry.target);
        this.linesByFile.set(sourceFile, [...(this.linesByFile.get(sourceFile) ?? []), line]);
      }
    }
  }

  /**
   * One warning naming the lines whose target is none of this run's targets (paths relative to
   * working-directory): they can never be served, and a typo in a hand-written file would
   * otherwise only show as a target with no answer.
   */
  otherTargetsWarning(targets: readonly string[]): string | undefined {
    const wanted = new Set(targets.map(targetFile));
    const others = [...this.linesByFile].filter(([sourceFile]) => !wanted.has(sourceFile));
    if (others.length === 0) return undefined;
    const count = others.reduce((n, [, lines]) => n + lines.length, 0);
    const listed = shortList(
      others.map(([sourceFile, lines]) => `${JSON.stringify(sourceFile)} (line${lines.length === 1 ? '' : 's'} ${shortList(lines.map(String))})`)
    );
    return (
      `replay-file: ${count} line${count === 1 ? '' : 's'} of ${this.file} answer for files that are not targets of this run and are ignored: ${listed}. ` +
      `A line's "target" must be a changed source file this run generates tests for, relative to working-directory${targets.length > 0 ? ` (this run's: ${shortList(targets.map((t) => JSON.stringify(t)))})` : ''}.`
    );
  }

  /**
   * `contextSize` is the run's context-size: prompts are fitted to it, so a replay must claim the
   * size the recording ran with to rebuild the same prompts.
   */
  static async open(file: string, contextSize = 1_048_576): Promise<ReplayProvider> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ReplayMissError(
        `The replay file ${file} cannot be read (${(error as Error).message}). Record one first with replay-mode: record, or fix replay-file.`
      );
    }
    const lines = text
      .split('\n')
      .map((line, i) => ({ line: line.trim(), n: i + 1 }))
      .filter(({ line }) => line !== '');
    const promptCounts = new Map<string, number>();
    const entries: Array<{ entry: ReplayEntry; line: number }> = [];
    for (const { line, n } of lines) {
      const count = promptCountLine(line);
      if (count) promptCounts.set(count.promptKey, count.promptTokens);
      else entries.push({ entry: parseEntry(line, n, file), line: n });
    }
    const model = entries.find(({ entry }) => entry.model)?.entry.model ?? 'replay';
    return new ReplayProvider(file, entries, model, contextSize, promptCounts);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.answer(request);
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.answer(request);
  }

  stream(request: TextRequest): TextStream {
    return streamGeneration(request, (r) => this.answer(r));
  }

  async embed(texts: readonly string[]): Promise<EmbeddingResult> {
    throw new ProviderUnavailableError(
      `Replay files hold no embeddings: ${path.basename(this.file)} can answer chat and completion requests, not embed ${texts.length} text${texts.length === 1 ? '' : 's'}. Embed with a model (model input), not with replay-file.`
    );
  }

  private async answer(request: TextRequest): Promise<GenerationResult> {
    const started = Date.now();
    const entry = this.byKey.get(requestKey(this.model, request)) ?? (request.target ? this.byTarget.get(request.target)?.shift() : undefined);
    if (!entry) {
      throw new ReplayMissError(
        `${this.file} has no answer for this request${request.target ? ` (target ${request.target})` : ''}: the prompt, the model or the parameters changed since it was recorded, or no hand-written line has that target. Record again with replay-mode: record.`
      );
    }
    // A hand-written answer is cut where a model would have stopped; a recorded one never holds its stop sequence.
    const cut = cutAtStopSequence(entry.response.text, request.stopSequences ?? []);
    request.onText?.(cut.text);
    const result: GenerationResult = {
      text: cut.text,
      provider: 'replay',
      model: this.model,
      finishReason: cut.stopSequence !== undefined ? 'stop' : (entry.response.finishReason ?? 'stop'),
      usage: entry.response.usage ?? { promptTokens: 0, completionTokens: 0 },
      timings: { queuedMs: 0, firstTokenMs: 0, generationMs: Date.now() - started, tokensPerSecond: 0 }
    };
    if (cut.stopSequence !== undefined) result.stopSequence = cut.stopSequence;
    if (request.jsonSchema && result.finishReason !== 'abort') {
      try {
        result.json = JSON.parse(result.text) as unknown;
      } catch (error) {
        throw new InvalidJsonOutputError(
          `The replayed answer in ${this.file} is not JSON (${(error as Error).message}), but the request asks for JSON output. Record it again or fix the line.`,
          result.text
        );
      }
    }
    return result;
  }

  countTokens(text: string): number {
    return Math.ceil(text.length / 4);
  }

  /** The count the recorded run measured for this prompt; otherwise an estimate, like countTokens. */
  countPromptTokens(request: TextRequest): number {
    const recorded = this.promptCounts.get(promptKey(this.model, request));
    if (recorded !== undefined) return recorded;
    return isCompletionRequest(request) ? this.countTokens(request.prompt) : this.countTokens(`${request.system ?? ''}${request.user}`);
  }

  info(): ProviderInfo {
    return {
      provider: 'replay',
      model: this.model,
      backend: 'replay',
      hardware: `answers from ${path.basename(this.file)}`,
      threads: 0,
      parallelSequences: 1,
      contextSize: this.contextSize,
      modelLoadMs: 0,
      gpuLayers: 0
    };
  }

  async dispose(): Promise<void> {}
}

/** Wraps a real provider and appends every request and answer to a replay file. */
export class RecordingProvider implements TextProvider {
  private writes: Promise<void> = Promise.resolve();
  private readonly countsWritten = new Set<string>();

  constructor(
    private readonly inner: TextProvider,
    private readonly file: string
  ) {}

  async chat(request: ChatRequest): Promise<GenerationResult> {
    const result = await this.inner.chat(request);
    await this.record(request, result);
    return result;
  }

  async complete(request: CompletionRequest): Promise<GenerationResult> {
    const result = await this.inner.complete(request);
    await this.record(request, result);
    return result;
  }

  /** Streams through chat()/complete(), so the finished answer is recorded like theirs. */
  stream(request: TextRequest): TextStream {
    return streamGeneration(request, (r) => (isCompletionRequest(r) ? this.complete(r) : this.chat(r)));
  }

  /** Not recorded: replay files hold answers, not vectors. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<EmbeddingResult> {
    return this.inner.embed(texts, options);
  }

  private async record(request: TextRequest, result: GenerationResult): Promise<void> {
    const model = this.inner.info().model;
    const parameters = {
      maxTokens: request.maxTokens,
      temperature: request.temperature ?? 0,
      seed: request.seed,
      ...(request.stopSequences && request.stopSequences.length > 0 ? { stopSequences: request.stopSequences } : {}),
      ...(request.jsonSchema ? { jsonSchema: request.jsonSchema } : {})
    };
    const entry: ReplayEntry = {
      key: requestKey(model, request),
      target: request.target,
      model,
      request: isCompletionRequest(request) ? { prompt: request.prompt, ...parameters } : { system: request.system, user: request.user, ...parameters },
      response: { text: result.text, finishReason: result.finishReason, usage: result.usage }
    };
    await this.append(`${JSON.stringify(entry)}\n`);
  }

  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }

  /** Counted by the model and recorded, so a replay (which has no tokenizer) fits prompts the same way. */
  countPromptTokens(request: TextRequest): number {
    const count = this.inner.countPromptTokens(request);
    const key = promptKey(this.inner.info().model, request);
    if (!this.countsWritten.has(key)) {
      this.countsWritten.add(key);
      const line: PromptCountLine = { promptKey: key, promptTokens: count };
      // Token counting is synchronous; a failed write leaves the chain rejected, so the next recorded answer, which awaits it, fails with it.
      this.append(`${JSON.stringify(line)}\n`).catch(() => undefined);
    }
    return count;
  }

  info(): ProviderInfo {
    return this.inner.info();
  }

  async dispose(): Promise<void> {
    await this.writes;
    await this.inner.dispose();
  }

  /** Appends are chained so parallel writers never interleave within a line. */
  private append(text: string): Promise<void> {
    this.writes = this.writes.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, text);
    });
    return this.writes;
  }
}

/** At most `max` items, then how many more: a warning stays readable with a long file. */
function shortList(items: readonly string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `src/a.ts#unit` → `src/a.ts`. */
function targetFile(target: string): string {
  const hash = target.indexOf('#');
  return hash < 0 ? target : target.slice(0, hash);
}

/** The text before the earliest stop sequence in it, and which one that was. */
function cutAtStopSequence(text: string, stopSequences: readonly string[]): { text: string; stopSequence?: string } {
  let first: { at: number; stop: string } | undefined;
  for (const stop of stopSequences) {
    const at = stop === '' ? -1 : text.indexOf(stop);
    if (at >= 0 && (first === undefined || at < first.at)) first = { at, stop };
  }
  return first ? { text: text.slice(0, first.at), stopSequence: first.stop } : { text };
}

function promptCountLine(line: string): PromptCountLine | undefined {
  try {
    const value = JSON.parse(line) as Partial<PromptCountLine>;
    return typeof value.promptKey === 'string' && typeof value.promptTokens === 'number' ? (value as PromptCountLine) : undefined;
  } catch {
    return undefined; // parseEntry reports it
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

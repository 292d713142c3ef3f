import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/Logger.js';
import type { CoverageData } from '../coverage/CoverageData.js';
import type { ChatRequest, GenerationResult, TextProvider } from '../inference/TextProvider.js';
import { cancellationSignal } from '../process/cancellation.js';
import { buildPrompt, buildRepairPrompt, type Prompt } from './buildPrompt.js';
import { extractCode } from './extractCode.js';
import type { TestPlacement } from './TestLayout.js';

/** One target's exchange with the model: the prompt, every answer (first, then repairs) and the code. */
export interface Generation {
  /** The source file, relative to the package the tests run in. */
  target: string;
  /** The same file relative to the repository: what requests carry (replay files are keyed by it). */
  requestTarget: string;
  placement: TestPlacement;
  /** Who answers this target's requests, repairs included: the provider its routing decision chose. */
  provider: TextProvider;
  prompt?: Prompt;
  answers: GenerationResult[];
  /** Why the first answer produced no code (the model failed, or wrote none). */
  error?: string;
  code?: string;
}

/** What the prompt for one target concentrates on. */
export interface TargetFocus {
  /** Lines to cover first: changed lines no test reaches, or every uncovered line when the changes are unknown. */
  uncoveredLines: number[];
  changedUnits?: Array<{ name: string; signature: string; complexity: number; lines: number }>;
  importSignatures?: string;
}

export interface GenerationSettings {
  /** The package's directory (absolute); targets are relative to it. */
  repoDir: string;
  /** The package's directory relative to the repository ('' for the root). */
  packageDir: string;
  framework: 'jest' | 'vitest';
  maxTokens: number;
  /** Existing tests of the repository, one of which is shown as the style to follow. */
  existingTests: readonly string[];
  baseline: CoverageData;
}

const PROGRESS_INTERVAL_MS = 10_000;
const MIN_PROMPT_CHARS = 1000;

/** One target to write a test file for, and the provider its routing decision chose. */
export interface GenerationTask {
  target: string;
  placement: TestPlacement;
  focus?: TargetFocus;
  provider: TextProvider;
}

/**
 * Asks for one test file per target, all at once: each provider queues its requests over its
 * parallel sequences. Progress lines keep a long run from looking stalled.
 */
export async function generateCandidates(tasks: readonly GenerationTask[], settings: GenerationSettings, logger: Logger): Promise<Generation[]> {
  return Promise.all(
    tasks.map(async ({ target, placement, focus, provider }, i) => {
      const generation: Generation = {
        target,
        requestTarget: settings.packageDir ? path.posix.join(settings.packageDir, target) : target,
        placement,
        provider,
        answers: []
      };
      const label = `[${i + 1}/${tasks.length}] ${generation.requestTarget}`;
      try {
        generation.prompt = await promptFor(target, placement, focus, provider, settings);
        const answer = await ask(provider, generation.prompt, generation.prompt.user, generation.requestTarget, settings.maxTokens, label, logger);
        generation.answers.push(answer);
        generation.code = extractCode(answer.text);
        if (generation.code === undefined) {
          generation.error = `the answer held no test code${answer.finishReason === 'length' ? ' (it was cut at max-tokens; raise max-tokens)' : ''}`;
        }
      } catch (error) {
        generation.error = `the model failed: ${(error as Error).message}`;
        logger.warn(`${label}: generation failed: ${(error as Error).message}`);
      }
      return generation;
    })
  );
}

/** Asks the model to fix a failed file; the answer's code, or undefined when it wrote none. */
export async function repairCandidate(
  generation: Generation,
  previousCode: string,
  failure: string,
  maxTokens: number,
  logger: Logger
): Promise<string | undefined> {
  if (!generation.prompt) return undefined;
  const prompt = buildRepairPrompt(generation.prompt, generation.placement.testFile, previousCode, failure);
  const answer = await ask(
    generation.provider,
    prompt,
    generation.prompt.user,
    generation.requestTarget,
    maxTokens,
    `repair ${generation.requestTarget}`,
    logger
  );
  generation.answers.push(answer);
  return extractCode(answer.text);
}

async function promptFor(
  target: string,
  placement: TestPlacement,
  focus: TargetFocus | undefined,
  provider: TextProvider,
  settings: GenerationSettings
): Promise<Prompt> {
  const source = await readFile(path.join(settings.repoDir, target), 'utf8');
  const exampleFile = placement.siblingTest ?? settings.existingTests[0];
  const example = exampleFile ? { file: exampleFile, content: await readFile(path.join(settings.repoDir, exampleFile), 'utf8').catch(() => '') } : undefined;
  const build = (maxChars: number): Prompt =>
    buildPrompt({
      framework: settings.framework,
      sourceFile: target,
      source,
      placement,
      example,
      uncoveredLines: focus?.uncoveredLines ?? settings.baseline.uncoveredLines(target),
      ...(focus?.changedUnits ? { changedUnits: focus.changedUnits } : {}),
      ...(focus?.importSignatures ? { importSignatures: focus.importSignatures } : {}),
      maxChars
    });
  // The answer's tokens are reserved; the prompt, chat template included, gets the rest.
  const budget = provider.info().contextSize - settings.maxTokens;
  // Code runs 3-4 characters per token; the floor of 2.5 nearly always fits at once, so the prompt does not
  // depend on the tokenizer and a replay (which has none) rebuilds it exactly. The real count is the guard.
  let maxChars = Math.max(MIN_PROMPT_CHARS, Math.floor(budget * 2.5));
  let prompt = build(maxChars);
  for (let i = 0; i < 3; i++) {
    const tokens = provider.countPromptTokens({ system: prompt.system, user: prompt.user, maxTokens: settings.maxTokens });
    if (tokens <= budget || maxChars <= MIN_PROMPT_CHARS) break;
    // Scaled from the prompt as built (it may be far below maxChars), by this tokenizer's own ratio.
    const chars = prompt.system.length + prompt.user.length;
    maxChars = Math.max(MIN_PROMPT_CHARS, Math.floor((Math.min(maxChars, chars) * budget * 0.95) / tokens));
    prompt = build(maxChars);
  }
  return prompt;
}

/**
 * One request. `resent` is the start of the user text every round for this target sends again (the first prompt,
 * which a repair repeats): a cloud provider caches it, so a repair round reads it from the prompt cache instead of
 * paying for it again; local providers ignore it.
 */
async function ask(
  provider: TextProvider,
  prompt: Prompt,
  resent: string,
  target: string,
  maxTokens: number,
  label: string,
  logger: Logger
): Promise<GenerationResult> {
  let tokens = 0;
  let lastLog = Date.now();
  const request: ChatRequest & { cacheableUserPrefix: string } = {
    system: prompt.system,
    user: prompt.user,
    cacheableUserPrefix: resent,
    maxTokens,
    temperature: 0,
    target,
    // A cancelled run stops generating at once; the pipeline discards what was cut short.
    signal: cancellationSignal(),
    onText: () => {
      tokens++;
      if (Date.now() - lastLog >= PROGRESS_INTERVAL_MS) {
        lastLog = Date.now();
        logger.info(`  ${label}: ~${tokens} tokens so far…`);
      }
    }
  };
  const answer = await provider.chat(request);
  logger.info(
    `  ${label}: ${answer.usage.completionTokens} tokens in ${(answer.timings.generationMs / 1000).toFixed(1)} s (${answer.timings.tokensPerSecond.toFixed(1)} tokens/s)${answer.finishReason === 'length' ? ', cut at max-tokens' : ''}`
  );
  return answer;
}

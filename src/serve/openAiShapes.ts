import { randomBytes } from 'node:crypto';
import type { GenerationResult } from '../inference/TextProvider.js';

/** OpenAI's finish reasons for what the provider reports; an aborted answer is never sent (its client is gone). */
export type OpenAiFinishReason = 'stop' | 'length';

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The identity every chunk of one answer shares, as OpenAI's clients join a stream by it. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newCompletionIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

export function openAiFinishReason(result: Pick<GenerationResult, 'finishReason'>): OpenAiFinishReason {
  return result.finishReason === 'length' ? 'length' : 'stop';
}

export function openAiUsage(usage: GenerationResult['usage']): OpenAiUsage {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

/** A whole `chat.completion` object. */
export function chatCompletion(identity: CompletionIdentity, text: string, finishReason: OpenAiFinishReason, usage: OpenAiUsage): Record<string, unknown> {
  return {
    ...identity,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage
  };
}

/** One `chat.completion.chunk`: a piece of text (the first also says the role), or the last with its finish reason. */
export function chatChunk(
  identity: CompletionIdentity,
  delta: { role?: 'assistant'; content?: string },
  finishReason: OpenAiFinishReason | null
): Record<string, unknown> {
  return { ...identity, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
}

/** The usage chunk that ends a stream asked for with `stream_options.include_usage`: no choices, only usage. */
export function usageChunk(identity: CompletionIdentity, usage: OpenAiUsage): Record<string, unknown> {
  return { ...identity, object: 'chat.completion.chunk', choices: [], usage };
}

/** `GET /v1/models`: the one model this server holds. */
export function modelList(model: string, created: number): Record<string, unknown> {
  return { object: 'list', data: [{ id: model, object: 'model', created, owned_by: 'aqe' }] };
}

import type { Message, MessageCreateParamsBase, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { InferenceError } from '../errors.js';
import type { ChatRequest, GenerationResult } from '../TextProvider.js';

/** Anthropic-only request options, on top of the shared ChatRequest. */
export interface AnthropicChatOptions {
  /**
   * The leading part of `user` that later requests send again unchanged (the code under test and its context, resent
   * with each repair round): it becomes its own text block with a cache breakpoint, so a repair round reads it from the
   * prompt cache instead of paying for it again.
   */
  cacheableUserPrefix?: string;
}

export type AnthropicChatRequest = ChatRequest & AnthropicChatOptions;

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * The Messages API body for a chat request. The system prompt (the fixed instructions every request of a run shares)
 * is always a cache breakpoint: the API caches the prefix up to it, so only the first request of a run pays full
 * price for it. A prefix shorter than the model's minimum cacheable length is simply not cached.
 */
export function messageParams(request: AnthropicChatRequest, model: string): MessageCreateParamsBase {
  // temperature and seed are not sent: this API version has no sampling parameters (the model chooses), and no seed.
  const params: MessageCreateParamsBase = {
    model,
    max_tokens: request.maxTokens,
    messages: [{ role: 'user', content: userContent(request) }]
  };
  if (request.system) params.system = [{ type: 'text', text: request.system, cache_control: EPHEMERAL }];
  // The API rejects empty and whitespace-only stop sequences; they could never match anyway.
  const stops = (request.stopSequences ?? []).filter((stop) => stop.trim() !== '');
  if (stops.length > 0) params.stop_sequences = stops;
  if (request.jsonSchema) params.output_config = { format: { type: 'json_schema', schema: { ...request.jsonSchema } } };
  return params;
}

function userContent(request: AnthropicChatRequest): string | TextBlockParam[] {
  const prefix = request.cacheableUserPrefix;
  if (prefix === undefined || prefix === '') return request.user;
  if (!request.user.startsWith(prefix)) {
    throw new InferenceError("cacheableUserPrefix must be the start of the request's user text: pass the part every round sends unchanged.");
  }
  const rest = request.user.slice(prefix.length);
  // The API rejects empty text blocks.
  const blocks: TextBlockParam[] = [{ type: 'text', text: prefix, cache_control: EPHEMERAL }];
  if (rest !== '') blocks.push({ type: 'text', text: rest });
  return blocks;
}

/** The parts of a Message the provider reads, checked: a proxy or a broken endpoint may send anything. */
export interface MessageOutcome {
  text: string;
  finishReason: GenerationResult['finishReason'];
  stopSequence?: string;
  usage: GenerationResult['usage'];
}

/** Returns a description of what is wrong when `message` is not a Messages API answer. */
export function readMessage(message: unknown): MessageOutcome | string {
  if (typeof message !== 'object' || message === null) return `the body is ${message === null ? 'null' : typeof message}, not a message object`;
  const { content, usage, stop_reason: stopReason, stop_sequence: stopSequence } = message as Partial<Message>;
  if (!Array.isArray(content)) return 'it has no "content" array';
  const mapped = mapUsage(usage);
  if (typeof mapped === 'string') return mapped;
  const text = content
    .filter((block): block is Extract<Message['content'][number], { type: 'text' }> => block?.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text)
    .join('');
  const outcome: MessageOutcome = { text, finishReason: finishReason(stopReason ?? null), usage: mapped };
  if (stopReason === 'stop_sequence' && typeof stopSequence === 'string') outcome.stopSequence = stopSequence;
  return outcome;
}

/**
 * promptTokens is every input token, as the interface counts them: the API reports the uncached part, the part read
 * from the cache and the part written to it separately.
 */
export function mapUsage(usage: unknown): GenerationResult['usage'] | string {
  if (typeof usage !== 'object' || usage === null) return 'it has no "usage" object';
  const fields = usage as Partial<Record<'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens', unknown>>;
  if (typeof fields.input_tokens !== 'number' || typeof fields.output_tokens !== 'number') return '"usage" lacks input_tokens or output_tokens';
  const cacheRead = typeof fields.cache_read_input_tokens === 'number' ? fields.cache_read_input_tokens : 0;
  const cacheWrite = typeof fields.cache_creation_input_tokens === 'number' ? fields.cache_creation_input_tokens : 0;
  return {
    promptTokens: fields.input_tokens + cacheRead + cacheWrite,
    completionTokens: fields.output_tokens,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite
  };
}

function finishReason(stopReason: Message['stop_reason']): GenerationResult['finishReason'] {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    default:
      // end_turn, stop_sequence, refusal, pause_turn, tool_use (no tools are offered): the model ended the answer.
      return 'stop';
  }
}

import * as z from 'zod';
import type { ChatRequest, JsonSchema } from '../inference/TextProvider.js';
import { ServeError } from './ServeError.js';

/** OpenAI's own limit on stop sequences. */
const MAX_STOP_SEQUENCES = 4;

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const content = z.union([z.string(), z.array(textPart)]);
const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: content.nullable().optional()
});

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()), strict: z.boolean().nullable().optional() })
  })
]);

/**
 * The fields of OpenAI's chat-completion request that `aqe serve` honours. Other fields clients send by habit
 * (top_p, user, presence_penalty…) are ignored, as llama-server does; `n` above 1 is refused, not ignored, because
 * the client would wait for choices that never come.
 */
const chatBody = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z
    .union([z.string().min(1), z.array(z.string().min(1)).max(MAX_STOP_SEQUENCES)])
    .nullable()
    .optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.literal(1).nullable().optional(),
  response_format: responseFormat.nullable().optional()
});

/** A checked chat request: what the provider is asked, and how the answer goes back. */
export interface ParsedChatRequest {
  model: string;
  /** The provider request, without maxTokens when the client left it to the server, and without signal or onText. */
  request: Omit<ChatRequest, 'maxTokens'> & { maxTokens?: number };
  stream: boolean;
  /** A stream ends with a usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
}

/**
 * Checks a chat-completion body and turns it into a provider request. The provider answers one turn: system (and
 * developer) messages become the system prompt, the user messages its one user message; an earlier assistant turn
 * cannot be given to it, so such a conversation is refused instead of being answered out of context.
 */
export function parseChatRequest(body: unknown): ParsedChatRequest {
  const parsed = chatBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.map(String).join('.');
    throw new ServeError(
      400,
      'invalid_request_error',
      'invalid_request',
      `The request body is not a chat completion request aqe serve accepts: ${param || 'the body'}: ${issue.message}. Send model, messages and the optional max_tokens, temperature, seed, stop, stream and response_format as OpenAI documents them.`,
      param ? { param } : {}
    );
  }
  const b = parsed.data;
  const system: string[] = [];
  const user: string[] = [];
  for (const [index, m] of b.messages.entries()) {
    const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((part) => part.text).join('');
    if (m.role === 'assistant' || m.role === 'tool') {
      throw new ServeError(
        400,
        'invalid_request_error',
        'unsupported_conversation',
        `messages.${index} has the role "${m.role}": aqe serve answers one turn (system and user messages), not a conversation with earlier answers. Send the system prompt and the user message only.`,
        { param: `messages.${index}.role` }
      );
    }
    (m.role === 'user' ? user : system).push(text);
  }
  if (user.length === 0) {
    throw new ServeError(400, 'invalid_request_error', 'invalid_request', 'messages has no user message: add one with the text to answer.', {
      param: 'messages'
    });
  }
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  const stop = b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop;
  const request: ParsedChatRequest['request'] = {
    user: user.join('\n\n'),
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    temperature: b.temperature ?? 0,
    ...(b.seed != null ? { seed: b.seed } : {}),
    ...(stop.length > 0 ? { stopSequences: stop } : {}),
    ...(b.response_format?.type === 'json_schema' ? { jsonSchema: b.response_format.json_schema.schema as JsonSchema } : {})
  };
  return { model: b.model, request, stream: b.stream === true, includeUsage: b.stream_options?.include_usage === true };
}

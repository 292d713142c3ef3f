/**
 * A byte-level BPE ("gpt2") vocabulary with ChatML control tokens, shared by the synthetic models.
 *
 * llama.cpp's gpt2 tokenizer maps every byte to a printable unicode character (GPT-2's bytes_to_unicode) before
 * looking tokens up, and maps them back in token_to_piece, where a character outside that alphabet throws. So every
 * token text here is written in that alphabet. With no merges, text is always tokenized into single-byte tokens,
 * which is what lets extra tokens (chain pieces, fillers) exist in the vocabulary without ever being produced from
 * prompt text.
 */
import { GgufValue, type GgufMetadataValue } from './GgufWriter.js';

/** llama_token_type values stored in `tokenizer.ggml.token_type`. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCodePoint(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + next++);
  }
  return table;
}

/** GPT-2 bytes_to_unicode: index = byte value. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** Encodes text's UTF-8 bytes in the GPT-2 byte alphabet, the form token texts take in a gpt2 vocabulary. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += BYTE_TO_UNICODE[byte];
  return out;
}

export const ENDOFTEXT = '<|endoftext|>';
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/**
 * The usual ChatML template (as in Qwen2 instruct models), so node-llama-cpp resolves it to its ChatML wrapper,
 * whose stop triggers include EOS and <|im_end|>.
 */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Token ids of the fixed part of the vocabulary: bytes 0..255 at their byte value, then the control tokens. */
export const BYTE_TOKEN_COUNT = 256;
export const ENDOFTEXT_ID = 256;
export const IM_START_ID = 257;
export const IM_END_ID = 258;
export const BASE_VOCAB_SIZE = 259;

export interface ChatmlVocabulary {
  readonly tokens: string[];
  readonly tokenTypes: number[];
}

/** Bytes and control tokens; callers append their own NORMAL tokens (already in the byte alphabet). */
export function createBaseVocabulary(): ChatmlVocabulary {
  const tokens = [...BYTE_TO_UNICODE, ENDOFTEXT, IM_START, IM_END];
  const tokenTypes = [...new Array<number>(BYTE_TOKEN_COUNT).fill(TokenType.NORMAL), TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL];
  return { tokens, tokenTypes };
}

/**
 * Tokenizer metadata. EOS is <|im_end|> like ChatML-tuned models, so a reply ends with the token that closes the
 * turn; llama.cpp also treats <|endoftext|> as end-of-generation by its text.
 */
export function chatmlTokenizerMetadata(vocabulary: ChatmlVocabulary): Record<string, GgufMetadataValue> {
  const unique = new Set(vocabulary.tokens);
  if (unique.size !== vocabulary.tokens.length) throw new Error('vocabulary has duplicate token texts');
  return {
    'tokenizer.ggml.model': 'gpt2',
    // llama.cpp throws for an unknown pre-tokenizer name; "default" is the GPT-2 regex split.
    'tokenizer.ggml.pre': 'default',
    'tokenizer.ggml.tokens': GgufValue.strings(vocabulary.tokens),
    'tokenizer.ggml.token_type': GgufValue.int32s(vocabulary.tokenTypes),
    // Required by llama.cpp for gpt2 vocabularies, and deliberately empty (see the file comment).
    'tokenizer.ggml.merges': GgufValue.strings([]),
    'tokenizer.ggml.bos_token_id': GgufValue.uint32(ENDOFTEXT_ID),
    'tokenizer.ggml.eos_token_id': GgufValue.uint32(IM_END_ID),
    'tokenizer.ggml.padding_token_id': GgufValue.uint32(ENDOFTEXT_ID),
    'tokenizer.ggml.add_bos_token': false,
    'tokenizer.chat_template': CHATML_TEMPLATE
  };
}

/**
 * A tiny llama-architecture model whose greedy decoding emits one fixed text whatever the prompt, so the product's
 * pipeline and tests can run end to end through real llama.cpp inference with a known "model answer".
 *
 * How it works: token embeddings are one-hot (n_embd >= n_vocab) and every attention/FFN weight is zero, so the
 * residual stream at each position is just the current token's one-hot vector; after the output RMS norm it is
 * sqrt(n_embd) * e_token, and `output.weight` then acts as a lookup table token -> next token. The text is split into
 * "chain" tokens that the tokenizer can never produce from input text (the vocabulary has no merges, so input is
 * always byte tokens); every non-chain token points to chain[0], chain[i] to chain[i+1], and the last one to EOS.
 * Because chain tokens are pairwise distinct, each one appears once in the output and repeat penalties never touch
 * the token that must come next.
 */
import {
  BASE_VOCAB_SIZE,
  chatmlTokenizerMetadata,
  createBaseVocabulary,
  ENDOFTEXT,
  IM_END,
  IM_END_ID,
  IM_START,
  TokenType,
  toByteLevel
} from './chatmlTokenizer.js';
import { GgufValue, writeGgufFile, type GgufContent, type GgufTensor, type GgufTensorType } from './GgufWriter.js';

const HEAD_DIM = 64;
const FEED_FORWARD_LENGTH = 32;
export const TEXT_CHAIN_CONTEXT_LENGTH = 32768;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Splits text into pieces that are pairwise distinct, at least 2 UTF-8 bytes long (so none equals a byte token) and
 * made of whole code points (so each token detokenizes to valid UTF-8 on its own, and streamed output never holds
 * half a character). Greedy: a piece grows until it is new; a tail that cannot become new is merged into the previous
 * piece. Concatenating the pieces gives the text back.
 */
export function splitIntoChainPieces(text: string, reserved: Iterable<string> = [ENDOFTEXT, IM_START, IM_END]): string[] {
  if (LONE_SURROGATE.test(text)) throw new RangeError('text contains a lone UTF-16 surrogate, which has no UTF-8 form');
  const codePoints = Array.from(text);
  const seen = new Set<string>(reserved);
  const pieces: string[] = [];
  let index = 0;
  while (index < codePoints.length) {
    let piece = '';
    while (index < codePoints.length && (piece === '' || Buffer.byteLength(piece, 'utf8') < 2 || seen.has(piece))) {
      piece += codePoints[index++];
    }
    if (Buffer.byteLength(piece, 'utf8') < 2 || seen.has(piece)) {
      // Ran out of text: fold the tail into earlier pieces until the result is new.
      while (pieces.length > 0 && (Buffer.byteLength(piece, 'utf8') < 2 || seen.has(piece))) {
        const previous = pieces.pop()!;
        seen.delete(previous);
        piece = previous + piece;
      }
    }
    seen.add(piece);
    pieces.push(piece);
  }
  return pieces;
}

export interface TextChainModelOptions {
  /** Type of the two vocabulary-sized matrices. F16 halves the file and is exact for the 0/1 values used. */
  readonly matrixType?: Extract<GgufTensorType, 'F32' | 'F16'>;
  /** `general.name`; avoid names node-llama-cpp maps to other chat formats (e.g. containing "llama 3"). */
  readonly name?: string;
}

interface ChainPlan {
  readonly tokens: string[];
  readonly tokenTypes: number[];
  /** next[token] = the token greedy decoding must emit after it. */
  readonly next: Int32Array;
  readonly pieces: string[];
}

function planChain(text: string): ChainPlan {
  const vocabulary = createBaseVocabulary();
  const tokens = vocabulary.tokens;
  const tokenTypes = vocabulary.tokenTypes;
  const rawPieces = splitIntoChainPieces(text);
  let chainIds: number[];
  if (rawPieces.length === 1 && Buffer.byteLength(rawPieces[0]!, 'utf8') === 1) {
    // A one-byte text cannot get a distinct token: reuse the byte token itself. Only a prompt whose last token is
    // that byte (for ChatML prompts: "\n") would then answer with nothing.
    chainIds = [Buffer.from(rawPieces[0]!, 'utf8')[0]!];
  } else {
    chainIds = rawPieces.map((piece, i) => {
      tokens.push(toByteLevel(piece));
      tokenTypes.push(TokenType.NORMAL);
      return BASE_VOCAB_SIZE + i;
    });
  }
  const next = new Int32Array(tokens.length).fill(chainIds[0] ?? IM_END_ID);
  for (let i = 0; i < chainIds.length; i++) next[chainIds[i]!] = chainIds[i + 1] ?? IM_END_ID;
  return { tokens, tokenTypes, next, pieces: rawPieces };
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function constant(shape: readonly number[], value: number): Float32Array {
  return new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
}

/**
 * Builds the model; tensor data is produced lazily, row by row, when written. The file grows with the square of the
 * vocabulary (about 4 bytes x n_vocab^2 with F16), roughly 3 MB for a 1,500-character text.
 *
 * Limits: in a chat session, a text containing the literal string "<|im_end|>" is cut there (node-llama-cpp's ChatML
 * wrapper also stops on it as plain text); and the one-byte text "\n" comes back empty after any prompt ending with a
 * newline, as every ChatML prompt does (see planChain).
 */
export function buildTextChainModel(text: string, options: TextChainModelOptions = {}): GgufContent {
  const matrixType = options.matrixType ?? 'F16';
  const { tokens, tokenTypes, next } = planChain(text);
  const nVocab = tokens.length;
  const nEmbd = roundUp(nVocab, 64);

  // Rows of output.weight: row j holds a 1 in every column i with next[i] === j.
  const sources: number[][] = Array.from({ length: nVocab }, () => []);
  for (let i = 0; i < nVocab; i++) sources[next[i]!]!.push(i);

  const oneHotRows = (columnsOf: (row: number) => Iterable<number>) =>
    function* rows(): Iterable<Float32Array> {
      const row = new Float32Array(nEmbd);
      for (let r = 0; r < nVocab; r++) {
        row.fill(0);
        for (const column of columnsOf(r)) row[column] = 1;
        yield row;
      }
    };

  const zeros = (name: string, shape: number[]): GgufTensor => ({ name, shape, type: 'F32', data: constant(shape, 0) });
  const ones = (name: string, shape: number[]): GgufTensor => ({ name, shape, type: 'F32', data: constant(shape, 1) });

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', shape: [nEmbd, nVocab], type: matrixType, data: { values: oneHotRows((r) => [r]) } },
    // llama.cpp's norms are computed in F32 and it rejects other types for them.
    ones('blk.0.attn_norm.weight', [nEmbd]),
    // One head of HEAD_DIM (key_length/value_length below) instead of n_embd/64 heads keeps these tiny.
    zeros('blk.0.attn_q.weight', [nEmbd, HEAD_DIM]),
    zeros('blk.0.attn_k.weight', [nEmbd, HEAD_DIM]),
    zeros('blk.0.attn_v.weight', [nEmbd, HEAD_DIM]),
    zeros('blk.0.attn_output.weight', [HEAD_DIM, nEmbd]),
    ones('blk.0.ffn_norm.weight', [nEmbd]),
    zeros('blk.0.ffn_gate.weight', [nEmbd, FEED_FORWARD_LENGTH]),
    zeros('blk.0.ffn_up.weight', [nEmbd, FEED_FORWARD_LENGTH]),
    zeros('blk.0.ffn_down.weight', [FEED_FORWARD_LENGTH, nEmbd]),
    ones('output_norm.weight', [nEmbd]),
    { name: 'output.weight', shape: [nEmbd, nVocab], type: matrixType, data: { values: oneHotRows((r) => sources[r]!) } }
  ];

  return {
    metadata: {
      'general.architecture': 'llama',
      'general.name': options.name ?? 'text-chain',
      'general.file_type': GgufValue.uint32(matrixType === 'F16' ? 1 : 0),
      'general.alignment': GgufValue.uint32(32),
      'llama.context_length': GgufValue.uint32(TEXT_CHAIN_CONTEXT_LENGTH),
      'llama.embedding_length': GgufValue.uint32(nEmbd),
      'llama.block_count': GgufValue.uint32(1),
      'llama.feed_forward_length': GgufValue.uint32(FEED_FORWARD_LENGTH),
      'llama.attention.head_count': GgufValue.uint32(1),
      'llama.attention.head_count_kv': GgufValue.uint32(1),
      'llama.attention.key_length': GgufValue.uint32(HEAD_DIM),
      'llama.attention.value_length': GgufValue.uint32(HEAD_DIM),
      'llama.attention.layer_norm_rms_epsilon': GgufValue.float32(1e-5),
      'llama.rope.dimension_count': GgufValue.uint32(HEAD_DIM),
      'llama.rope.freq_base': GgufValue.float32(10000),
      'llama.vocab_size': GgufValue.uint32(nVocab),
      ...chatmlTokenizerMetadata({ tokens, tokenTypes })
    },
    tensors
  };
}

export interface TextChainModelFile {
  readonly path: string;
  readonly bytes: number;
  readonly vocabSize: number;
}

export async function writeTextChainModel(path: string, text: string, options: TextChainModelOptions = {}): Promise<TextChainModelFile> {
  const content = buildTextChainModel(text, options);
  const bytes = await writeGgufFile(path, content);
  const tokens = content.metadata['tokenizer.ggml.tokens'];
  const vocabSize = typeof tokens === 'object' && tokens.type === 'array' ? tokens.value.length : 0;
  return { path, bytes, vocabSize };
}

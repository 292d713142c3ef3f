/**
 * Llama-architecture models with random weights and realistic shapes, for speed benchmarks without downloading a
 * model. The output is gibberish; what matters is that llama.cpp does the same amount of work per token as for a real
 * model of that shape and type. Weights are encoded straight into their ggml type from a seeded PRNG, one 1 MiB
 * chunk at a time, so writing a 500 MB model takes seconds and little memory, and the same seed gives the same file.
 */
import { BASE_VOCAB_SIZE, BYTE_TO_UNICODE, chatmlTokenizerMetadata, createBaseVocabulary, TokenType } from './chatmlTokenizer.js';
import { float32ToFloat16Bits } from './float16.js';
import {
  encodeGgufHeader,
  GgufValue,
  tensorByteSize,
  tensorElementCount,
  writeGgufFile,
  type GgufContent,
  type GgufTensor,
  type GgufTensorType
} from './GgufWriter.js';

export type RandomModelWeightType = 'f16' | 'q8_0' | 'f32';

export interface RandomLlamaModelOptions {
  readonly nEmbd: number;
  readonly nLayer: number;
  readonly nFf: number;
  readonly nHead: number;
  readonly nHeadKv: number;
  /** At least 259 (256 bytes + 3 ChatML control tokens); the rest are filler word tokens. */
  readonly nVocab: number;
  readonly type: RandomModelWeightType;
  readonly seed: number;
  /** `llama.context_length` (default 4096). */
  readonly contextLength?: number;
  readonly name?: string;
}

export interface RandomLlamaModelFile {
  readonly path: string;
  readonly bytes: number;
  readonly parameterCount: number;
}

/** Weights are uniform in (-AMPLITUDE, AMPLITUDE): std ~0.018, the order of trained LLM weights. */
const AMPLITUDE = 2 ** -5;
const CHUNK_BYTES = 1 << 20;

const TENSOR_TYPE: Readonly<Record<RandomModelWeightType, GgufTensorType>> = { f16: 'F16', q8_0: 'Q8_0', f32: 'F32' };
const FILE_TYPE: Readonly<Record<RandomModelWeightType, number>> = { f32: 0, f16: 1, q8_0: 7 };

/** sfc32, seeded through splitmix32: fast in JS (32-bit integer ops only) and good enough for weights. */
class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d + 1) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /**
   * Uniform half floats in (-2^-5, 2^-5) built from bits directly: a geometric exponent (leading zeros of random
   * bits) with a uniform mantissa is a uniform magnitude, without any float conversion.
   */
  fillF16(target: Uint16Array): void {
    for (let i = 0; i < target.length; i++) {
      const r = this.nextUint32();
      const exponent = 9 - (Math.clz32((r >>> 10) & 0x1fffff) - 11);
      target[i] = exponent <= 0 ? 0 : ((r >>> 16) & 0x8000) | (exponent << 10) | (r & 0x3ff);
    }
  }

  fillF32(target: Float32Array): void {
    for (let i = 0; i < target.length; i++) target[i] = (this.nextUint32() / 2 ** 31 - 1) * AMPLITUDE;
  }

  /** Q8_0 blocks (f16 scale + 32 int8) with the scale that maps int8 onto the same range as the float types. */
  fillQ8_0(target: Uint8Array, blocks: number): void {
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    for (let block = 0; block < blocks; block++) {
      const offset = block * 34;
      view.setUint16(offset, Q8_0_SCALE, true);
      for (let j = 0; j < 32; j += 4) {
        const r = this.nextUint32();
        target[offset + 2 + j] = r & 0xff;
        target[offset + 3 + j] = (r >>> 8) & 0xff;
        target[offset + 4 + j] = (r >>> 16) & 0xff;
        target[offset + 5 + j] = r >>> 24;
      }
    }
  }
}

const Q8_0_SCALE = float32ToFloat16Bits(AMPLITUDE / 127);

/** Distinct seeds per tensor, so a tensor's content does not depend on which tensors come before it. */
function tensorSeed(seed: number, name: string): number {
  let hash = seed ^ 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function randomTensorData(type: GgufTensorType, shape: readonly number[], seed: number): GgufTensor['data'] {
  const totalBytes = tensorByteSize(type, shape);
  return {
    encoded: function* encoded(): Iterable<Uint8Array> {
      const rng = new Sfc32(seed);
      // Chunks hold whole Q8_0 blocks; for the other types CHUNK_BYTES is a multiple of the element size.
      const chunkBytes = type === 'Q8_0' ? Math.floor(CHUNK_BYTES / 34) * 34 : CHUNK_BYTES;
      const buffer = new Uint8Array(Math.min(chunkBytes, totalBytes));
      for (let done = 0; done < totalBytes;) {
        const bytes = Math.min(buffer.length, totalBytes - done);
        const chunk = buffer.subarray(0, bytes);
        if (type === 'F16') rng.fillF16(new Uint16Array(chunk.buffer, 0, bytes / 2));
        else if (type === 'F32') rng.fillF32(new Float32Array(chunk.buffer, 0, bytes / 4));
        else rng.fillQ8_0(chunk, bytes / 34);
        done += bytes;
        yield chunk;
      }
    }
  };
}

/** Bijective base-26 ("a", ..., "z", "aa", ...), so every filler token text is distinct. */
function fillerWord(index: number): string {
  let word = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) word = String.fromCharCode(97 + ((n - 1) % 26)) + word;
  return word;
}

function validate(options: RandomLlamaModelOptions): void {
  const { nEmbd, nLayer, nFf, nHead, nHeadKv, nVocab, type } = options;
  for (const [name, value] of Object.entries({ nEmbd, nLayer, nFf, nHead, nHeadKv, nVocab })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (TENSOR_TYPE[type] === undefined) throw new RangeError(`type must be f16, q8_0 or f32, got ${String(type)}`);
  if (nEmbd % nHead !== 0) throw new RangeError(`nEmbd (${nEmbd}) must be a multiple of nHead (${nHead})`);
  if ((nEmbd / nHead) % 2 !== 0) throw new RangeError(`the head size nEmbd/nHead (${nEmbd / nHead}) must be even for RoPE`);
  if (nHead % nHeadKv !== 0) throw new RangeError(`nHead (${nHead}) must be a multiple of nHeadKv (${nHeadKv})`);
  if (nVocab < BASE_VOCAB_SIZE) throw new RangeError(`nVocab must be at least ${BASE_VOCAB_SIZE}, got ${nVocab}`);
  if (type === 'q8_0') {
    const headDim = nEmbd / nHead;
    // Every matrix's ne[0] must hold whole 32-element blocks.
    for (const [name, value] of Object.entries({ nEmbd, nFf, 'nHead*headDim': nHead * headDim })) {
      if (value % 32 !== 0) throw new RangeError(`q8_0 needs ${name} (${value}) to be a multiple of 32`);
    }
  }
}

export function buildRandomLlamaModel(options: RandomLlamaModelOptions): GgufContent {
  validate(options);
  const { nEmbd, nLayer, nFf, nHead, nHeadKv, nVocab, type, seed } = options;
  const headDim = nEmbd / nHead;
  const weightType = TENSOR_TYPE[type];

  const vocabulary = createBaseVocabulary();
  for (let i = 0; vocabulary.tokens.length < nVocab; i++) {
    // A leading space (Ġ) like most word tokens of real BPE vocabularies, so detokenized output reads as words.
    vocabulary.tokens.push(BYTE_TO_UNICODE[0x20] + fillerWord(i));
    vocabulary.tokenTypes.push(TokenType.NORMAL);
  }

  const random = (name: string, shape: number[]): GgufTensor => ({
    name,
    shape,
    type: weightType,
    data: randomTensorData(weightType, shape, tensorSeed(seed, name))
  });
  const ones = (name: string): GgufTensor => ({ name, shape: [nEmbd], type: 'F32', data: new Float32Array(nEmbd).fill(1) });

  const tensors: GgufTensor[] = [random('token_embd.weight', [nEmbd, nVocab]), ones('output_norm.weight')];
  tensors.push({
    name: 'output.weight',
    shape: [nEmbd, nVocab],
    type: weightType,
    data: outputWithSilentControlTokens(weightType, nEmbd, nVocab, tensorSeed(seed, 'output.weight'))
  });
  for (let layer = 0; layer < nLayer; layer++) {
    const blk = `blk.${layer}`;
    tensors.push(
      ones(`${blk}.attn_norm.weight`),
      random(`${blk}.attn_q.weight`, [nEmbd, nHead * headDim]),
      random(`${blk}.attn_k.weight`, [nEmbd, nHeadKv * headDim]),
      random(`${blk}.attn_v.weight`, [nEmbd, nHeadKv * headDim]),
      random(`${blk}.attn_output.weight`, [nHead * headDim, nEmbd]),
      ones(`${blk}.ffn_norm.weight`),
      random(`${blk}.ffn_gate.weight`, [nEmbd, nFf]),
      random(`${blk}.ffn_up.weight`, [nEmbd, nFf]),
      random(`${blk}.ffn_down.weight`, [nFf, nEmbd])
    );
  }

  return {
    metadata: {
      'general.architecture': 'llama',
      'general.name': options.name ?? `random-${type}`,
      'general.file_type': GgufValue.uint32(FILE_TYPE[type]),
      'general.alignment': GgufValue.uint32(32),
      'llama.context_length': GgufValue.uint32(options.contextLength ?? 4096),
      'llama.embedding_length': GgufValue.uint32(nEmbd),
      'llama.block_count': GgufValue.uint32(nLayer),
      'llama.feed_forward_length': GgufValue.uint32(nFf),
      'llama.attention.head_count': GgufValue.uint32(nHead),
      'llama.attention.head_count_kv': GgufValue.uint32(nHeadKv),
      'llama.attention.layer_norm_rms_epsilon': GgufValue.float32(1e-5),
      'llama.rope.dimension_count': GgufValue.uint32(headDim),
      'llama.rope.freq_base': GgufValue.float32(10000),
      'llama.vocab_size': GgufValue.uint32(nVocab),
      ...chatmlTokenizerMetadata(vocabulary)
    },
    tensors
  };
}

/**
 * Random output rows, except zero rows for the byte-range control tokens (EOS, <|im_start|>, ...): their logit is
 * then always 0, below the maximum of hundreds of random logits, so greedy generation never ends early and a
 * benchmark gets the number of tokens it asked for.
 */
function outputWithSilentControlTokens(type: GgufTensorType, nEmbd: number, nVocab: number, seed: number): GgufTensor['data'] {
  const rowBytes = tensorByteSize(type, [nEmbd]);
  const random = randomTensorData(type, [nEmbd, nVocab], seed);
  if (!('encoded' in random)) throw new Error('unreachable');
  return {
    encoded: function* encoded(): Iterable<Uint8Array> {
      const silentStart = (BASE_VOCAB_SIZE - 3) * rowBytes;
      const silentEnd = BASE_VOCAB_SIZE * rowBytes;
      let offset = 0;
      for (const chunk of random.encoded()) {
        const from = Math.max(silentStart - offset, 0);
        const to = Math.min(silentEnd - offset, chunk.length);
        // Zero bytes are a zero value in every type (Q8_0: scale 0).
        if (from < to) chunk.fill(0, from, to);
        offset += chunk.length;
        yield chunk;
      }
    }
  };
}

/** Parameters (elements) in the model. */
export function countParameters(content: GgufContent): number {
  return content.tensors.reduce((sum, tensor) => sum + tensorElementCount(tensor.shape), 0);
}

/** Exact file size `writeRandomLlamaModel` would produce, without writing anything (sizes a benchmark up front). */
export function estimateRandomLlamaModelBytes(options: RandomLlamaModelOptions): number {
  const content = buildRandomLlamaModel(options);
  const { header, alignment } = encodeGgufHeader(content);
  let data = 0;
  for (const tensor of content.tensors) data = Math.ceil(data / alignment) * alignment + tensorByteSize(tensor.type, tensor.shape);
  return header.length + data;
}

export async function writeRandomLlamaModel(path: string, options: RandomLlamaModelOptions): Promise<RandomLlamaModelFile> {
  const content = buildRandomLlamaModel(options);
  const bytes = await writeGgufFile(path, content);
  return { path, bytes, parameterCount: countParameters(content) };
}

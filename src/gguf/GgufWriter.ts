/**
 * Streaming GGUF v3 writer (little-endian), enough for the synthetic models this project generates for its demo,
 * tests and benchmarks. Layout (ggml/docs/gguf.md):
 *
 *   magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count | kv... | tensor_info... | pad | tensor data
 *
 * The header is built in memory (it is small: vocabularies of a few thousand strings), tensor data is encoded and
 * written chunk by chunk so that benchmark models of hundreds of MB never exist as one buffer.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { convertFloat32ArrayToFloat16Bits, float32ToFloat16Bits } from './float16.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value type ids (gguf_type). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12
} as const;

export type GgufScalarTypeName = 'uint32' | 'int32' | 'float32' | 'bool' | 'string' | 'uint64';
export type GgufArrayItemTypeName = 'string' | 'int32' | 'uint32' | 'float32';

/**
 * A metadata value. Plain strings and booleans are unambiguous; numbers must say their GGUF type because llama.cpp
 * reads keys with a fixed type (e.g. `llama.block_count` must be u32, `layer_norm_rms_epsilon` f32) and fails on a mismatch.
 */
export type GgufMetadataValue =
  | string
  | boolean
  | { readonly type: 'uint32' | 'int32' | 'float32'; readonly value: number }
  | { readonly type: 'uint64'; readonly value: number | bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly itemType: 'string'; readonly value: readonly string[] }
  | { readonly type: 'array'; readonly itemType: 'int32' | 'uint32' | 'float32'; readonly value: ArrayLike<number> };

/** Shorthands for typed metadata values. */
export const GgufValue = {
  uint32: (value: number): GgufMetadataValue => ({ type: 'uint32', value }),
  int32: (value: number): GgufMetadataValue => ({ type: 'int32', value }),
  float32: (value: number): GgufMetadataValue => ({ type: 'float32', value }),
  uint64: (value: number | bigint): GgufMetadataValue => ({ type: 'uint64', value }),
  bool: (value: boolean): GgufMetadataValue => ({ type: 'bool', value }),
  string: (value: string): GgufMetadataValue => ({ type: 'string', value }),
  strings: (value: readonly string[]): GgufMetadataValue => ({ type: 'array', itemType: 'string', value }),
  int32s: (value: ArrayLike<number>): GgufMetadataValue => ({ type: 'array', itemType: 'int32', value }),
  uint32s: (value: ArrayLike<number>): GgufMetadataValue => ({ type: 'array', itemType: 'uint32', value }),
  float32s: (value: ArrayLike<number>): GgufMetadataValue => ({ type: 'array', itemType: 'float32', value })
} as const;

export type GgufTensorType = 'F32' | 'F16' | 'Q8_0';

/** ggml type ids and block geometry of the types this writer encodes. */
export const GGUF_TENSOR_TYPES: Readonly<Record<GgufTensorType, { id: number; blockSize: number; typeSize: number }>> = {
  F32: { id: 0, blockSize: 1, typeSize: 4 },
  F16: { id: 1, blockSize: 1, typeSize: 2 },
  Q8_0: { id: 8, blockSize: 32, typeSize: 34 }
};

/**
 * Where a tensor's bytes come from:
 * - a Float32Array holding every element in storage order (ne[0] fastest);
 * - `values`: the same elements produced in chunks of any length, encoded by the writer;
 * - `encoded`: bytes already in the tensor's ggml type (lets big random tensors skip float conversion).
 * The writer consumes each chunk completely before asking for the next one, so a generator may reuse its buffer.
 */
export type GgufTensorData = Float32Array | { readonly values: () => Iterable<Float32Array> } | { readonly encoded: () => Iterable<Uint8Array> };

export interface GgufTensor {
  /** At most 63 bytes (GGML_MAX_NAME includes the terminating NUL). */
  readonly name: string;
  /** GGUF dims order: shape[0] is ne[0], the fastest-varying dimension (the row length). At most 4 dims. */
  readonly shape: readonly number[];
  readonly type: GgufTensorType;
  readonly data: GgufTensorData;
}

export interface GgufContent {
  /** Written in insertion order; `general.architecture` conventionally comes first. */
  readonly metadata: Readonly<Record<string, GgufMetadataValue>>;
  readonly tensors: readonly GgufTensor[];
}

export function tensorElementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

export function tensorByteSize(type: GgufTensorType, shape: readonly number[]): number {
  const info = GGUF_TENSOR_TYPES[type];
  return (tensorElementCount(shape) / info.blockSize) * info.typeSize;
}

function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/** Growable little-endian byte builder for the header. */
class ByteBuilder {
  private buffer = Buffer.alloc(64 * 1024);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer.writeUInt8(value, this.length);
    this.length += 1;
  }
  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }
  i32(value: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(value, this.length);
    this.length += 4;
  }
  f32(value: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(value, this.length);
    this.length += 4;
  }
  u64(value: number | bigint): void {
    this.reserve(8);
    this.buffer.writeBigUInt64LE(BigInt(value), this.length);
    this.length += 8;
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.reserve(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }
  zeros(count: number): void {
    this.reserve(count);
    this.buffer.fill(0, this.length, this.length + count);
    this.length += count;
  }
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function checkInteger(key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`GGUF metadata "${key}": ${value} is not an integer in [${min}, ${max}]`);
  }
}

function writeMetadataValue(out: ByteBuilder, key: string, value: GgufMetadataValue): void {
  if (typeof value === 'string') return writeMetadataValue(out, key, { type: 'string', value });
  if (typeof value === 'boolean') return writeMetadataValue(out, key, { type: 'bool', value });
  switch (value.type) {
    case 'uint32':
      checkInteger(key, value.value, 0, 0xffffffff);
      out.u32(GgufValueType.UINT32);
      out.u32(value.value);
      return;
    case 'int32':
      checkInteger(key, value.value, -0x80000000, 0x7fffffff);
      out.u32(GgufValueType.INT32);
      out.i32(value.value);
      return;
    case 'float32':
      out.u32(GgufValueType.FLOAT32);
      out.f32(value.value);
      return;
    case 'uint64':
      if (typeof value.value === 'number') checkInteger(key, value.value, 0, Number.MAX_SAFE_INTEGER);
      out.u32(GgufValueType.UINT64);
      out.u64(value.value);
      return;
    case 'bool':
      out.u32(GgufValueType.BOOL);
      out.u8(value.value ? 1 : 0);
      return;
    case 'string':
      out.u32(GgufValueType.STRING);
      out.string(value.value);
      return;
    case 'array':
      out.u32(GgufValueType.ARRAY);
      if (value.itemType === 'string') {
        out.u32(GgufValueType.STRING);
        out.u64(value.value.length);
        for (const item of value.value) out.string(item);
        return;
      }
      writeNumberArray(out, key, value.itemType, value.value);
      return;
  }
}

function writeNumberArray(out: ByteBuilder, key: string, itemType: 'int32' | 'uint32' | 'float32', items: ArrayLike<number>): void {
  out.u32(itemType === 'int32' ? GgufValueType.INT32 : itemType === 'uint32' ? GgufValueType.UINT32 : GgufValueType.FLOAT32);
  out.u64(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (itemType === 'int32') {
      checkInteger(key, item, -0x80000000, 0x7fffffff);
      out.i32(item);
    } else if (itemType === 'uint32') {
      checkInteger(key, item, 0, 0xffffffff);
      out.u32(item);
    } else {
      out.f32(item);
    }
  }
}

function resolveAlignment(metadata: GgufContent['metadata']): number {
  const declared = metadata['general.alignment'];
  if (declared === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (typeof declared !== 'object' || declared.type !== 'uint32') {
    throw new TypeError('GGUF metadata "general.alignment" must be a uint32 value');
  }
  const alignment = declared.value;
  if (alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`GGUF metadata "general.alignment" must be a power of two, got ${alignment}`);
  }
  return alignment;
}

function validateTensor(tensor: GgufTensor, names: Set<string>): void {
  const nameBytes = Buffer.byteLength(tensor.name, 'utf8');
  if (nameBytes === 0 || nameBytes > 63) throw new RangeError(`tensor name "${tensor.name}" must be 1 to 63 bytes long`);
  if (names.has(tensor.name)) throw new Error(`duplicate tensor name "${tensor.name}"`);
  names.add(tensor.name);
  if (tensor.shape.length < 1 || tensor.shape.length > 4) {
    throw new RangeError(`tensor "${tensor.name}" has ${tensor.shape.length} dims; ggml supports 1 to 4`);
  }
  for (const dim of tensor.shape) {
    if (!Number.isSafeInteger(dim) || dim < 1) throw new RangeError(`tensor "${tensor.name}" has an invalid dim ${dim}`);
  }
  const info = GGUF_TENSOR_TYPES[tensor.type];
  if (info === undefined) throw new TypeError(`tensor "${tensor.name}" has an unsupported type ${String(tensor.type)}`);
  if (tensor.shape[0]! % info.blockSize !== 0) {
    throw new RangeError(`tensor "${tensor.name}": ${tensor.type} needs ne[0] (${tensor.shape[0]}) to be a multiple of ${info.blockSize}`);
  }
  if (tensor.data instanceof Float32Array && tensor.data.length !== tensorElementCount(tensor.shape)) {
    throw new RangeError(`tensor "${tensor.name}" has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}]`);
  }
}

/** Builds the header (magic through tensor infos, padded to the alignment) and each tensor's data offset. */
export function encodeGgufHeader(content: GgufContent): { header: Buffer; alignment: number; tensorOffsets: number[] } {
  const alignment = resolveAlignment(content.metadata);
  const names = new Set<string>();
  for (const tensor of content.tensors) validateTensor(tensor, names);

  const out = new ByteBuilder();
  const entries = Object.entries(content.metadata);
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(content.tensors.length);
  out.u64(entries.length);
  for (const [key, value] of entries) {
    out.string(key);
    writeMetadataValue(out, key, value);
  }
  const tensorOffsets: number[] = [];
  let dataOffset = 0;
  for (const tensor of content.tensors) {
    out.string(tensor.name);
    out.u32(tensor.shape.length);
    for (const dim of tensor.shape) out.u64(dim);
    out.u32(GGUF_TENSOR_TYPES[tensor.type].id);
    dataOffset = alignUp(dataOffset, alignment);
    tensorOffsets.push(dataOffset);
    out.u64(dataOffset);
    dataOffset += tensorByteSize(tensor.type, tensor.shape);
  }
  out.zeros(alignUp(out.length, alignment) - out.length);
  return { header: out.bytes(), alignment, tensorOffsets };
}

/** Buffers small writes into large ones; a file handle write per row would be syscall-bound. */
class StagedFileWriter {
  private readonly staging = Buffer.alloc(4 * 1024 * 1024);
  private used = 0;
  written = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length >= this.staging.length) {
      await this.flush();
      await this.writeFully(bytes);
      return;
    }
    if (this.used + bytes.length > this.staging.length) await this.flush();
    this.staging.set(bytes, this.used);
    this.used += bytes.length;
  }

  async zeros(count: number): Promise<void> {
    if (count > 0) await this.write(new Uint8Array(count));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeFully(this.staging.subarray(0, this.used));
    this.used = 0;
  }

  private async writeFully(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
    this.written += bytes.length;
  }
}

/** Encodes float chunks into a tensor type; keeps a partial Q8_0 block across chunk boundaries. */
class TensorEncoder {
  private readonly pending = new Float32Array(32);
  private pendingCount = 0;

  constructor(private readonly type: GgufTensorType) {}

  encode(values: Float32Array): Uint8Array {
    if (this.type === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    if (this.type === 'F16') {
      const halves = new Uint16Array(values.length);
      convertFloat32ArrayToFloat16Bits(values, halves);
      return new Uint8Array(halves.buffer);
    }
    return this.encodeQ8_0(values);
  }

  /** Values left over that do not fill a block; non-zero only for Q8_0 given a length that is not a multiple of 32. */
  get leftover(): number {
    return this.pendingCount;
  }

  private encodeQ8_0(values: Float32Array): Uint8Array {
    const total = this.pendingCount + values.length;
    const blocks = Math.floor(total / 32);
    const out = Buffer.alloc(blocks * 34);
    let source = 0;
    for (let block = 0; block < blocks; block++) {
      // Assemble the block in `pending`, from leftovers first.
      while (this.pendingCount < 32) this.pending[this.pendingCount++] = values[source++]!;
      quantizeQ8_0Block(this.pending, out, block * 34);
      this.pendingCount = 0;
    }
    while (source < values.length) this.pending[this.pendingCount++] = values[source++]!;
    return out;
  }
}

/** ggml's quantize_row_q8_0_ref: d = max|x| / 127 stored as f16, q = round(x / d) (half away from zero). */
function quantizeQ8_0Block(block: Float32Array, out: Buffer, offset: number): void {
  let amax = 0;
  for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(block[i]!));
  const d = amax / 127;
  const inverse = d === 0 ? 0 : 1 / d;
  out.writeUInt16LE(float32ToFloat16Bits(d), offset);
  for (let i = 0; i < 32; i++) {
    const scaled = block[i]! * inverse;
    out.writeInt8(Math.sign(scaled) * Math.round(Math.abs(scaled)), offset + 2 + i);
  }
}

async function writeTensorData(writer: StagedFileWriter, tensor: GgufTensor): Promise<number> {
  const expectedBytes = tensorByteSize(tensor.type, tensor.shape);
  let bytes = 0;
  const data = tensor.data;
  if (data instanceof Float32Array || 'values' in data) {
    const encoder = new TensorEncoder(tensor.type);
    const chunks: Iterable<Float32Array> = data instanceof Float32Array ? [data] : data.values();
    for (const chunk of chunks) {
      const encoded = encoder.encode(chunk);
      bytes += encoded.length;
      if (bytes > expectedBytes) break;
      await writer.write(encoded);
    }
    if (encoder.leftover !== 0) {
      throw new RangeError(`tensor "${tensor.name}": ${encoder.leftover} values left over after the last full Q8_0 block`);
    }
  } else {
    for (const chunk of data.encoded()) {
      bytes += chunk.length;
      if (bytes > expectedBytes) break;
      await writer.write(chunk);
    }
  }
  if (bytes !== expectedBytes) {
    throw new RangeError(
      `tensor "${tensor.name}" (${tensor.type} [${tensor.shape.join(', ')}]) needs ${expectedBytes} bytes of data, ` +
        `its source produced ${bytes > expectedBytes ? 'more' : bytes}`
    );
  }
  return bytes;
}

/**
 * Writes `content` as a GGUF v3 file and returns the number of bytes written. The file is written next to `path`
 * under a temporary name and renamed at the end, so an interrupted write never leaves a plausible-looking model.
 */
export async function writeGgufFile(path: string, content: GgufContent): Promise<number> {
  // Typed-array data is written as-is; a big-endian host would produce a file no one can read.
  if (endianness() !== 'LE') throw new Error('writeGgufFile needs a little-endian host');
  const { header, alignment } = encodeGgufHeader(content);
  const temporaryPath = `${path}.${process.pid}.${Date.now()}.partial`;
  const handle = await open(temporaryPath, 'w');
  let committed = false;
  try {
    const writer = new StagedFileWriter(handle);
    await writer.write(header);
    let dataBytes = 0;
    for (const [index, tensor] of content.tensors.entries()) {
      // Padding goes between tensors only, so the file ends exactly at the last tensor's data.
      if (index > 0) {
        const padding = alignUp(dataBytes, alignment) - dataBytes;
        await writer.zeros(padding);
        dataBytes += padding;
      }
      dataBytes += await writeTensorData(writer, tensor);
    }
    await writer.flush();
    await handle.close();
    await rename(temporaryPath, path);
    committed = true;
    return writer.written;
  } finally {
    if (!committed) {
      await handle.close().catch(() => undefined);
      await rm(temporaryPath, { force: true });
    }
  }
}

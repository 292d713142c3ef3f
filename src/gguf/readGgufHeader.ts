/**
 * Reads a GGUF file's header (metadata and tensor infos) through a file handle, a chunk at a time, to validate a
 * user's `model` input before handing it to llama.cpp: a multi-GB model is never read in full, and the typed errors
 * explain the usual mistakes (an HTML page or Git LFS pointer saved as .gguf, an interrupted download).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { NotGgufError, TruncatedGgufError, UnsupportedGgufVersionError } from './errors.js';
import { ggmlTensorBytes } from './ggmlTypes.js';
import { GGUF_DEFAULT_ALIGNMENT, GgufValueType } from './GgufWriter.js';

/** Stands in for an array too long to keep (e.g. `tokenizer.ggml.tokens`, often 150k strings). */
export class GgufArraySummary {
  constructor(
    readonly itemType: string,
    readonly length: number
  ) {}

  toJSON(): { itemType: string; length: number } {
    return { itemType: this.itemType, length: this.length };
  }
}

export interface GgufHeader {
  readonly version: number;
  readonly tensorCount: number;
  readonly metadataCount: number;
  /**
   * Flat `key -> value`: numbers (u64/i64 beyond 2^53 as bigint), booleans, strings, arrays up to `maxArrayLength`
   * items, and a GgufArraySummary for longer arrays.
   */
  readonly metadata: Record<string, unknown>;
  readonly architecture?: string;
  readonly name?: string;
  readonly fileSize: number;
  /** Absolute file offset where tensor data starts. */
  readonly tensorDataOffset: number;
  /** The file size the tensor infos imply (data offset + end of the last tensor); `fileSize` is at least this. */
  readonly expectedFileSize: number;
}

export interface ReadGgufHeaderOptions {
  /** Arrays longer than this are summarized (default 64). */
  readonly maxArrayLength?: number;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'uint8',
  1: 'int8',
  2: 'uint16',
  3: 'int16',
  4: 'uint32',
  5: 'int32',
  6: 'float32',
  7: 'bool',
  8: 'string',
  9: 'array',
  10: 'uint64',
  11: 'int64',
  12: 'float64'
};

/** Fixed byte width of scalar types; strings and arrays are variable. */
const SCALAR_WIDTH: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

const READ_CHUNK = 64 * 1024;

/** A forward-only cursor over the file that keeps at most one read-ahead window in memory. */
class HeaderCursor {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  position = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    readonly fileSize: number
  ) {}

  /** Makes bytes [position, position + count) available, or fails as a truncated header. */
  private async need(count: number, what: string): Promise<number> {
    const end = this.position + count;
    if (end > this.fileSize) {
      throw new TruncatedGgufError(
        this.path,
        `the header's ${what} at byte ${this.position} needs ${count} bytes but the file ends at byte ${this.fileSize}`,
        this.fileSize
      );
    }
    if (end > this.windowStart + this.window.length) {
      const length = Math.min(Math.max(count, READ_CHUNK), this.fileSize - this.position);
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await this.handle.read(buffer, filled, length - filled, this.position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled < count) {
        throw new TruncatedGgufError(this.path, `the file ends at byte ${this.position + filled} while reading ${what}`, this.fileSize);
      }
      this.window = buffer.subarray(0, filled);
      this.windowStart = this.position;
    }
    const offset = this.position - this.windowStart;
    this.position = end;
    return offset;
  }

  async bytes(count: number, what: string): Promise<Buffer> {
    const offset = await this.need(count, what);
    return this.window.subarray(offset, offset + count);
  }
  // `need` may replace the window, so the offset is awaited before `this.window` is read.
  async u32(what: string): Promise<number> {
    const offset = await this.need(4, what);
    return this.window.readUInt32LE(offset);
  }
  async u64(what: string): Promise<bigint> {
    const offset = await this.need(8, what);
    return this.window.readBigUInt64LE(offset);
  }
  /** u64 used as a length or count: anything past the end of the file cannot be real. */
  async length(what: string): Promise<number> {
    const value = await this.u64(what);
    if (value > BigInt(this.fileSize)) {
      throw new TruncatedGgufError(
        this.path,
        `the header's ${what} at byte ${this.position - 8} is ${value}, more than the whole file (${this.fileSize} bytes)`,
        this.fileSize
      );
    }
    return Number(value);
  }
  async string(what: string): Promise<string> {
    const length = await this.length(`${what} length`);
    return (await this.bytes(length, what)).toString('utf8');
  }
  async skip(count: number, what: string): Promise<void> {
    if (this.position + count > this.fileSize) await this.need(count, what);
    this.position += count;
  }
}

function safeNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}

async function readScalar(cursor: HeaderCursor, type: number, what: string): Promise<unknown> {
  const width = SCALAR_WIDTH[type];
  if (width === undefined) throw new Error(`unexpected scalar type ${type}`);
  const buffer = await cursor.bytes(width, what);
  switch (type) {
    case 0:
      return buffer.readUInt8(0);
    case 1:
      return buffer.readInt8(0);
    case 2:
      return buffer.readUInt16LE(0);
    case 3:
      return buffer.readInt16LE(0);
    case 4:
      return buffer.readUInt32LE(0);
    case 5:
      return buffer.readInt32LE(0);
    case 6:
      return buffer.readFloatLE(0);
    case 7:
      return buffer.readUInt8(0) !== 0;
    case 10:
      return safeNumber(buffer.readBigUInt64LE(0));
    case 11:
      return safeNumber(buffer.readBigInt64LE(0));
    default:
      return buffer.readDoubleLE(0);
  }
}

class CorruptHeader extends Error {}

async function readValue(cursor: HeaderCursor, type: number, key: string, maxArrayLength: number): Promise<unknown> {
  if (type === GgufValueType.STRING) return cursor.string(`value of "${key}"`);
  if (type !== GgufValueType.ARRAY) {
    if (SCALAR_WIDTH[type] === undefined) throw new CorruptHeader(`metadata "${key}" has an unknown value type ${type}`);
    return readScalar(cursor, type, `value of "${key}"`);
  }
  const itemType = await cursor.u32(`item type of "${key}"`);
  const length = await cursor.length(`length of "${key}"`);
  const itemTypeName = TYPE_NAMES[itemType];
  if (itemTypeName === undefined || itemType === GgufValueType.ARRAY) {
    throw new CorruptHeader(`metadata "${key}" is an array of an unsupported item type ${itemType}`);
  }
  if (length > maxArrayLength) {
    // Skip without decoding: strings still have to be walked because each carries its own length.
    if (itemType === GgufValueType.STRING) {
      for (let i = 0; i < length; i++) await cursor.skip(await cursor.length(`item length in "${key}"`), `an item of "${key}"`);
    } else {
      await cursor.skip(length * SCALAR_WIDTH[itemType]!, `items of "${key}"`);
    }
    return new GgufArraySummary(itemTypeName, length);
  }
  const items: unknown[] = [];
  for (let i = 0; i < length; i++) items.push(await readValue(cursor, itemType, key, maxArrayLength));
  return items;
}

const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^version https:\/\/git-lfs/, 'it is a Git LFS pointer file: fetch the real file with `git lfs pull` or download it directly'],
  [/^\s*(<!doctype html|<html|<\?xml|<head|<body)/i, 'it is an HTML/XML page, probably a web page saved instead of the model file'],
  [/^\s*[{[]/, 'it looks like JSON text'],
  // eslint-disable-next-line no-control-regex -- the ZIP magic bytes are control characters in the latin1 text.
  [/^PK\x03\x04/, 'it is a ZIP archive, such as a PyTorch checkpoint'],
  [/^(lmgg|fmgg|tjgg)/, 'it is a pre-GGUF GGML/GGJT file from an old llama.cpp'],
  [/^\x89HDF/, 'it is an HDF5 (Keras) file']
];

function describeForeignFile(head: Buffer, fileSize: number): string | undefined {
  const text = head.toString('latin1');
  for (const [pattern, hint] of HINTS) if (pattern.test(text)) return hint;
  // safetensors: u64 header length, then a JSON object.
  if (head.length >= 9 && head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(fileSize)) {
    return 'it is a safetensors file';
  }
  const magic = head.subarray(0, 4);
  const printable = [...magic].every((byte) => byte >= 0x20 && byte < 0x7f);
  return `it starts with ${printable ? JSON.stringify(magic.toString('latin1')) : `bytes ${magic.toString('hex')}`} instead of "GGUF"`;
}

export async function readGgufHeader(path: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  const maxArrayLength = options.maxArrayLength ?? 64;
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize === 0) throw new NotGgufError(path, 'the file is empty');
    const head = Buffer.alloc(Math.min(fileSize, 64));
    await handle.read(head, 0, head.length, 0);
    if (head.length < 4 || head.toString('latin1', 0, 4) !== 'GGUF') {
      if (head.length < 4 && 'GGUF'.startsWith(head.toString('latin1'))) {
        throw new TruncatedGgufError(path, `the file is only ${fileSize} bytes long`, fileSize);
      }
      if (head.toString('latin1', 0, 4) === 'FUGG') {
        throw new UnsupportedGgufVersionError(path, head.length >= 8 ? head.readUInt32BE(4) : 0, 'it is a big-endian GGUF file');
      }
      throw new NotGgufError(path, describeForeignFile(head, fileSize));
    }

    const cursor = new HeaderCursor(handle, path, fileSize);
    await cursor.skip(4, 'magic');
    const version = await cursor.u32('version');
    if (version !== 2 && version !== 3) {
      // A byte-swapped small number means the file was written big-endian.
      const swapped = Buffer.alloc(4);
      swapped.writeUInt32LE(version);
      const bigEndianVersion = swapped.readUInt32BE(0);
      if (bigEndianVersion >= 1 && bigEndianVersion <= 3) {
        throw new UnsupportedGgufVersionError(path, bigEndianVersion, 'it is a big-endian GGUF file');
      }
      throw new UnsupportedGgufVersionError(path, version, version === 1 ? 'GGUF v1 files predate August 2023' : undefined);
    }
    const tensorCount = await cursor.length('tensor count');
    const metadataCount = await cursor.length('metadata count');

    const metadata: Record<string, unknown> = {};
    try {
      for (let i = 0; i < metadataCount; i++) {
        const key = await cursor.string(`metadata key #${i}`);
        const type = await cursor.u32(`type of "${key}"`);
        metadata[key] = await readValue(cursor, type, key, maxArrayLength);
      }
    } catch (error) {
      if (error instanceof CorruptHeader) throw new NotGgufError(path, `its header is corrupt: ${error.message}`);
      throw error;
    }

    const alignmentValue = metadata['general.alignment'];
    const alignment = typeof alignmentValue === 'number' && alignmentValue > 0 && Number.isInteger(alignmentValue) ? alignmentValue : GGUF_DEFAULT_ALIGNMENT;

    let dataEnd = 0;
    let lastTensor: string | undefined;
    for (let i = 0; i < tensorCount; i++) {
      const name = await cursor.string(`tensor #${i} name`);
      const dims = await cursor.u32(`dims of tensor "${name}"`);
      if (dims > 8) throw new NotGgufError(path, `its header is corrupt: tensor "${name}" has ${dims} dims`);
      const shape: number[] = [];
      for (let d = 0; d < dims; d++) shape.push(Number(await cursor.u64(`shape of tensor "${name}"`)));
      const type = await cursor.u32(`type of tensor "${name}"`);
      const offset = Number(await cursor.u64(`offset of tensor "${name}"`));
      // Unknown (newer) types cannot be sized; they then only bound the data end by their start.
      const end = offset + (ggmlTensorBytes(type, shape) ?? 0);
      if (end > dataEnd) {
        dataEnd = end;
        lastTensor = name;
      }
    }
    const tensorDataOffset = Math.ceil(cursor.position / alignment) * alignment;
    const expectedFileSize = tensorDataOffset + dataEnd;
    if (fileSize < expectedFileSize) {
      throw new TruncatedGgufError(
        path,
        `its tensor data should end at byte ${expectedFileSize} (tensor "${lastTensor}") but the file has ${fileSize} bytes ` +
          `(${(((expectedFileSize - fileSize) / expectedFileSize) * 100).toFixed(1)}% missing)`,
        fileSize,
        expectedFileSize
      );
    }

    const architecture = metadata['general.architecture'];
    const name = metadata['general.name'];
    return {
      version,
      tensorCount,
      metadataCount,
      metadata,
      ...(typeof architecture === 'string' ? { architecture } : {}),
      ...(typeof name === 'string' ? { name } : {}),
      fileSize,
      tensorDataOffset,
      expectedFileSize
    };
  } finally {
    await handle.close();
  }
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotGgufError, TruncatedGgufError, UnsupportedGgufVersionError } from '../../src/gguf/errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../src/gguf/float16.js';
import { GgufValue, writeGgufFile, type GgufContent } from '../../src/gguf/GgufWriter.js';
import { GgufArraySummary, readGgufHeader } from '../../src/gguf/readGgufHeader.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-format-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const f32Values = Float32Array.from({ length: 8 * 3 }, (_, i) => i / 4 - 2);
const q8Values = Float32Array.from({ length: 64 * 2 }, (_, i) => Math.sin(i) * 3);

function sampleContent(): GgufContent {
  return {
    metadata: {
      'general.architecture': 'llama',
      'general.name': 'round-trip ✓',
      'test.u32': GgufValue.uint32(4_000_000_000),
      'test.i32': GgufValue.int32(-123),
      'test.f32': GgufValue.float32(0.1),
      'test.bool': true,
      'test.bool_typed': GgufValue.bool(false),
      'test.u64': GgufValue.uint64(2n ** 40n),
      'test.u64_big': GgufValue.uint64(2n ** 63n),
      'test.strings': GgufValue.strings(['a', 'ü', '']),
      'test.i32s': GgufValue.int32s([1, -2, 3]),
      'test.u32s': GgufValue.uint32s(new Uint32Array([7, 8])),
      'test.f32s': GgufValue.float32s([0.5, -1.5]),
      'test.empty': GgufValue.strings([]),
      'test.long': GgufValue.strings(Array.from({ length: 1000 }, (_, i) => `token${i}`))
    },
    tensors: [
      { name: 'a.f32', shape: [8, 3], type: 'F32', data: f32Values },
      { name: 'b.f16', shape: [8, 3], type: 'F16', data: { values: () => [f32Values.subarray(0, 5), f32Values.subarray(5)] } },
      // Chunks that split Q8_0 blocks exercise the encoder's carry-over.
      { name: 'c.q8_0', shape: [64, 2], type: 'Q8_0', data: { values: () => [q8Values.subarray(0, 50), q8Values.subarray(50)] } }
    ]
  };
}

describe('float16', () => {
  it('converts with round-to-nearest-even like ggml', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0);
    // 1 + 2^-11 is exactly between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true);
    // Half precision keeps 11 significant bits: relative error at most 2^-11.
    for (const value of [0.1, -3.75, 1234.5, 6e-5]) {
      expect(Math.abs(float16BitsToFloat32(float32ToFloat16Bits(value)) - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11);
    }
  });
});

describe('GgufWriter + readGgufHeader', () => {
  let path: string;
  let bytes: number;

  beforeAll(async () => {
    path = join(dir, 'round-trip.gguf');
    bytes = await writeGgufFile(path, sampleContent());
  });

  it('round-trips metadata and tensor infos', async () => {
    const header = await readGgufHeader(path);
    expect(header).toMatchObject({
      version: 3,
      tensorCount: 3,
      metadataCount: 15,
      architecture: 'llama',
      name: 'round-trip ✓',
      fileSize: bytes,
      expectedFileSize: bytes
    });
    const m = header.metadata;
    expect(m['test.u32']).toBe(4_000_000_000);
    expect(m['test.i32']).toBe(-123);
    expect(m['test.f32']).toBeCloseTo(0.1, 6);
    expect(m['test.bool']).toBe(true);
    expect(m['test.bool_typed']).toBe(false);
    expect(m['test.u64']).toBe(2 ** 40);
    expect(m['test.u64_big']).toBe(2n ** 63n);
    expect(m['test.strings']).toEqual(['a', 'ü', '']);
    expect(m['test.i32s']).toEqual([1, -2, 3]);
    expect(m['test.u32s']).toEqual([7, 8]);
    expect(m['test.f32s']).toEqual([0.5, -1.5]);
    expect(m['test.empty']).toEqual([]);
    expect(m['test.long']).toEqual(new GgufArraySummary('string', 1000));
    expect(header.tensorDataOffset % 32).toBe(0);
  });

  it('keeps long arrays when asked to', async () => {
    const header = await readGgufHeader(path, { maxArrayLength: 5000 });
    expect((header.metadata['test.long'] as string[])[999]).toBe('token999');
  });

  it('writes tensor data aligned and encoded', async () => {
    const header = await readGgufHeader(path);
    const file = await readFile(path);
    const base = header.tensorDataOffset;
    // F32 at offset 0, F16 at the next multiple of 32 after 96 bytes, Q8_0 after that.
    const f32 = new Float32Array(file.buffer.slice(file.byteOffset + base, file.byteOffset + base + 96));
    expect(Array.from(f32)).toEqual(Array.from(f32Values));
    const f16Start = base + 96;
    for (let i = 0; i < f32Values.length; i++) {
      expect(float16BitsToFloat32(file.readUInt16LE(f16Start + 2 * i))).toBeCloseTo(f32Values[i]!, 3);
    }
    const q8Start = f16Start + Math.ceil(48 / 32) * 32;
    for (let i = 0; i < q8Values.length; i++) {
      const block = Math.floor(i / 32);
      const scale = float16BitsToFloat32(file.readUInt16LE(q8Start + block * 34));
      const value = scale * file.readInt8(q8Start + block * 34 + 2 + (i % 32));
      expect(Math.abs(value - q8Values[i]!)).toBeLessThan(0.02);
    }
    expect(file.length).toBe(q8Start + (q8Values.length / 32) * 34);
  });

  it('rejects inconsistent tensors and leaves no partial file behind', async () => {
    const target = join(dir, 'bad.gguf');
    await expect(writeGgufFile(target, { metadata: {}, tensors: [{ name: 'x', shape: [30], type: 'Q8_0', data: new Float32Array(30) }] })).rejects.toThrow(
      /multiple of 32/
    );
    await expect(writeGgufFile(target, { metadata: {}, tensors: [{ name: 'x', shape: [4, 2], type: 'F32', data: new Float32Array(7) }] })).rejects.toThrow(
      /7 values/
    );
    await expect(
      writeGgufFile(target, {
        metadata: {},
        tensors: [{ name: 'x', shape: [4, 2], type: 'F16', data: { values: () => [new Float32Array(3)] } }]
      })
    ).rejects.toThrow(/needs 16 bytes/);
    expect((await readdir(dir)).filter((name) => name.startsWith('bad.gguf'))).toEqual([]);
  });
});

describe('readGgufHeader errors', () => {
  it('rejects a text file as not GGUF, naming the file', async () => {
    const path = join(dir, 'model.gguf.txt');
    await writeFile(path, 'just some text, not a model\n');
    const error = await readGgufHeader(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotGgufError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/not a GGUF model/);
    expect((error as Error).message).toMatch(/\.gguf/);
    expect((error as Error).message).toMatch(/llama\.cpp/);
  });

  it('recognizes a Git LFS pointer and an empty file', async () => {
    const pointer = join(dir, 'pointer.gguf');
    await writeFile(pointer, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    await expect(readGgufHeader(pointer)).rejects.toThrow(/Git LFS pointer/);
    const empty = join(dir, 'empty.gguf');
    await writeFile(empty, '');
    await expect(readGgufHeader(empty)).rejects.toThrow(NotGgufError);
  });

  it('reports a file cut inside the tensor data as truncated', async () => {
    const path = join(dir, 'cut-data.gguf');
    const bytes = await writeGgufFile(path, sampleContent());
    await truncate(path, bytes - 10);
    const error = await readGgufHeader(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TruncatedGgufError);
    expect(error).toMatchObject({ fileSize: bytes - 10, expectedSize: bytes });
    expect((error as Error).message).toContain(path);
  });

  it('reports a file cut inside the header as truncated', async () => {
    const path = join(dir, 'cut-header.gguf');
    await writeGgufFile(path, sampleContent());
    await truncate(path, 100);
    await expect(readGgufHeader(path)).rejects.toThrow(TruncatedGgufError);
  });

  it('rejects unsupported versions', async () => {
    const path = join(dir, 'v1.gguf');
    await writeGgufFile(path, sampleContent());
    const file = await readFile(path);
    file.writeUInt32LE(1, 4);
    await writeFile(path, file);
    const error = await readGgufHeader(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedGgufVersionError);
    expect(error).toMatchObject({ version: 1 });
    expect((error as Error).message).toContain(path);
  });
});

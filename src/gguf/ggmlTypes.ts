/**
 * ggml tensor types as stored in GGUF tensor infos, with their block geometry. The table mirrors what the bundled
 * llama.cpp reports (`getBlockSizeForGgmlType` / `getTypeSizeForGgmlType` of node-llama-cpp 3.22.1); types that were
 * removed from ggml (Q4_2, Q4_0_4_4, ...) are left out so that their size is reported as unknown, not guessed.
 */
export interface GgmlTypeInfo {
  readonly name: string;
  /** Elements per block; ne[0] must be a multiple of it. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

export const GGML_TYPES: ReadonlyMap<number, GgmlTypeInfo> = new Map<number, GgmlTypeInfo>(
  (
    [
      [0, 'F32', 1, 4],
      [1, 'F16', 1, 2],
      [2, 'Q4_0', 32, 18],
      [3, 'Q4_1', 32, 20],
      [6, 'Q5_0', 32, 22],
      [7, 'Q5_1', 32, 24],
      [8, 'Q8_0', 32, 34],
      [9, 'Q8_1', 32, 36],
      [10, 'Q2_K', 256, 84],
      [11, 'Q3_K', 256, 110],
      [12, 'Q4_K', 256, 144],
      [13, 'Q5_K', 256, 176],
      [14, 'Q6_K', 256, 210],
      [15, 'Q8_K', 256, 292],
      [16, 'IQ2_XXS', 256, 66],
      [17, 'IQ2_XS', 256, 74],
      [18, 'IQ3_XXS', 256, 98],
      [19, 'IQ1_S', 256, 50],
      [20, 'IQ4_NL', 32, 18],
      [21, 'IQ3_S', 256, 110],
      [22, 'IQ2_S', 256, 82],
      [23, 'IQ4_XS', 256, 136],
      [24, 'I8', 1, 1],
      [25, 'I16', 1, 2],
      [26, 'I32', 1, 4],
      [27, 'I64', 1, 8],
      [28, 'F64', 1, 8],
      [29, 'IQ1_M', 256, 56],
      [30, 'BF16', 1, 2],
      [34, 'TQ1_0', 256, 54],
      [35, 'TQ2_0', 256, 66],
      [39, 'MXFP4', 32, 17],
      [40, 'NVFP4', 64, 36],
      [41, 'Q1_0', 128, 18],
      [42, 'Q2_0', 64, 18]
    ] as const
  ).map(([id, name, blockSize, typeSize]) => [id, { name, blockSize, typeSize }])
);

/**
 * Bytes a tensor of this type and shape occupies, or undefined when the type is unknown or the shape does not fit
 * its blocks. Computed in floating point: exact up to 2^53 bytes, far beyond any real file.
 */
export function ggmlTensorBytes(type: number, shape: readonly number[]): number | undefined {
  const info = GGML_TYPES.get(type);
  if (info === undefined) return undefined;
  const ne0 = shape[0] ?? 1;
  if (ne0 % info.blockSize !== 0) return undefined;
  let bytes = (ne0 / info.blockSize) * info.typeSize;
  for (let i = 1; i < shape.length; i++) bytes *= shape[i]!;
  return bytes;
}

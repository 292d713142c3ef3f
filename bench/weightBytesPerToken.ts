import { readGgufFileInfo } from 'node-llama-cpp';
import { ggmlTensorBytes } from '../src/gguf/ggmlTypes.js';

export interface WeightTraffic {
  /** All tensor bytes in the file. */
  readonly tensorBytes: number;
  /** Bytes decoding one token must read: every weight once, but only one row of the token embedding. */
  readonly bytesPerToken: number;
}

/**
 * Decoding a token multiplies the hidden state by every weight matrix once, so it streams all weights from memory,
 * except the token embedding, of which it reads one row. Models with tied embeddings (no output.weight) use the
 * embedding as the output matrix too, and then read it whole. KV-cache reads are left out: at benchmark context
 * lengths (under 200 tokens) they are a fraction of a percent.
 */
export async function weightTraffic(modelPath: string): Promise<WeightTraffic> {
  const info = await readGgufFileInfo(modelPath, { readTensorInfo: true, logWarnings: false });
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  let tensorBytes = 0;
  let embeddingBytes = 0;
  let embeddingRowBytes = 0;
  let hasOutput = false;
  for (const tensor of tensors) {
    const shape = tensor.dimensions.map(Number);
    const bytes = ggmlTensorBytes(tensor.ggmlType, shape);
    if (bytes === undefined) throw new Error(`${modelPath}: tensor ${tensor.name} has a ggml type (${tensor.ggmlType}) this benchmark cannot size.`);
    tensorBytes += bytes;
    if (tensor.name === 'token_embd.weight') {
      embeddingBytes = bytes;
      embeddingRowBytes = bytes / (shape[1] ?? 1);
    }
    if (tensor.name === 'output.weight') hasOutput = true;
  }
  return { tensorBytes, bytesPerToken: hasOutput ? tensorBytes - embeddingBytes + embeddingRowBytes : tensorBytes };
}

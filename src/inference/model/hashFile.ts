import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Feeds a file's bytes (all, or the first `length`) into `hash`; returns how many bytes were read. */
export async function hashFileInto(hash: Hash, filePath: string, length?: number): Promise<number> {
  if (length === 0) return 0;
  let bytes = 0;
  const stream = createReadStream(filePath, { highWaterMark: 1024 * 1024, ...(length !== undefined ? { end: length - 1 } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return bytes;
}

/** The file's sha256 as lowercase hex. */
export async function sha256OfFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(hash, filePath);
  return hash.digest('hex');
}

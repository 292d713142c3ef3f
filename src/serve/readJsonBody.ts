import type { IncomingMessage } from 'node:http';
import { ServeError } from './ServeError.js';

/**
 * The request body parsed as JSON, read up to `maxBytes`: a larger one is refused with 413 as soon as it shows
 * (by its content-length, or while it arrives), so a client cannot make the server buffer more than that.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ServeError(
      400,
      'invalid_request_error',
      'invalid_json',
      `The request body is not JSON (${(error as Error).message}). Send a JSON object with content-type application/json.`
    );
  }
}

function tooLarge(maxBytes: number): ServeError {
  return new ServeError(
    413,
    'invalid_request_error',
    'request_too_large',
    `The request body is larger than ${maxBytes} bytes, the most aqe serve accepts. Send a shorter prompt, or start the server with a larger --max-body-bytes.`
  );
}

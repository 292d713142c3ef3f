import { isError } from '../core/isError.js';
import type { GenerationResult, TextRequest, TextStream } from './TextProvider.js';

/**
 * Turns a callback-style generation (text through `onText`) into a TextStream. Chunks are buffered until the consumer
 * reads them, so a slow consumer never slows decoding; leaving the loop early aborts the generation through its signal.
 */
export function streamGeneration<R extends TextRequest>(request: R, generate: (request: R) => Promise<GenerationResult>): TextStream {
  const controller = new AbortController();
  const outer = request.signal;
  const forward = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });

  const buffered: string[] = [];
  let settled = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  let result: Promise<GenerationResult>;
  try {
    result = generate({
      ...request,
      signal: controller.signal,
      onText: (chunk: string) => {
        request.onText?.(chunk);
        buffered.push(chunk);
        notify();
      }
    });
  } catch (error) {
    result = Promise.reject(isError(error) ? error : new Error(`The generation threw a non-Error value: ${String(error)}`));
  }
  result = result.finally(() => {
    settled = true;
    outer?.removeEventListener('abort', forward);
    notify();
  });
  // The error reaches the consumer through the loop or `result`; a consumer that only iterates must not leave an
  // unhandled rejection behind.
  result.catch(() => undefined);

  async function* chunks(): AsyncGenerator<string, void, undefined> {
    try {
      for (;;) {
        const next = buffered.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (settled) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      await result;
    } finally {
      if (!settled) controller.abort(new Error('The stream consumer stopped reading.'));
    }
  }

  return Object.assign(chunks(), { result });
}

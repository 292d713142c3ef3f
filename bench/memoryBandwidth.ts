import { Worker } from 'node:worker_threads';

/**
 * Memory read bandwidth as the decoder sees it: workers scan one shared buffer far larger than the caches with
 * Buffer.indexOf for a byte that is not there (memchr: vectorised, read-only), each its own slice, all at once.
 */
export async function measureReadBandwidth(threads: number, bufferBytes = 512 * 1024 * 1024, passes = 4): Promise<number> {
  const shared = new SharedArrayBuffer(bufferBytes);
  // Touch every page first so the scans read memory, not the zero page.
  new Uint8Array(shared).fill(1);
  const slice = Math.floor(bufferBytes / threads);
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./bandwidthWorker.js', import.meta.url)));
  try {
    const run = (): Promise<number[]> =>
      Promise.all(
        workers.map(
          (worker, i) =>
            new Promise<number>((resolve, reject) => {
              worker.once('message', (ms: number) => resolve(ms));
              worker.once('error', reject);
              worker.postMessage({ shared, offset: i * slice, length: slice, passes });
            })
        )
      );
    await run(); // warm-up: code and TLB
    let best = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      await run();
      const seconds = (performance.now() - started) / 1000;
      best = Math.max(best, (slice * threads * passes) / seconds);
    }
    return best;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

import { parentPort } from 'node:worker_threads';

/** Scans its slice of the shared buffer `passes` times and reports the milliseconds taken. */
parentPort?.on('message', ({ shared, offset, length, passes }: { shared: SharedArrayBuffer; offset: number; length: number; passes: number }) => {
  const bytes = Buffer.from(shared, offset, length);
  const started = performance.now();
  let found = 0;
  // The buffer holds only 1s: indexOf(0) reads every byte and finds nothing.
  for (let pass = 0; pass < passes; pass++) found += bytes.indexOf(0) >= 0 ? 1 : 0;
  if (found > 0) throw new Error('the bandwidth buffer was modified');
  parentPort?.postMessage(performance.now() - started);
});

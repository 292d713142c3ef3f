import { AsyncLocalStorage } from 'node:async_hooks';

/** HTTP attempts one request has made so far: the SDK's first try plus each of its retries. */
export interface AttemptTally {
  attempts: number;
}

/**
 * The SDKs retry inside one call (429, 529, 5xx, timeouts) and report none of it. Each attempt goes through the
 * client's `fetch`, so a fetch wrapped with countingFetch adds to the tally of the request whose call it runs under
 * (an async context, so concurrent requests on one client keep separate tallies).
 */
const current = new AsyncLocalStorage<AttemptTally>();

export function countingFetch<F extends (...args: never[]) => Promise<unknown>>(inner: F): F {
  return (async (...args: Parameters<F>) => {
    const tally = current.getStore();
    if (tally) tally.attempts += 1;
    return inner(...args);
  }) as F;
}

/** Runs `task` with a fresh tally that countingFetch fills. */
export function withAttemptTally<T>(tally: AttemptTally, task: () => Promise<T>): Promise<T> {
  return current.run(tally, task);
}

/** Attempts beyond the first; 0 when none reached the network (refused before sending, aborted at once). */
export function retriesOf(tally: AttemptTally): number {
  return Math.max(0, tally.attempts - 1);
}

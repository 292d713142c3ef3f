import { isError } from '../core/isError.js';

/**
 * Hands out a fixed set of slots (a context's sequences) to any number of waiting tasks, first
 * come first served: the queue is the backpressure, so N parallel generations never exceed the
 * sequences the context was sized for.
 */
export class SequencePool<T> {
  private readonly free: T[];
  private readonly waiting: Array<(slot: T) => void> = [];

  constructor(slots: readonly T[]) {
    this.free = [...slots];
  }

  get size(): number {
    return this.free.length;
  }

  /**
   * Waits for a free slot; an aborted `signal` takes the caller out of the queue and rejects with its reason (the
   * DOMException AbortError of a bare `abort()`), wrapped in an Error when it is not one.
   */
  acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal.reason));
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => {
      const waiter = (given: T): void => {
        signal?.removeEventListener('abort', leave);
        resolve(given);
      };
      const leave = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(abortReason(signal?.reason));
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  release(slot: T): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  async use<R>(task: (slot: T) => Promise<R>, signal?: AbortSignal): Promise<R> {
    const slot = await this.acquire(signal);
    try {
      return await task(slot);
    } finally {
      this.release(slot);
    }
  }
}

function abortReason(reason: unknown): Error {
  return isError(reason) ? reason : new Error(`The wait for a free sequence was aborted: ${String(reason)}`);
}

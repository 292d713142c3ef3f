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

  acquire(): Promise<T> {
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(slot: T): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  async use<R>(task: (slot: T) => Promise<R>): Promise<R> {
    const slot = await this.acquire();
    try {
      return await task(slot);
    } finally {
      this.release(slot);
    }
  }
}

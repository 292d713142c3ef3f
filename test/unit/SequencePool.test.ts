import { describe, expect, it } from '@jest/globals';

import { SequencePool } from '../../src/inference/SequencePool.js';

/** A promise resolved from outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued microtasks (promise continuations) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('SequencePool', () => {
  it('reports free slots', async () => {
    const pool = new SequencePool(['a', 'b']);
    expect(pool.size).toBe(2);
    const s = await pool.acquire();
    expect(['a', 'b']).toContain(s);
    expect(pool.size).toBe(1);
    pool.release(s);
    expect(pool.size).toBe(2);
  });

  it('does not share the caller array', async () => {
    const slots = [1, 2];
    const pool = new SequencePool(slots);
    await pool.acquire();
    expect(slots).toEqual([1, 2]);
  });

  it('never runs more than N tasks at once and gives each task its own slot', async () => {
    const pool = new SequencePool([0, 1, 2]);
    let active = 0;
    let peak = 0;
    const inUse = new Set<number>();
    const task = async (slot: number, i: number): Promise<number> => {
      expect(inUse.has(slot)).toBe(false);
      inUse.add(slot);
      active++;
      peak = Math.max(peak, active);
      // Vary the hold time so tasks finish out of order.
      for (let k = 0; k < (i % 4) + 1; k++) await new Promise((r) => setImmediate(r));
      active--;
      inUse.delete(slot);
      return i;
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.use((slot) => task(slot, i))));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(pool.size).toBe(3);
  });

  it('serves waiters first come, first served', async () => {
    const pool = new SequencePool(['only']);
    const held = await pool.acquire();
    const order: string[] = [];
    const waiters = ['w1', 'w2', 'w3'].map((name) =>
      pool.acquire().then((slot) => {
        order.push(name);
        return slot;
      })
    );
    await flush();
    expect(order).toEqual([]);

    pool.release(held);
    expect(await waiters[0]).toBe('only');
    await flush();
    expect(order).toEqual(['w1']);

    pool.release('only');
    expect(await waiters[1]).toBe('only');
    pool.release('only');
    expect(await waiters[2]).toBe('only');
    expect(order).toEqual(['w1', 'w2', 'w3']);
    // The slot went straight from waiter to waiter: nothing sat in the free list.
    expect(pool.size).toBe(0);
    pool.release('only');
    expect(pool.size).toBe(1);
  });

  it('runs use() tasks in arrival order when they queue', async () => {
    const pool = new SequencePool(['s']);
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      pool.use(async () => {
        started.push(i);
        await gate.promise;
      })
    );
    for (let i = 0; i < gates.length; i++) {
      await flush();
      expect(started).toEqual(Array.from({ length: i + 1 }, (_, k) => k));
      gates[i]!.resolve();
    }
    await Promise.all(runs);
  });

  it('releases the slot when a task throws, and passes the error on', async () => {
    const pool = new SequencePool(['s']);
    const failure = new Error('generation failed');
    await expect(pool.use(async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(pool.size).toBe(1);
    await expect(pool.use(async (slot) => `got ${slot}`)).resolves.toBe('got s');
  });

  it('hands the slot of a failed task to the next waiter', async () => {
    const pool = new SequencePool([7]);
    const gate = deferred();
    const failing = pool.use(async () => {
      await gate.promise;
      throw new Error('boom');
    });
    const next = pool.use(async (slot) => slot * 2);
    gate.resolve();
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(14);
    expect(pool.size).toBe(1);
  });

  it('releases the slot when a task throws synchronously', async () => {
    const pool = new SequencePool(['s']);
    await expect(
      pool.use(() => {
        throw new TypeError('sync');
      })
    ).rejects.toThrow('sync');
    expect(pool.size).toBe(1);
  });

  it('handles falsy slot values such as 0', async () => {
    const pool = new SequencePool([0]);
    expect(await pool.acquire()).toBe(0);
    expect(pool.size).toBe(0);
    const waiting = pool.acquire();
    pool.release(0);
    expect(await waiting).toBe(0);
  });

  it('takes an aborted waiter out of the queue at once, rejecting with the signal reason', async () => {
    const pool = new SequencePool(['s']);
    const held = await pool.acquire();
    const controller = new AbortController();
    const leaving = pool.acquire(controller.signal);
    const staying = pool.acquire();
    expect(pool.queued).toBe(2);
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    expect(pool.queued).toBe(1);
    // The released slot goes to the waiter behind it, not to the one that left.
    pool.release(held);
    expect(await staying).toBe('s');
    expect(pool.queued).toBe(0);
  });

  it('rejects with an Error naming an abort reason that is not one, both queued and already aborted', async () => {
    const pool = new SequencePool(['s']);
    const held = await pool.acquire();
    const controller = new AbortController();
    const leaving = pool.acquire(controller.signal);
    controller.abort('user cancelled');
    const expected = new Error('The wait for a free sequence was aborted: user cancelled');
    await expect(leaving).rejects.toThrow(expected);
    await expect(pool.acquire(controller.signal)).rejects.toThrow(expected);
    pool.release(held);
    expect(pool.size).toBe(1);
  });

  it('rejects with the AbortError of a bare abort()', async () => {
    const pool = new SequencePool(['s']);
    await pool.acquire();
    const controller = new AbortController();
    const leaving = pool.acquire(controller.signal);
    controller.abort();
    await expect(leaving).rejects.toBe(controller.signal.reason);
    await expect(leaving).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects at once for an already aborted signal, even with a free slot, and keeps the slot', async () => {
    const pool = new SequencePool(['s']);
    const controller = new AbortController();
    controller.abort();
    await expect(pool.acquire(controller.signal)).rejects.toBeDefined();
    await expect(pool.use(async () => 'ran', controller.signal)).rejects.toBeDefined();
    expect(pool.size).toBe(1);
  });

  it('ignores an abort after the slot was handed over', async () => {
    const pool = new SequencePool(['s']);
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    pool.release(held);
    expect(await waiting).toBe('s');
    controller.abort();
    await flush();
    expect(pool.queued).toBe(0);
    pool.release('s');
    expect(pool.size).toBe(1);
  });

  it('with no slots, waits until one is released', async () => {
    const pool = new SequencePool<string>([]);
    let got: string | undefined;
    const p = pool.acquire().then((s) => (got = s));
    await flush();
    expect(got).toBeUndefined();
    pool.release('late');
    await p;
    expect(got).toBe('late');
  });
});

import { describe, expect, it } from '@jest/globals';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { BUDGET_EPSILON_USD, CloudBudget } from '../../src/routing/CloudBudget.js';

/** Deterministic pseudo-random numbers (mulberry32), so a failing interleaving can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CloudBudget', () => {
  it('grants every reservation without a cap and books what each request actually cost', () => {
    const budget = new CloudBudget(null);
    const a = budget.tryReserve(1000)!;
    const b = budget.tryReserve(0.25)!;
    expect(budget.reservedUsd).toBe(1000.25);
    budget.settle(a, 0.5);
    budget.release(b);
    expect([budget.spentUsd, budget.reservedUsd, budget.remainingUsd(), budget.exhausted, budget.maxUsd]).toEqual([0.5, 0, null, false, null]);
  });

  it('refuses a reservation that would pass the cap, counting spend and open reservations, and marks itself exhausted', () => {
    const budget = new CloudBudget(1);
    const a = budget.tryReserve(0.4)!;
    const b = budget.tryReserve(0.4)!;
    expect(budget.remainingUsd()).toBeCloseTo(0.2, 12);
    expect(budget.tryReserve(0.3)).toBeNull();
    expect(budget.exhausted).toBe(true);
    // The headroom comes back when a request settles below its reservation or fails.
    budget.settle(a, 0.1);
    expect(budget.tryReserve(0.3)).not.toBeNull();
    budget.release(b);
    expect(budget.spentUsd).toBeCloseTo(0.1, 12);
    expect(budget.reservedUsd).toBeCloseTo(0.3, 12);
    expect(budget.remainingUsd()).toBeCloseTo(0.6, 12);
  });

  it('accepts a reservation that fits exactly despite float noise, and nothing beyond the epsilon', () => {
    const budget = new CloudBudget(0.3);
    const a = budget.tryReserve(0.1)!;
    const b = budget.tryReserve(0.2)!; // 0.1 + 0.2 = 0.30000000000000004 in floats
    expect(b).not.toBeNull();
    expect(budget.tryReserve(1e-6)).toBeNull();
    budget.settle(a, 0.1);
    budget.settle(b, 0.2);
    expect(budget.spentUsd - 0.3).toBeLessThanOrEqual(BUDGET_EPSILON_USD);
    expect(budget.remainingUsd()).toBe(0);
    expect(budget.tryReserve(2 * BUDGET_EPSILON_USD)).toBeNull();
  });

  it('with a cap of 0, grants only requests that cost nothing', () => {
    const budget = new CloudBudget(0);
    expect(budget.tryReserve(0.000001)).toBeNull();
    expect(budget.tryReserve(0)).not.toBeNull();
  });

  it('never lets concurrent requests together pass the cap', async () => {
    const cap = 0.05;
    const budget = new CloudBudget(cap);
    const next = random(11);
    let granted = 0;
    let refused = 0;
    let worst = 0;
    const watch = (): void => {
      worst = Math.max(worst, budget.spentUsd + budget.reservedUsd);
    };
    const request = async (): Promise<void> => {
      await nextTurn();
      const estimate = 0.001 + next() * 0.004;
      const reservation = budget.tryReserve(estimate);
      watch();
      if (reservation === null) {
        refused += 1;
        budget.noteKeptLocal();
        return;
      }
      granted += 1;
      for (let turns = Math.floor(next() * 5); turns > 0; turns -= 1) await nextTurn();
      // A request costs at most its estimate; some fail and cost nothing.
      if (next() < 0.2) budget.release(reservation);
      else budget.settle(reservation, estimate * next());
      watch();
    };
    await Promise.all(Array.from({ length: 200 }, request));
    expect(granted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
    expect(worst).toBeLessThanOrEqual(cap + BUDGET_EPSILON_USD);
    expect(budget.spentUsd).toBeLessThanOrEqual(cap + BUDGET_EPSILON_USD);
    expect(budget.reservedUsd).toBe(0);
    expect(budget.tasksKeptLocal).toBe(refused);
  });

  it('counts the tasks kept local because of the cap, and that marks it exhausted', () => {
    const budget = new CloudBudget(5);
    expect([budget.tasksKeptLocal, budget.exhausted]).toEqual([0, false]);
    budget.noteKeptLocal();
    budget.noteKeptLocal();
    expect([budget.tasksKeptLocal, budget.exhausted]).toEqual([2, true]);
  });

  it('rejects a reservation settled or released twice, or made by another budget', () => {
    const budget = new CloudBudget(1);
    const reservation = budget.tryReserve(0.5)!;
    budget.settle(reservation, 0.2);
    expect(() => budget.settle(reservation, 0.2)).toThrow(/already settled or released/);
    expect(() => budget.release(reservation)).toThrow(/already settled or released/);
    expect(() => budget.release(new CloudBudget(1).tryReserve(0.1)!)).toThrow(/not made by this budget/);
    expect(() => budget.release({ usd: 0.5 })).toThrow(/not made by this budget/);
    // The failed calls changed nothing.
    expect([budget.spentUsd, budget.reservedUsd]).toEqual([0.2, 0]);
  });

  it('rejects amounts that are not money', () => {
    for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new CloudBudget(bad)).toThrow(/max-cloud-usd must be a finite, non-negative amount/);
      expect(() => new CloudBudget(null).tryReserve(bad)).toThrow(RangeError);
    }
    const budget = new CloudBudget(null);
    const reservation = budget.tryReserve(1)!;
    expect(() => budget.settle(reservation, -1)).toThrow(RangeError);
    // A refused settle leaves the reservation open, so it can still be settled properly.
    budget.settle(reservation, 1);
    expect(budget.spentUsd).toBe(1);
  });
});

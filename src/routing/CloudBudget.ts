/**
 * The run's cloud spend against max-cloud-usd, shared by every request in flight. A request reserves the most it can
 * cost before it is sent and settles with what it did cost after; the cap holds because a reservation is refused
 * whenever spent + reserved + the new reservation would pass it. The methods are synchronous, so no await can fall
 * between the check and the booking: concurrent requests cannot both take the last headroom.
 */

/**
 * Sums of unrounded float costs carry representation noise (0.1 + 0.2 = 0.30000000000000004): a reservation that fits
 * the cap exactly must not be refused for it. A billionth of a dollar is far below the report's 6-decimal rounding, so
 * no report can show spend above the cap.
 */
export const BUDGET_EPSILON_USD = 1e-9;

/** Money held for one request until it settles or is released. */
export interface BudgetReservation {
  readonly usd: number;
}

function checkUsd(what: string, usd: number): void {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`${what} must be a finite, non-negative amount of USD; got ${String(usd)}.`);
}

export class CloudBudget {
  private spent = 0;
  private reserved = 0;
  private keptLocal = 0;
  private wasExhausted = false;
  private readonly open = new Set<BudgetReservation>();

  /** maxUsd: the cap in USD, null for none. */
  constructor(readonly maxUsd: number | null) {
    if (maxUsd !== null) checkUsd('max-cloud-usd', maxUsd);
  }

  /**
   * Holds `usd` for a request, or returns null (and marks the budget exhausted) when spent + reserved + usd would
   * pass the cap. Without a cap every reservation is granted.
   */
  tryReserve(usd: number): BudgetReservation | null {
    checkUsd('A reservation', usd);
    if (this.maxUsd !== null && this.spent + this.reserved + usd > this.maxUsd + BUDGET_EPSILON_USD) {
      this.wasExhausted = true;
      return null;
    }
    const reservation: BudgetReservation = Object.freeze({ usd });
    this.open.add(reservation);
    this.reserved += usd;
    return reservation;
  }

  /** The request was answered: its reservation is freed and what it actually cost is spent. */
  settle(reservation: BudgetReservation, actualUsd: number): void {
    checkUsd('A settled cost', actualUsd);
    this.close(reservation);
    this.spent += actualUsd;
  }

  /** The request cost nothing (it failed before being billed): its reservation is freed. */
  release(reservation: BudgetReservation): void {
    this.close(reservation);
  }

  /** A task went local because its cloud request could have passed the cap. */
  noteKeptLocal(): void {
    this.keptLocal += 1;
    this.wasExhausted = true;
  }

  get spentUsd(): number {
    return this.spent;
  }

  get reservedUsd(): number {
    // Freeing every reservation can leave float dust (1e-17) instead of 0.
    return this.open.size === 0 ? 0 : this.reserved;
  }

  get exhausted(): boolean {
    return this.wasExhausted;
  }

  get tasksKeptLocal(): number {
    return this.keptLocal;
  }

  /** What a new reservation may still take; null without a cap. */
  remainingUsd(): number | null {
    if (this.maxUsd === null) return null;
    return Math.max(0, this.maxUsd - this.spent - this.reservedUsd);
  }

  private close(reservation: BudgetReservation): void {
    if (!this.open.delete(reservation)) {
      throw new Error('This budget reservation was already settled or released, or was not made by this budget: settle or release each reservation once.');
    }
    this.reserved = this.open.size === 0 ? 0 : this.reserved - reservation.usd;
  }
}

import { SequencePool } from '../inference/SequencePool.js';

/** What `/health` reports of the queue. */
export interface QueueState {
  /** Requests generating now (at most `slots`). */
  running: number;
  /** Requests admitted and waiting for a sequence (at most `queueLimit`). */
  queued: number;
  /** The model's parallel sequences. */
  slots: number;
  /** Requests that may wait beyond the sequences before new ones are refused. */
  queueLimit: number;
}

/** A granted place: generate, then release it (once; later calls do nothing). */
export interface Admission {
  /** How long the request waited for its sequence. */
  readonly waitedMs: number;
  release(): void;
}

/** The retry-after a refused request is given before any request has finished, and the most it is ever given. */
const FIRST_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 60;
/** Weight of the newest service time in the running average behind retry-after. */
const SERVICE_TIME_WEIGHT = 0.3;

/**
 * The bounded queue in front of the model: `slots` requests generate at once (one per sequence, first come first
 * served), up to `queueLimit` more wait, and any beyond are refused at once, so a burst of CI jobs gets a quick 429
 * with a retry-after instead of piling up until their own timeouts.
 */
export class AdmissionQueue {
  private readonly pool: SequencePool<number>;
  private averageServiceMs: number | undefined;

  constructor(
    readonly slots: number,
    readonly queueLimit: number
  ) {
    if (!(Number.isInteger(slots) && slots >= 1)) throw new RangeError(`AdmissionQueue needs at least one slot, got ${slots}.`);
    if (!(Number.isInteger(queueLimit) && queueLimit >= 0)) throw new RangeError(`AdmissionQueue's queue limit must be 0 or more, got ${queueLimit}.`);
    this.pool = new SequencePool(Array.from({ length: slots }, (_, i) => i));
  }

  state(): QueueState {
    return { running: this.slots - this.pool.size, queued: this.pool.queued, slots: this.slots, queueLimit: this.queueLimit };
  }

  /**
   * A place for one request, or undefined when every sequence is busy and the queue is full. The promise waits for
   * a sequence; an aborted `signal` (the client went away) leaves the queue and rejects with the signal's reason.
   */
  tryEnter(signal?: AbortSignal): Promise<Admission> | undefined {
    const { running, queued } = this.state();
    if (running + queued >= this.slots + this.queueLimit) return undefined;
    const askedAt = Date.now();
    return this.pool.acquire(signal).then((slot) => {
      const startedAt = Date.now();
      let released = false;
      return {
        waitedMs: startedAt - askedAt,
        release: () => {
          if (released) return;
          released = true;
          this.recordServiceTime(Date.now() - startedAt);
          this.pool.release(slot);
        }
      };
    });
  }

  /**
   * Seconds after which a refused request may find room: the time for the queue ahead of it to drain at the recent
   * service time per request, at least a second, at most a minute.
   */
  retryAfterSeconds(): number {
    if (this.averageServiceMs === undefined) return FIRST_RETRY_AFTER_S;
    const { queued } = this.state();
    const seconds = Math.ceil((this.averageServiceMs * (queued + 1)) / this.slots / 1000);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds));
  }

  private recordServiceTime(ms: number): void {
    this.averageServiceMs = this.averageServiceMs === undefined ? ms : SERVICE_TIME_WEIGHT * ms + (1 - SERVICE_TIME_WEIGHT) * this.averageServiceMs;
  }
}

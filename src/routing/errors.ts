import { isError } from '../core/isError.js';
import type { Tier } from '../core/Routing.js';
import { InferenceError } from '../inference/errors.js';

/** Errors of the router; each message names the target and says what to change. */

/** A request failed on its tier, and the other tier it was handed to failed too. */
export class FallbackFailedError extends InferenceError {
  override readonly name = 'FallbackFailedError';

  constructor(
    readonly target: string,
    readonly from: Tier,
    /** What the first tier failed with. */
    readonly first: unknown,
    /** What the fallback tier failed with. */
    readonly second: unknown
  ) {
    super(
      `The ${from} request for ${JSON.stringify(target)} failed (${describeError(first)}), and the fallback to the ${other(from)} model failed too (${describeError(second)}). ` +
        'Fix either provider (the messages say how), or retry later.',
      { cause: second }
    );
  }
}

/**
 * The cloud request would have passed max-cloud-usd and the task cannot go local instead (the local model failed to
 * load), so it gets no answer.
 */
export class BudgetExhaustedError extends InferenceError {
  override readonly name = 'BudgetExhaustedError';

  constructor(
    readonly target: string,
    readonly estimateUsd: number,
    readonly remainingUsd: number,
    readonly maxUsd: number,
    localFailure: unknown
  ) {
    super(
      `The cloud request for ${JSON.stringify(target)} could cost up to $${estimateUsd.toFixed(6)}, more than the $${remainingUsd.toFixed(6)} left of max-cloud-usd ($${maxUsd}), ` +
        `and the local model is unavailable (${describeError(localFailure)}). Raise max-cloud-usd, lower max-tokens, or fix the local model.`
    );
  }
}

/** The remote provider cannot run on this Node.js. */
export class RemoteProviderUnsupportedError extends InferenceError {
  override readonly name = 'RemoteProviderUnsupportedError';
}

function other(tier: Tier): Tier {
  return tier === 'local' ? 'cloud' : 'local';
}

/** Our own errors' messages say what to fix; anything else is shown by its string form. */
export function describeError(error: unknown): string {
  return isError(error) ? `${error.name}: ${error.message}` : String(error);
}

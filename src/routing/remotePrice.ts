import type { ModelPrice, RemoteProviderOptions } from '../core/Routing.js';
import { resolvePrice, UnknownModelPriceError, type TieredModelPrice } from './priceTable.js';

/** A shared server the team runs itself bills nothing per token. */
export const SELF_HOSTED_PRICE: ModelPrice = Object.freeze({ inputPerMTok: 0, outputPerMTok: 0, cacheWritePerMTok: 0, cacheReadPerMTok: 0 });

export interface RemotePrice {
  price: TieredModelPrice;
  /** 'self-hosted': a shared server without a configured price, priced at $0. */
  source: 'built-in' | 'config' | 'self-hosted';
}

/**
 * What the remote model's tokens cost. Anthropic models must have a price (built in or configured): without one the
 * budget could not be kept, so UnknownModelPriceError. A shared server costs what the configuration says, else $0:
 * a built-in Claude price never applies to it, whatever its model is called.
 */
export function remotePrice(remote: RemoteProviderOptions, prices: Readonly<Record<string, ModelPrice>>): RemotePrice {
  if (remote.kind === 'anthropic') return resolvePrice(remote.model, prices);
  try {
    const resolved = resolvePrice(remote.model, prices);
    if (resolved.source === 'config') return resolved;
  } catch (error) {
    if (!(error instanceof UnknownModelPriceError)) throw error;
  }
  return { price: SELF_HOSTED_PRICE, source: 'self-hosted' };
}

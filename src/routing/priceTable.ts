/**
 * What a cloud request costs: the built-in prices of the current Claude models, the user's overrides, and the two
 * formulas the router needs (the cost of a finished request, and the most a request about to be sent can cost).
 *
 * Prices are USD per million tokens, as Anthropic publishes them. Sources, as stored when this table was written:
 * - https://platform.claude.com/docs/en/about-claude/pricing (the model pricing table: Opus 5, Opus 4.8 to 4.5; the
 *   Sonnet 4.6, Sonnet 4.5 and Haiku 4.5 rows as an earlier stored copy of the same page lists them; its
 *   prompt-caching multipliers: a 5-minute cache write costs 1.25× the base input price, a cache hit 0.1×, except where
 *   a model's row says otherwise);
 * - the model pages for the models newer than that table: https://platform.claude.com/docs/zh-CN/models/opus-5-5/overview,
 *   https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview, https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview,
 *   https://platform.claude.com/docs/en/models/haiku-5-5/overview ("from $0.10 / $0.50": priced by prompt length).
 * Retired models (Opus 4.1, Opus 4, Sonnet 4 and older) are left out: the API no longer serves them. Fable and Mythos are
 * not Opus, Sonnet or Haiku models; a run that uses one (or any other model) names its price in .aqe/config.yml.
 */

import type { ModelPrice } from '../core/Routing.js';
import { CLOUD_INPUTS } from '../inference/cloud/cloudInputs.js';

const TOKENS_PER_MTOK = 1_000_000;

/**
 * A second price for long prompts: a request whose prompt (cached parts included) is longer than `aboveTokens` pays
 * `price` on every token of that request, its output too.
 */
export interface LongPromptBand {
  aboveTokens: number;
  price: ModelPrice;
}

/** A ModelPrice that may carry a long-prompt band (Haiku 5.5); a plain ModelPrice is one of these. */
export interface TieredModelPrice extends ModelPrice {
  longPrompt?: LongPromptBand;
}

function price(inputPerMTok: number, outputPerMTok: number, cacheWritePerMTok: number, cacheReadPerMTok: number): ModelPrice {
  return Object.freeze({ inputPerMTok, outputPerMTok, cacheWritePerMTok, cacheReadPerMTok });
}

// The Opus 4.5-and-later rate card, shared by five rows of the pricing page.
const OPUS_5_TO_4_5 = price(5, 25, 6.25, 0.5);
const SONNET_4_X = price(3, 15, 3.75, 0.3);

/** By family id, the API's model id without a snapshot date. */
const BUILT_IN_PRICES: Readonly<Record<string, TieredModelPrice>> = Object.freeze({
  // Opus 5.5's cache hits are 0.05× input ($0.20), not the usual 0.1×: its model page lists them so.
  'claude-opus-5-5': price(4, 20, 5, 0.2),
  'claude-opus-5': OPUS_5_TO_4_5,
  'claude-opus-4-8': OPUS_5_TO_4_5,
  'claude-opus-4-7': OPUS_5_TO_4_5,
  'claude-opus-4-6': OPUS_5_TO_4_5,
  'claude-opus-4-5': OPUS_5_TO_4_5,
  // The stored Sonnet 5.5 page lists cache reads at $0.20; later third-party notes report a cut to $0.10 from
  // 2026-10-07. The page's figure is kept: it can only overstate a cost, never let a request past max-cloud-usd.
  'claude-sonnet-5-5': price(2, 10, 2.5, 0.2),
  'claude-sonnet-5': price(2, 10, 2.5, 0.2),
  'claude-sonnet-4-6': SONNET_4_X,
  'claude-sonnet-4-5': SONNET_4_X,
  // The Haiku 5.5 page gives "from $0.10 / $0.50"; the cache rates follow the page's multipliers, and the band (5× on
  // every rate for prompts over 100,000 tokens) is as release notes that checked the pricing page report it.
  'claude-haiku-5-5': Object.freeze({
    ...price(0.1, 0.5, 0.125, 0.01),
    longPrompt: Object.freeze({ aboveTokens: 100_000, price: price(0.5, 2.5, 0.625, 0.05) })
  }),
  'claude-haiku-4-5': price(1, 5, 1.25, 0.1)
});

/** The current Sonnet: the default `cloud-model`. */
export const DEFAULT_CLOUD_MODEL = 'claude-sonnet-5-5';

/** The page the built-in prices were taken from, for the README and the report. */
export const PRICE_TABLE_SOURCE = 'https://platform.claude.com/docs/en/about-claude/pricing';

/**
 * GitHub's standard Linux 2-core x64 hosted runner (SKU `linux`), $0.006 a minute from January 1, 2026, as listed on
 * https://docs.github.com/en/billing/reference/actions-runner-pricing (source: github/docs,
 * data/reusables/billing/actions-standard-runner-prices.md). The default `local-cost-per-hour` is that × 60.
 */
const STANDARD_LINUX_RUNNER_USD_PER_MINUTE = 0.006;
export const DEFAULT_LOCAL_COST_PER_HOUR: number = STANDARD_LINUX_RUNNER_USD_PER_MINUTE * 60;
export const DEFAULT_LOCAL_COST_SOURCE =
  `GitHub's standard Linux 2-core x64 hosted runner at $${STANDARD_LINUX_RUNNER_USD_PER_MINUTE} a minute ` +
  `(https://docs.github.com/en/billing/reference/actions-runner-pricing, rates from January 1, 2026) × 60 = $${DEFAULT_LOCAL_COST_PER_HOUR} an hour`;

const SNAPSHOT_SUFFIX = /-(\d{8}|latest)$/;

/** The family id a model id is priced under: claude-sonnet-4-5-20250929 and claude-sonnet-4-5-latest → claude-sonnet-4-5. */
export function priceFamily(model: string): string {
  return model.trim().replace(SNAPSHOT_SUFFIX, '');
}

/** The family ids with a built-in price, for messages and the README. */
export function builtInPriceModels(): string[] {
  return Object.keys(BUILT_IN_PRICES);
}

/** The built-in price of a current Claude model (a dated snapshot or an alias resolves to its family); undefined when none is known. */
export function builtInPrice(model: string): TieredModelPrice | undefined {
  const family = priceFamily(model);
  return Object.hasOwn(BUILT_IN_PRICES, family) ? BUILT_IN_PRICES[family] : undefined;
}

/** A remote model the run would use has no price, so neither its cost nor max-cloud-usd could be kept. */
export class UnknownModelPriceError extends Error {
  override readonly name = 'UnknownModelPriceError';

  constructor(readonly model: string) {
    const key = JSON.stringify(model);
    super(
      `Input "${CLOUD_INPUTS.cloudModel}": no price is known for the model ${key}, so the run could neither report what its requests cost ` +
        `nor keep to max-cloud-usd. Use a model with a built-in price (${builtInPriceModels().join(', ')}; dated snapshots and -latest aliases ` +
        `of these too), or add the model's price in USD per million tokens to .aqe/config.yml:\n` +
        `cost:\n` +
        `  prices:\n` +
        `    ${key}:\n` +
        `      input: <USD per million input tokens>\n` +
        `      output: <USD per million output tokens>\n` +
        `      cache-write: <USD per million tokens written to the prompt cache (5-minute entries)>\n` +
        `      cache-read: <USD per million tokens read from the prompt cache>`
    );
  }
}

/**
 * The price a run uses for `model`: the configuration's entry under the exact id, else under its family id
 * (a price for claude-sonnet-4-5 also prices claude-sonnet-4-5-20250929), else the built-in one.
 * Throws UnknownModelPriceError when there is none.
 */
export function resolvePrice(model: string, overrides: Readonly<Record<string, ModelPrice>>): { price: TieredModelPrice; source: 'built-in' | 'config' } {
  for (const key of [model, priceFamily(model)]) {
    if (Object.hasOwn(overrides, key)) return { price: overrides[key]!, source: 'config' };
  }
  const builtIn = builtInPrice(model);
  if (builtIn === undefined) throw new UnknownModelPriceError(model);
  return { price: builtIn, source: 'built-in' };
}

/** The band a request with this many prompt tokens (cached parts included) is billed at. */
export function priceForPrompt(price: TieredModelPrice, promptTokens: number): ModelPrice {
  return price.longPrompt !== undefined && promptTokens > price.longPrompt.aboveTokens ? price.longPrompt.price : price;
}

function checkTokens(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite, non-negative token count; got ${String(value)}.`);
  }
}

/**
 * What a finished request cost, in USD:
 * ((promptTokens − cacheReadTokens − cacheWriteTokens) × input + cacheWriteTokens × cache-write
 *  + cacheReadTokens × cache-read + completionTokens × output) / 1,000,000,
 * at the band its promptTokens (cached parts included) falls in. Not rounded: sums of many requests stay exact enough.
 */
export function requestCostUsd(
  price: TieredModelPrice,
  usage: { promptTokens: number; completionTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number }
): number {
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  checkTokens('promptTokens', usage.promptTokens);
  checkTokens('completionTokens', usage.completionTokens);
  checkTokens('cacheReadTokens', cacheRead);
  checkTokens('cacheWriteTokens', cacheWrite);
  const uncached = usage.promptTokens - cacheRead - cacheWrite;
  if (uncached < 0) {
    throw new RangeError(
      `promptTokens (${usage.promptTokens}) must include the cached parts, but cacheReadTokens (${cacheRead}) + cacheWriteTokens (${cacheWrite}) exceed it.`
    );
  }
  const band = priceForPrompt(price, usage.promptTokens);
  return (
    (uncached * band.inputPerMTok + cacheWrite * band.cacheWritePerMTok + cacheRead * band.cacheReadPerMTok + usage.completionTokens * band.outputPerMTok) /
    TOKENS_PER_MTOK
  );
}

/**
 * The most a request about to be sent can cost, in USD: every input token at the dearest input rate
 * (max(input, cache-write, cache-read): the cache may write all of it) plus maxOutputTokens at the output rate,
 * (inputTokens × max(...) + maxOutputTokens × output) / 1,000,000, at the band inputTokens falls in. inputTokens must
 * be counted the way the API bills them (AnthropicProvider.countRequestTokens), or a prompt near a band's edge could
 * be priced at the cheaper band.
 */
export function maxRequestCostUsd(price: TieredModelPrice, inputTokens: number, maxOutputTokens: number): number {
  checkTokens('inputTokens', inputTokens);
  checkTokens('maxOutputTokens', maxOutputTokens);
  const band = priceForPrompt(price, inputTokens);
  const dearestInput = Math.max(band.inputPerMTok, band.cacheWritePerMTok, band.cacheReadPerMTok);
  return (inputTokens * dearestInput + maxOutputTokens * band.outputPerMTok) / TOKENS_PER_MTOK;
}

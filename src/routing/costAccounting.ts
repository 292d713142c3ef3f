/**
 * The report's cost section, built from the run's provider telemetry and the price table. Every figure is a formula
 * over token counts, inference time and prices, written out below, so a reader (or a test) can recompute it from the
 * JSON report alone. Figures are computed unrounded and rounded once on the way out: money to 6 decimals, percentages
 * to 0.1, token volumes to whole tokens, throughput to 0.1 token/s.
 */

import type { ModelPrice } from '../core/Routing.js';
import type { CostSection, ProviderTelemetry } from './RoutingFigures.js';

/** A runner kept for this work around the clock: 365 × 24 / 12 hours a month. */
export const HOURS_PER_MONTH = 730;

const TOKENS_PER_MTOK = 1_000_000;
const MS_PER_HOUR = 3_600_000;

export interface CostInput {
  /** Every provider of the run; local ones have tier 'local'. */
  telemetry: readonly ProviderTelemetry[];
  /** The configured remote model, else the default cloud model for the comparison; null when no price is known. */
  cloudModel: { model: string; price: ModelPrice; priceSource: 'built-in' | 'config' } | null;
  localCostPerHour: number;
  localCostSource: 'input' | 'config' | 'default';
  budget: { maxUsd: number | null; spentUsd: number; exhausted: boolean; tasksKeptLocal: number };
}

/** The runner's price apportioned to inference time: what `generationMs` of local inference cost. */
export function localInferenceCostUsd(generationMs: number, costPerHour: number): number {
  return (costPerHour * generationMs) / MS_PER_HOUR;
}

export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

function roundTenth(x: number): number {
  return Math.round(x * 10) / 10;
}

function sum(
  entries: readonly ProviderTelemetry[],
  field: 'requests' | 'promptTokens' | 'completionTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'generationMs' | 'costUsd'
): number {
  return entries.reduce((n, e) => n + e[field], 0);
}

/**
 * The cost section (field docs in RoutingFigures.ts). With L = the local entries, C = the cloud entries and P = the
 * cloud model's price (its base band: telemetry holds totals, not each request's prompt length):
 * - cloud.costUsd = Σ C.costUsd: each request priced by requestCostUsd when it was answered (cache reads and writes at
 *   their own rates).
 * - local.inferenceMs = Σ L.generationMs; local.costUsd = localCostPerHour × inferenceMs / 3,600,000 (the runner's
 *   price apportioned by inference time); local.tokensPerSecond = (Σ L.promptTokens + Σ L.completionTokens) /
 *   (inferenceMs / 1000), 0 without inference time.
 * - avoided.costUsd = (Σ L.promptTokens × P.input + Σ L.completionTokens × P.output) / 1,000,000 (the local tokens at
 *   the cloud model's price, no caching); avoided.savingsPercent = (avoided − local.costUsd) / avoided × 100 (0 when
 *   nothing was avoided; negative when the runner cost more). null without a cloud price.
 * - breakEven, null without a cloud price, without local throughput, or when the cloud model is free:
 *   cloudUsdPerMTok = avoided.costUsd / (local tokens / 1,000,000), the cloud price at this run's local input/output mix;
 *   localUsdPerMTok = localCostPerHour / (tokensPerSecond × 3600) × 1,000,000, a million tokens on the runner at the
 *   measured throughput; capacityTokensPerMonth = tokensPerSecond × 3600 × HOURS_PER_MONTH, what one runner produces
 *   in a month; tokensPerMonth = localCostPerHour × HOURS_PER_MONTH / cloudUsdPerMTok × 1,000,000, the volume whose
 *   cloud cost equals a month of the runner: above it the runner is cheaper, provided it is within the capacity.
 * - totalUsd = cloud.costUsd + local.costUsd, both as rounded, so the report's own figures add up.
 */
export function buildCostSection(input: CostInput): CostSection {
  if (!Number.isFinite(input.localCostPerHour) || input.localCostPerHour < 0) {
    throw new RangeError(`local-cost-per-hour must be a finite, non-negative amount of USD; got ${String(input.localCostPerHour)}.`);
  }
  const cloudEntries = input.telemetry.filter((e) => e.tier === 'cloud');
  const localEntries = input.telemetry.filter((e) => e.tier === 'local');

  const cloudCost = roundUsd(sum(cloudEntries, 'costUsd'));

  const localPrompt = sum(localEntries, 'promptTokens');
  const localCompletion = sum(localEntries, 'completionTokens');
  const localTokens = localPrompt + localCompletion;
  const inferenceMs = sum(localEntries, 'generationMs');
  const localCostExact = localInferenceCostUsd(inferenceMs, input.localCostPerHour);
  const localCost = roundUsd(localCostExact);
  const tokensPerSecond = inferenceMs > 0 ? localTokens / (inferenceMs / 1000) : 0;

  let avoided: CostSection['avoided'] = null;
  let breakEven: CostSection['breakEven'] = null;
  if (input.cloudModel !== null) {
    const price = input.cloudModel.price;
    const avoidedUsd = (localPrompt * price.inputPerMTok + localCompletion * price.outputPerMTok) / TOKENS_PER_MTOK;
    avoided = {
      costUsd: roundUsd(avoidedUsd),
      savingsPercent: avoidedUsd > 0 ? roundTenth(((avoidedUsd - localCostExact) / avoidedUsd) * 100) : 0
    };
    if (tokensPerSecond > 0 && avoidedUsd > 0) {
      const cloudUsdPerMTok = avoidedUsd / (localTokens / TOKENS_PER_MTOK);
      const tokensPerHour = tokensPerSecond * 3600;
      breakEven = {
        tokensPerMonth: Math.round(((input.localCostPerHour * HOURS_PER_MONTH) / cloudUsdPerMTok) * TOKENS_PER_MTOK),
        capacityTokensPerMonth: Math.round(tokensPerHour * HOURS_PER_MONTH),
        cloudUsdPerMTok: roundUsd(cloudUsdPerMTok),
        localUsdPerMTok: roundUsd((input.localCostPerHour / tokensPerHour) * TOKENS_PER_MTOK)
      };
    }
  }

  return {
    currency: 'USD',
    cloudModel: input.cloudModel,
    cloud: {
      requests: sum(cloudEntries, 'requests'),
      promptTokens: sum(cloudEntries, 'promptTokens'),
      completionTokens: sum(cloudEntries, 'completionTokens'),
      cacheReadTokens: sum(cloudEntries, 'cacheReadTokens'),
      cacheWriteTokens: sum(cloudEntries, 'cacheWriteTokens'),
      costUsd: cloudCost
    },
    local: {
      requests: sum(localEntries, 'requests'),
      promptTokens: localPrompt,
      completionTokens: localCompletion,
      inferenceMs,
      costPerHourUsd: input.localCostPerHour,
      costPerHourSource: input.localCostSource,
      costUsd: localCost,
      tokensPerSecond: roundTenth(tokensPerSecond)
    },
    avoided,
    breakEven,
    budget: {
      maxUsd: input.budget.maxUsd,
      spentUsd: roundUsd(input.budget.spentUsd),
      exhausted: input.budget.exhausted,
      tasksKeptLocal: input.budget.tasksKeptLocal
    },
    totalUsd: roundUsd(cloudCost + localCost)
  };
}

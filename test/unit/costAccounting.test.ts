import { describe, expect, it } from '@jest/globals';

import { buildCostSection, HOURS_PER_MONTH, type CostInput } from '../../src/routing/costAccounting.js';
import { builtInPrice, requestCostUsd } from '../../src/routing/priceTable.js';
import type { CostSection, ProviderTelemetry } from '../../src/routing/RoutingFigures.js';

// claude-sonnet-4-5 as the pricing page lists it, USD per million tokens; written out so the recomputations below
// depend on the page, not on the table under test.
const SONNET_45 = { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 };

interface Usage {
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Telemetry the way the router aggregates it: each request priced with requestCostUsd when it was answered. */
function cloudTelemetry(requests: Usage[]): ProviderTelemetry {
  const price = builtInPrice('claude-sonnet-4-5')!;
  const total = (f: keyof Usage): number => requests.reduce((n, r) => n + r[f], 0);
  return {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    tier: 'cloud',
    requests: requests.length,
    errors: 0,
    retries: 1,
    fallbacks: 0,
    promptTokens: total('promptTokens'),
    completionTokens: total('completionTokens'),
    cacheReadTokens: total('cacheReadTokens'),
    cacheWriteTokens: total('cacheWriteTokens'),
    latencyMs: { p50: 900, p95: 1400, total: 2300 },
    generationMs: 2100,
    costUsd: requests.reduce((n, r) => n + requestCostUsd(price, r), 0)
  };
}

function localTelemetry(provider: string, requests: number, promptTokens: number, completionTokens: number, generationMs: number): ProviderTelemetry {
  return {
    provider,
    model: 'demo.gguf',
    tier: 'local',
    requests,
    errors: 0,
    retries: 0,
    fallbacks: 0,
    promptTokens,
    completionTokens,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    latencyMs: { p50: 10_000, p95: 20_000, total: generationMs + 500 },
    generationMs,
    costUsd: 0
  };
}

// Request 1: 12,000 prompt tokens, 8,000 read from the cache and 2,000 written to it, 1,500 out:
//   2,000 × $3 + 2,000 × $3.75 + 8,000 × $0.30 + 1,500 × $15 = $38,400 / 1M = $0.0384
// Request 2: 5,000 prompt tokens, 4,000 written, 800 out:
//   1,000 × $3 + 4,000 × $3.75 + 800 × $15 = $30,000 / 1M = $0.03
const CLOUD_REQUESTS: Usage[] = [
  { promptTokens: 12_000, completionTokens: 1_500, cacheReadTokens: 8_000, cacheWriteTokens: 2_000 },
  { promptTokens: 5_000, completionTokens: 800, cacheReadTokens: 0, cacheWriteTokens: 4_000 }
];

function run(overrides: Partial<CostInput> = {}): CostInput {
  return {
    telemetry: [
      cloudTelemetry(CLOUD_REQUESTS),
      // 40,000 prompt + 8,000 completion tokens in 120 s of inference, over two local providers.
      localTelemetry('local', 7, 30_000, 6_000, 90_000),
      localTelemetry('replay', 3, 10_000, 2_000, 30_000)
    ],
    cloudModel: { model: 'claude-sonnet-4-5-20250929', price: SONNET_45, priceSource: 'built-in' },
    localCostPerHour: 0.36,
    localCostSource: 'default',
    budget: { maxUsd: 0.5, spentUsd: 0.0684, exhausted: false, tasksKeptLocal: 0 },
    ...overrides
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The section's figures recomputed from its own JSON: token counts, inference time and the price it names. */
function recompute(section: CostSection): Record<string, unknown> {
  const { local, cloudModel } = section;
  const localCost = (local.costPerHourUsd * local.inferenceMs) / 3_600_000;
  const tps = (local.promptTokens + local.completionTokens) / (local.inferenceMs / 1000);
  const figures: Record<string, unknown> = {
    localCost: round6(localCost),
    tokensPerSecond: Math.round(tps * 10) / 10,
    total: round6(section.cloud.costUsd + round6(localCost))
  };
  if (cloudModel !== null) {
    const p = cloudModel.price;
    const avoided = (local.promptTokens * p.inputPerMTok + local.completionTokens * p.outputPerMTok) / 1e6;
    const perMTok = avoided / ((local.promptTokens + local.completionTokens) / 1e6);
    figures.avoided = round6(avoided);
    figures.savings = Math.round(((avoided - localCost) / avoided) * 1000) / 10;
    figures.breakEven = {
      tokensPerMonth: Math.round(((local.costPerHourUsd * 730) / perMTok) * 1e6),
      capacityTokensPerMonth: Math.round(tps * 3600 * 730),
      cloudUsdPerMTok: round6(perMTok),
      localUsdPerMTok: round6((local.costPerHourUsd / (tps * 3600)) * 1e6)
    };
  }
  return figures;
}

describe('buildCostSection', () => {
  it('reports the hand-checked figures of a mixed run', () => {
    const section = buildCostSection(run());
    expect(section).toEqual({
      currency: 'USD',
      cloudModel: { model: 'claude-sonnet-4-5-20250929', price: SONNET_45, priceSource: 'built-in' },
      cloud: { requests: 2, promptTokens: 17_000, completionTokens: 2_300, cacheReadTokens: 8_000, cacheWriteTokens: 6_000, costUsd: 0.0684 },
      local: {
        requests: 10,
        promptTokens: 40_000,
        completionTokens: 8_000,
        inferenceMs: 120_000,
        costPerHourUsd: 0.36,
        costPerHourSource: 'default',
        costUsd: 0.012, // $0.36/h × 120 s = $0.36 / 30
        tokensPerSecond: 400 // 48,000 tokens / 120 s
      },
      // 40,000 × $3 + 8,000 × $15 = $0.24; (0.24 − 0.012) / 0.24 = 95%
      avoided: { costUsd: 0.24, savingsPercent: 95 },
      breakEven: {
        tokensPerMonth: 52_560_000, // $0.36 × 730 h = $262.80 a month, at $5 per million cloud tokens
        capacityTokensPerMonth: 1_051_200_000, // 400 tokens/s × 3,600 s × 730 h
        cloudUsdPerMTok: 5, // $0.24 for 48,000 tokens
        localUsdPerMTok: 0.25 // $0.36 an hour for 1,440,000 tokens an hour
      },
      budget: { maxUsd: 0.5, spentUsd: 0.0684, exhausted: false, tasksKeptLocal: 0 },
      totalUsd: 0.0804
    });
    expect(HOURS_PER_MONTH).toBe(730);
  });

  it("takes the cloud cost from the telemetry, and that equals the cloud tokens recomputed at the price table's rates", () => {
    const section = buildCostSection(run());
    const { cloud } = section;
    const uncached = cloud.promptTokens - cloud.cacheReadTokens - cloud.cacheWriteTokens;
    const fromTokens =
      (uncached * SONNET_45.inputPerMTok +
        cloud.cacheWriteTokens * SONNET_45.cacheWritePerMTok +
        cloud.cacheReadTokens * SONNET_45.cacheReadPerMTok +
        cloud.completionTokens * SONNET_45.outputPerMTok) /
      1e6;
    expect(cloud.costUsd).toBe(round6(fromTokens));
    // It is the telemetry's figure that counts: a provider that billed differently is reported as billed.
    const billed = run();
    billed.telemetry = [{ ...billed.telemetry[0]!, costUsd: 0.1234567 }, ...billed.telemetry.slice(1)];
    expect(buildCostSection(billed).cloud.costUsd).toBe(0.123457);
  });

  it('is reproducible from its own JSON, for several runs', () => {
    const runs: CostInput[] = [
      run(),
      run({ localCostPerHour: 1.7 }),
      run({ telemetry: [cloudTelemetry(CLOUD_REQUESTS), localTelemetry('local', 41, 123_457, 9_876, 345_678)] }),
      run({
        cloudModel: {
          model: 'claude-opus-4-6',
          price: { inputPerMTok: 5, outputPerMTok: 25, cacheWritePerMTok: 6.25, cacheReadPerMTok: 0.5 },
          priceSource: 'config'
        }
      })
    ];
    for (const input of runs) {
      const section = JSON.parse(JSON.stringify(buildCostSection(input))) as CostSection;
      expect({
        localCost: section.local.costUsd,
        tokensPerSecond: section.local.tokensPerSecond,
        total: section.totalUsd,
        avoided: section.avoided!.costUsd,
        savings: section.avoided!.savingsPercent,
        breakEven: section.breakEven
      }).toEqual(recompute(section));
    }
  });

  it('rounds money to 6 decimals and percentages to 0.1, and the total adds the rounded parts', () => {
    // Local: $0.36/h × 100,000 ms = $0.01; avoided: 20,000 × $3 + 600 × $15 = $0.069; (0.069 − 0.01) / 0.069 = 85.507…%
    const section = buildCostSection(run({ telemetry: [{ ...cloudTelemetry([]), costUsd: 0.00000049 }, localTelemetry('local', 2, 20_000, 600, 100_000)] }));
    expect(section.cloud.costUsd).toBe(0);
    expect(section.local.costUsd).toBe(0.01);
    expect(section.avoided).toEqual({ costUsd: 0.069, savingsPercent: 85.5 });
    expect(section.totalUsd).toBe(0.01);
  });

  it('reports a negative saving when the runner cost more than the cloud would have', () => {
    // $36/h × 120 s = $1.20 against $0.24 avoided: (0.24 − 1.2) / 0.24 = −400%
    const section = buildCostSection(run({ localCostPerHour: 36, localCostSource: 'input' }));
    expect(section.local).toMatchObject({ costUsd: 1.2, costPerHourUsd: 36, costPerHourSource: 'input' });
    expect(section.avoided).toEqual({ costUsd: 0.24, savingsPercent: -400 });
    // $36 × 730 h = $26,280 a month at $5 per million tokens = 5,256,000,000 tokens, beyond one runner's 1,051,200,000.
    expect(section.breakEven).toMatchObject({ tokensPerMonth: 5_256_000_000, capacityTokensPerMonth: 1_051_200_000, localUsdPerMTok: 25 });
    expect(section.totalUsd).toBe(1.2684);
  });

  it('has no avoided cost or break-even without a cloud price, and still counts both tiers', () => {
    const section = buildCostSection(run({ cloudModel: null }));
    expect([section.avoided, section.breakEven, section.cloudModel]).toEqual([null, null, null]);
    expect([section.cloud.costUsd, section.local.costUsd, section.totalUsd]).toEqual([0.0684, 0.012, 0.0804]);
  });

  it('saves nothing and has no break-even when nothing ran locally, or when the cloud model is free', () => {
    const cloudOnly = buildCostSection(run({ telemetry: [cloudTelemetry(CLOUD_REQUESTS)] }));
    expect(cloudOnly.local).toMatchObject({ requests: 0, inferenceMs: 0, costUsd: 0, tokensPerSecond: 0 });
    expect([cloudOnly.avoided, cloudOnly.breakEven]).toEqual([{ costUsd: 0, savingsPercent: 0 }, null]);

    const free = { inputPerMTok: 0, outputPerMTok: 0, cacheWritePerMTok: 0, cacheReadPerMTok: 0 };
    const shared = buildCostSection(run({ cloudModel: { model: 'qwen-coder', price: free, priceSource: 'config' } }));
    expect([shared.avoided, shared.breakEven]).toEqual([{ costUsd: 0, savingsPercent: 0 }, null]);
  });

  it("prices the avoided tokens of a banded model (Haiku 5.5) at its base band: totals don't say how long each prompt was", () => {
    const haiku55 = builtInPrice('claude-haiku-5-5')!;
    const section = buildCostSection(
      run({
        telemetry: [localTelemetry('local', 4, 200_000, 10_000, 600_000)],
        cloudModel: { model: 'claude-haiku-5-5', price: haiku55, priceSource: 'built-in' }
      })
    );
    // 200,000 × $0.10 + 10,000 × $0.50 = $0.025; the runner: $0.36/h × 600 s = $0.06
    expect(section.avoided).toEqual({ costUsd: 0.025, savingsPercent: -140 });
  });

  it('passes the budget through, its spend rounded like all money', () => {
    const section = buildCostSection(run({ budget: { maxUsd: null, spentUsd: 0.30000000000000004, exhausted: true, tasksKeptLocal: 3 } }));
    expect(section.budget).toEqual({ maxUsd: null, spentUsd: 0.3, exhausted: true, tasksKeptLocal: 3 });
  });

  it('rejects a runner price that is not money', () => {
    expect(() => buildCostSection(run({ localCostPerHour: -1 }))).toThrow(/local-cost-per-hour/);
    expect(() => buildCostSection(run({ localCostPerHour: Number.NaN }))).toThrow(RangeError);
  });
});

import type { ProviderTelemetry } from '../../src/routing/RoutingFigures.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeReport, SONNET_PRICING } from './reportFixture.js';

export function providerTelemetry(overrides: Partial<ProviderTelemetry> = {}): ProviderTelemetry {
  return {
    provider: 'llama.cpp',
    model: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    tier: 'local',
    requests: 3,
    errors: 0,
    retries: 0,
    fallbacks: 0,
    promptTokens: 3_000,
    completionTokens: 1_200,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    latencyMs: { p50: 4_100, p95: 7_900, total: 16_000 },
    generationMs: 16_000,
    costUsd: 0,
    ...overrides
  };
}

/** The fixture's run with every section a metric reads: two providers, cost, compliance, changed lines and phases. */
export function metricsReport(overrides: Partial<RunReport> = {}): RunReport {
  return makeReport({
    changedLinesBefore: { linesPct: 25, coveredLines: 5, totalLines: 20 },
    changedLinesAfter: { linesPct: 85, coveredLines: 17, totalLines: 20 },
    telemetry: [
      providerTelemetry(),
      providerTelemetry({
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        tier: 'cloud',
        requests: 2,
        errors: 1,
        latencyMs: { p50: 2_300, p95: 3_050.5, total: 4_600 },
        costUsd: 0.0123
      })
    ],
    cost: {
      ...SONNET_PRICING,
      cloud: { requests: 2, promptTokens: 2_000, completionTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0123 },
      local: {
        requests: 3,
        promptTokens: 3_000,
        completionTokens: 1_200,
        inferenceMs: 16_000,
        costPerHourUsd: 0.36,
        costPerHourSource: 'default',
        costUsd: 0.0016,
        tokensPerSecond: 262.5
      },
      avoided: { costUsd: 0.027, savingsPercent: 94.1 },
      breakEven: null,
      budget: { maxUsd: null, spentUsd: 0.0123, exhausted: false, tasksKeptLocal: 0 },
      totalUsd: 0.0139
    },
    compliance: {
      privacy: 'balanced',
      enforcement: [],
      gaps: [],
      allowedEndpoints: [],
      requests: { local: 3, cloud: 2 },
      refused: 4,
      refusedByProtocol: { https: 4 },
      redactions: {},
      auditLog: '/tmp/aqe-audit.jsonl'
    },
    phases: [
      { phase: 'targets', ms: 800 },
      { phase: 'baseline', ms: 12_300 },
      { phase: 'generation', ms: 41_000 },
      { phase: 'validation', ms: 60_200 }
    ],
    ...overrides
  });
}

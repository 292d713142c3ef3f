import type { RouteDecision } from '../../src/core/Routing.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeCandidate, makeReport, SONNET_PRICING } from './reportFixture.js';

/** What an image in a reported name would do if it reached the page as HTML: fetch, fail, and run its handler. */
export const INJECTED_IMAGE = '<img src=https://example.com/pixel.png onerror=window.__aqeInjected=1>';

function decision(target: string, tier: RouteDecision['tier'], phase: RouteDecision['phase'], reason: string): RouteDecision {
  return {
    target,
    phase,
    tier,
    provider: tier === 'cloud' ? 'anthropic' : 'local',
    model: tier === 'cloud' ? 'claude-sonnet-4-5' : 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    rule: tier === 'cloud' ? 'complexity' : 'default',
    reason,
    estimatedCostUsd: tier === 'cloud' ? 0.0123 : 0,
    estimatedLatencyMs: 4_000
  };
}

/**
 * A hybrid run the way a reviewer meets it: two files accepted (one written by the cloud model),
 * three rejected at different stages (one after escalation), a skipped file, a warning, routing,
 * cost and time per phase; one rejected file's name carries an image tag with a handler.
 */
export function makeHybridReport(): RunReport {
  const rejected = (
    target: string,
    stage: 'compile' | 'fails' | 'flaky',
    reason: string,
    testFile = target.replace('src/', 'test/').replace('.ts', '.test.ts')
  ) => makeCandidate({ targetFile: target, testFile, status: 'rejected', rejection: { stage, reason }, testsPassed: 0, testsFailed: 2 });
  const candidates = [
    makeCandidate({ targetFile: 'src/cart.ts', testFile: 'test/cart.test.ts' }),
    makeCandidate({
      targetFile: 'src/price.ts',
      testFile: 'test/price.test.ts',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      tier: 'cloud',
      costUsd: 0.0123
    }),
    rejected('src/tax.ts', 'compile', "TS2345: Argument of type 'string' is not assignable to parameter of type 'number'."),
    rejected('src/ship.ts', 'fails', 'expect(received).toBe(expected) | Expected: 12 | Received: 11', `test/${INJECTED_IMAGE}.test.ts`),
    rejected('src/stock.ts', 'flaky', 'passed 2 of 3 shuffled runs')
  ];
  return makeReport({
    changedFiles: ['src/cart.ts', 'src/price.ts', 'src/tax.ts', 'src/ship.ts', 'src/stock.ts', 'README.md'],
    targets: ['src/cart.ts', 'src/price.ts', 'src/ship.ts', 'src/stock.ts', 'src/tax.ts'],
    candidates,
    testsGenerated: 5,
    testsAccepted: 2,
    warnings: ['1 model request(s) failed on one tier and went to the other (fallback); the routing section names each with its error.'],
    validation: { strategy: 'batched', repeatRuns: 2, maxRepairs: 1, seed: 4242, processes: 3, fileRuns: 15, durationMs: 38_500 },
    routing: {
      mode: 'hybrid-auto',
      privacy: 'balanced',
      remote: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      decisions: [
        decision('src/cart.ts', 'local', 'initial', 'complexity 3 ≤ 10'),
        decision('src/price.ts', 'cloud', 'initial', 'complexity 14 > 10'),
        decision('src/tax.ts', 'local', 'initial', 'complexity 5 ≤ 10'),
        decision('src/tax.ts', 'cloud', 'escalation', 'local answer failed: compile')
      ],
      tasks: { local: 4, cloud: 2 },
      escalations: { total: 1, accepted: 0 },
      fallbacks: 1
    },
    cost: {
      ...SONNET_PRICING,
      cloud: { requests: 2, promptTokens: 4_000, completionTokens: 1_200, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.03 },
      local: {
        requests: 4,
        promptTokens: 9_000,
        completionTokens: 2_400,
        inferenceMs: 61_000,
        costPerHourUsd: 0.36,
        costPerHourSource: 'default',
        costUsd: 0.0061,
        tokensPerSecond: 39.3
      },
      avoided: { costUsd: 0.063, savingsPercent: 63.6 },
      breakEven: null,
      budget: { maxUsd: 1, spentUsd: 0.03, exhausted: false, tasksKeptLocal: 0 },
      totalUsd: 0.0361
    },
    phases: [
      { phase: 'targets', ms: 850 },
      { phase: 'setup', ms: 2_100 },
      { phase: 'baseline', ms: 12_300 },
      { phase: 'model loading', ms: 1_234 },
      { phase: 'generation', ms: 61_000 },
      { phase: 'validation', ms: 38_500 },
      { phase: 'escalation', ms: 9_800 },
      { phase: 'acceptance', ms: 7_900 },
      { phase: 'delivery', ms: 120 }
    ]
  });
}

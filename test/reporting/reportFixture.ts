import type { CostSection } from '../../src/routing/RoutingFigures.js';
import type { CandidateRecord, RunReport } from '../../src/reporting/RunReport.js';

/** A realistic small run: one accepted candidate, one rejected, one skipped file. */
export function makeReport(overrides: Partial<RunReport> = {}): RunReport {
  return {
    schemaVersion: 1,
    tool: { name: 'aqe', version: '0.1.0' },
    startedAt: '2024-05-01T12:00:00.000Z',
    durationMs: 125_400,
    repository: 'acme/shop',
    pullRequest: {
      number: 42,
      title: 'Add cart totals',
      baseSha: '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      headSha: '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      url: 'https://github.com/acme/shop/pull/42'
    },
    changedFiles: ['src/cart.ts', 'src/price.ts', 'README.md'],
    targets: ['src/cart.ts', 'src/price.ts'],
    skipped: [{ file: 'README.md', reason: 'not a source file' }],
    baseline: { testsPassed: 40, testsFailed: 0, suiteFailed: false, durationMs: 12_300, brokenTestFiles: [], runFailures: [], coverageComplete: true },
    coverageBefore: { linesPct: 45, coveredLines: 90, totalLines: 200 },
    coverageAfter: { linesPct: 57.5, coveredLines: 115, totalLines: 200 },
    candidates: [
      makeCandidate({ targetFile: 'src/cart.ts', testFile: 'test/cart.generated.test.ts' }),
      makeCandidate({
        targetFile: 'src/price.ts',
        testFile: 'test/price.generated.test.ts',
        status: 'rejected',
        rejection: { stage: 'fails', reason: '2 of 5 tests failed' },
        testsPassed: 3,
        testsFailed: 2,
        coverageAfter: { linesPct: 30, coveredLines: 30, totalLines: 100 }
      })
    ],
    testsGenerated: 2,
    testsAccepted: 1,
    inference: {
      provider: 'llama.cpp',
      model: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
      hardware: 'CPU, 4 threads',
      backend: 'cpu',
      threads: 4,
      parallelSequences: 2,
      contextSize: 8192,
      modelLoadMs: 1_234,
      promptTokens: 12_345,
      completionTokens: 3_456,
      tokensPerSecond: 23.456,
      costUsd: 0
    },
    warnings: [],
    ...overrides
  };
}

export function makeCandidate(overrides: Partial<CandidateRecord> = {}): CandidateRecord {
  return {
    targetFile: 'src/cart.ts',
    testFile: 'test/cart.generated.test.ts',
    status: 'accepted',
    testsPassed: 5,
    testsFailed: 0,
    cases: ['adds items', 'removes items', 'totals prices', 'applies discounts', 'rejects negative quantities'].map((name) => ({
      name: `Cart ${name}`,
      verdict: 'kept' as const
    })),
    attempts: 1,
    runs: 6,
    coverageBefore: { linesPct: 20, coveredLines: 20, totalLines: 100 },
    coverageAfter: { linesPct: 32.5, coveredLines: 33, totalLines: 100 },
    promptTokens: 1000,
    completionTokens: 400,
    generationMs: 8000,
    provider: 'llama.cpp',
    model: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    tier: 'local',
    costUsd: 0.0008,
    ...overrides
  };
}

/** A run with `count` candidates, mostly rejected with long reasons: the shape that blows size limits. */
export function makeHugeReport(count: number, reasonChars: number): RunReport {
  const candidates = Array.from({ length: count }, (_, i) =>
    makeCandidate({
      targetFile: `src/module${i}/deeply/nested/path/file${i}.ts`,
      testFile: `test/module${i}/deeply/nested/path/file${i}.generated.test.ts`,
      ...(i % 10 === 0
        ? {}
        : {
            status: 'rejected' as const,
            rejection: { stage: 'compile' as const, reason: `TS2322 in file${i}: ${'x'.repeat(reasonChars)}` },
            testsPassed: 0,
            testsFailed: 1
          })
    })
  );
  return makeReport({
    candidates,
    testsGenerated: count,
    testsAccepted: Math.ceil(count / 10),
    changedFiles: candidates.map((c) => c.targetFile),
    targets: candidates.map((c) => c.targetFile)
  });
}

/** The cost section's pricing part as most fixtures have it: USD, Claude Sonnet at its built-in price. */
export const SONNET_PRICING: Pick<CostSection, 'currency' | 'cloudModel'> = {
  currency: 'USD',
  cloudModel: {
    model: 'claude-sonnet-4-5',
    price: { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 },
    priceSource: 'built-in'
  }
};

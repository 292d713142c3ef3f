import type { Tier } from '../core/Routing.js';
import type { GenerationResult } from '../inference/TextProvider.js';
import type { ProviderTelemetry } from './RoutingFigures.js';

/** Measured speed of one tier in this run: prompt tokens per second until the first token, output tokens per second after. */
export interface Throughput {
  promptTokensPerSecond: number;
  completionTokensPerSecond: number;
}

/**
 * Collects what one provider did during the run, request by request (repairs, fallbacks and escalations included),
 * and turns it into the report's ProviderTelemetry.
 */
export class TelemetryRecorder {
  private requests = 0;
  private errors = 0;
  private retries = 0;
  private fallbacks = 0;
  private promptTokens = 0;
  private completionTokens = 0;
  private cacheReadTokens = 0;
  private cacheWriteTokens = 0;
  private generationMs = 0;
  private costUsd = 0;
  private readonly latencies: number[] = [];
  /** Sums for the throughput estimate: time to first token (prefill) and time after it (decoding). */
  private prefill = { tokens: 0, ms: 0 };
  private decode = { tokens: 0, ms: 0 };

  constructor(
    readonly provider: string,
    readonly model: string,
    readonly tier: Tier
  ) {}

  /** An answered request (an aborted one too: its tokens were spent). */
  answered(result: GenerationResult, latencyMs: number, costUsd: number): void {
    this.requests += 1;
    this.retries += result.retries ?? 0;
    this.promptTokens += result.usage.promptTokens;
    this.completionTokens += result.usage.completionTokens;
    this.cacheReadTokens += result.usage.cacheReadTokens ?? 0;
    this.cacheWriteTokens += result.usage.cacheWriteTokens ?? 0;
    this.generationMs += result.timings.generationMs;
    this.costUsd += costUsd;
    this.latencies.push(latencyMs);
    const prefillMs = Math.max(0, result.timings.firstTokenMs - result.timings.queuedMs);
    this.prefill = { tokens: this.prefill.tokens + result.usage.promptTokens, ms: this.prefill.ms + prefillMs };
    const decodeMs = Math.max(0, result.timings.generationMs - result.timings.firstTokenMs);
    this.decode = { tokens: this.decode.tokens + result.usage.completionTokens, ms: this.decode.ms + decodeMs };
  }

  /** A request that failed, after `retries` attempts beyond the first. */
  failed(latencyMs: number, retries: number): void {
    this.requests += 1;
    this.errors += 1;
    this.retries += retries;
    this.latencies.push(latencyMs);
  }

  /** The request that just failed here was handed to the other tier. */
  handedOver(): void {
    this.fallbacks += 1;
  }

  /** undefined until both phases were measured with real time (a replay answers in 0 ms). */
  throughput(): Throughput | undefined {
    if (this.prefill.ms <= 0 || this.decode.ms <= 0 || this.prefill.tokens <= 0 || this.decode.tokens <= 0) return undefined;
    return {
      promptTokensPerSecond: (this.prefill.tokens * 1000) / this.prefill.ms,
      completionTokensPerSecond: (this.decode.tokens * 1000) / this.decode.ms
    };
  }

  get fallbackCount(): number {
    return this.fallbacks;
  }

  get totalGenerationMs(): number {
    return this.generationMs;
  }

  snapshot(): ProviderTelemetry {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      provider: this.provider,
      model: this.model,
      tier: this.tier,
      requests: this.requests,
      errors: this.errors,
      retries: this.retries,
      fallbacks: this.fallbacks,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      cacheReadTokens: this.cacheReadTokens,
      cacheWriteTokens: this.cacheWriteTokens,
      latencyMs: { p50: nearestRank(sorted, 0.5), p95: nearestRank(sorted, 0.95), total: sorted.reduce((n, ms) => n + ms, 0) },
      generationMs: this.generationMs,
      costUsd: this.costUsd
    };
  }
}

/** The nearest-rank percentile: the smallest value with at least q of the values at or below it; 0 for none. */
export function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

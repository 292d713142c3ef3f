import type { ModelPrice, RouteDecision, RouterMode, PrivacyMode } from '../core/Routing.js';

/** The report's routing section: how the run was set up to route, and every decision it took. */
export interface RoutingSection {
  mode: RouterMode;
  privacy: PrivacyMode;
  /** The remote provider and model, when one was configured. */
  remote: { provider: string; model: string } | null;
  /** The .aqe/config.yml that was read, repo-relative; absent when there was none. */
  configFile?: string;
  decisions: RouteDecision[];
  /** Targets whose final candidate was made by each tier. */
  tasks: { local: number; cloud: number };
  /** Targets whose local candidate failed and went once more to the remote model, and how many of those were accepted. */
  escalations: { total: number; accepted: number };
  /** Requests that failed on one tier and were answered by the other. */
  fallbacks: number;
}

/** What one provider did during the run (every request, repairs and escalations included). */
export interface ProviderTelemetry {
  provider: string;
  model: string;
  tier: 'local' | 'cloud';
  requests: number;
  /** Requests that failed (after the SDK's own retries). */
  errors: number;
  /** HTTP attempts beyond the first, made by the SDK (429, 529, 5xx, timeouts). */
  retries: number;
  /** Requests that failed here and were handed to the other tier. */
  fallbacks: number;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Wall time of each request, from sending to the last token. */
  latencyMs: { p50: number; p95: number; total: number };
  /** Model time spent generating (local: the inference time the runner's cost is apportioned by). */
  generationMs: number;
  costUsd: number;
}

/** The report's cost section; every figure is reproducible from the token counts and the price table. */
export interface CostSection {
  currency: 'USD';
  /** The cloud model's price, as used (built in, or from the configuration). */
  cloudModel: { model: string; price: ModelPrice; priceSource: 'built-in' | 'config' } | null;
  cloud: {
    requests: number;
    promptTokens: number;
    completionTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    costUsd: number;
  };
  local: {
    requests: number;
    promptTokens: number;
    completionTokens: number;
    /** Inference time the runner cost is apportioned by. */
    inferenceMs: number;
    costPerHourUsd: number;
    costPerHourSource: 'input' | 'config' | 'default';
    costUsd: number;
    /** Prompt and completion tokens per second of inference time, as measured in this run. */
    tokensPerSecond: number;
  };
  /** What the local tasks' tokens would have cost on the cloud model, and what the run saved by not sending them. */
  avoided: { costUsd: number; savingsPercent: number } | null;
  /**
   * Tokens per month above which a runner kept for this work (local-cost-per-hour around the clock)
   * is cheaper than the cloud model at this run's mix of input and output; null without a cloud price or throughput.
   */
  breakEven: { tokensPerMonth: number; capacityTokensPerMonth: number; cloudUsdPerMTok: number; localUsdPerMTok: number } | null;
  budget: {
    maxUsd: number | null;
    spentUsd: number;
    /** Set when a task went local because its cloud request could have passed the cap. */
    exhausted: boolean;
    tasksKeptLocal: number;
  };
  totalUsd: number;
}

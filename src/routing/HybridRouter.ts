import type { Logger } from '../core/Logger.js';
import { remotePermitted, type RouteDecision, type RoutingOptions, type Tier } from '../core/Routing.js';
import type { LoadedProvider } from '../inference/LoadedProvider.js';
import type { GenerationResult, TextProvider } from '../inference/TextProvider.js';
import { CloudBudget } from './CloudBudget.js';
import { localInferenceCostUsd } from './costAccounting.js';
import { decideRoute, type RouteFacts, type TierChoice } from './decideRoute.js';
import { BudgetExhaustedError, describeError } from './errors.js';
import { maxRequestCostUsd, requestCostUsd } from './priceTable.js';
import { TelemetryRecorder, type Throughput } from './ProviderTelemetry.js';
import { remotePrice, type RemotePrice } from './remotePrice.js';
import type { AuditLog } from '../privacy/AuditLog.js';
import { type DecisionInput, RoutedProvider, type RouterServices } from './RoutedProvider.js';
import { RequestAudit } from './requestAudit.js';
import type { ProviderTelemetry } from './RoutingFigures.js';

export interface RouteTask {
  target: string;
  units: RouteFacts['units'];
  /** For the cost estimate of the decision; each request is counted again before it is sent. */
  estimatedPromptTokens: number;
  maxTokens: number;
}

export interface RoutedTask {
  decision: RouteDecision;
  provider: RoutedProvider;
  tier: Tier;
}

export interface RouterProviders {
  /** Loads once; may reject (no model, corrupt, out of memory). */
  local: () => Promise<LoadedProvider>;
  /** Created once, lazily; absent when options.remote is null. */
  remote?: () => Promise<TextProvider>;
}

/**
 * Rough speeds for a tier that has not answered yet in this run, for a decision's estimatedLatencyMs only. Local: a
 * 1.5B-7B Q4 model on the 2-core hosted runner (llama.cpp prefill runs in the tens of tokens per second there,
 * decoding around ten). Cloud: a hosted model's prefill in the thousands and output in the tens of tokens per
 * second. Once a tier has answered, its measured throughput replaces these.
 */
export const NOMINAL_THROUGHPUT: Readonly<Record<Tier, Throughput>> = Object.freeze({
  local: Object.freeze({ promptTokensPerSecond: 60, completionTokensPerSecond: 10 }),
  cloud: Object.freeze({ promptTokensPerSecond: 5000, completionTokensPerSecond: 60 })
});

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Decides which tier each task goes to (decideRoute), loads or creates that tier's provider the first time it is
 * needed, and hands each task a RoutedProvider that keeps the budget, falls back between tiers and records what
 * every provider did. Every decision, initial, fallback or escalation, is kept for the report.
 */
export class HybridRouter {
  readonly budget: CloudBudget;
  private readonly log: RouteDecision[] = [];
  private readonly initial = new Map<string, TierChoice>();
  private readonly keptLocalTargets = new Set<string>();
  private readonly recorders = new Map<Tier, TelemetryRecorder>();
  /** Null when the cloud can never be used (none configured, local-only, privacy strict): no price is needed then. */
  private readonly price: RemotePrice | null;
  private localLoad?: Promise<LoadedProvider>;
  private localOutcome?: Outcome<LoadedProvider>;
  private remoteCreate?: Promise<TextProvider>;
  private remoteOutcome?: Outcome<TextProvider>;
  private readonly services: RouterServices;

  constructor(
    private readonly options: RoutingOptions,
    private readonly providers: RouterProviders,
    private readonly logger: Logger,
    /** Where every request's audit line goes; none in tests and tools that keep no audit. */
    private readonly auditLog?: AuditLog
  ) {
    this.budget = new CloudBudget(options.maxCloudUsd);
    const cloudPossible = options.remote !== null && providers.remote !== undefined && remotePermitted(options);
    // An Anthropic model without a price throws here, before any task: without it max-cloud-usd could not be kept.
    this.price = cloudPossible ? remotePrice(options.remote!, options.prices) : null;
    this.services = this.makeServices();
  }

  /**
   * The task's tier, by the rules. The chosen tier's provider is made ready here (the local model loads on the first
   * local decision): when the local model fails to load the task is decided again as local-unavailable, and when the
   * cloud may not take it either the load error is thrown. A remote provider that cannot be created is never used.
   */
  async route(task: RouteTask): Promise<RoutedTask> {
    let choice = decideRoute(this.options, this.facts(task));
    let prefix = '';
    if (choice.tier === 'cloud' && !(await this.remoteReady())) {
      prefix = `the remote provider could not start (${describeError(this.remoteFailure()?.error)}); `;
      choice = decideRoute(this.options, this.facts(task));
    }
    if (choice.tier === 'local' && !(await this.localReady())) {
      const loadError = this.localFailure()!.error;
      const facts = this.facts(task);
      const again = decideRoute(this.options, facts);
      if (again.rule === 'budget') {
        throw new BudgetExhaustedError(task.target, facts.cloudEstimateUsd, facts.budgetRemainingUsd ?? 0, this.budget.maxUsd ?? 0, loadError);
      }
      if (again.tier === 'local' || !(await this.remoteReady())) throw loadError;
      prefix = `${prefix}the local model failed to load (${describeError(loadError)}); `;
      choice = again;
    }
    if (choice.rule === 'budget') this.keptLocal(task.target);
    this.initial.set(task.target, choice);
    const provider = this.providerOf(choice.tier);
    const decision = this.record({
      target: task.target,
      phase: 'initial',
      tier: choice.tier,
      rule: choice.rule,
      reason: `${prefix}${choice.reason}`,
      provider,
      promptTokens: task.estimatedPromptTokens,
      maxTokens: task.maxTokens
    });
    return { decision, tier: choice.tier, provider: new RoutedProvider(this.services, task.target, choice.tier, choice.pinned, provider, choice.rule) };
  }

  /**
   * Once more on the cloud, for a task whose local candidate failed: only with escalate on, outside local-only, for a
   * task first decided local and not pinned there, with a remote provider that works and a budget that can take the
   * request. undefined when any of that does not hold.
   */
  async escalate(task: RouteTask, why: string): Promise<RoutedTask | undefined> {
    const initial = this.initial.get(task.target);
    if (!this.options.escalate || this.options.mode === 'local-only' || !initial || initial.tier !== 'local' || initial.pinned) return undefined;
    if (!this.cloudAllowed()) return undefined;
    const estimate = this.maxCloudCostUsd(task.estimatedPromptTokens, task.maxTokens);
    const remaining = this.budget.remainingUsd();
    if (remaining !== null && remaining < estimate) {
      this.keptLocal(task.target);
      this.logger.info(
        `Not escalating ${JSON.stringify(task.target)}: its cloud request could cost up to $${estimate.toFixed(6)}, more than the $${remaining.toFixed(6)} left of max-cloud-usd.`
      );
      return undefined;
    }
    if (!(await this.remoteReady())) return undefined;
    const provider = this.providerOf('cloud');
    const decision = this.record({
      target: task.target,
      phase: 'escalation',
      tier: 'cloud',
      rule: 'escalation',
      reason: why,
      provider,
      promptTokens: task.estimatedPromptTokens,
      maxTokens: task.maxTokens
    });
    return { decision, tier: 'cloud', provider: new RoutedProvider(this.services, task.target, 'cloud', false, provider, 'escalation') };
  }

  /**
   * Loads the local model now rather than on the first local decision: under privacy strict it must be on the runner
   * before the egress drop begins. A failure is kept and decided on as route() would; it is returned for the caller's
   * advice.
   */
  async prepareLocal(): Promise<{ error: unknown } | undefined> {
    await this.localReady();
    return this.localFailure();
  }

  decisions(): RouteDecision[] {
    return [...this.log];
  }

  /** One entry per provider that was loaded or created; the local one's cost is its inference time at local-cost-per-hour. */
  telemetry(): ProviderTelemetry[] {
    const entries: ProviderTelemetry[] = [];
    for (const tier of ['local', 'cloud'] as const) {
      const recorder = this.recorders.get(tier);
      if (!recorder) continue;
      const figures = recorder.snapshot();
      entries.push(tier === 'local' ? { ...figures, costUsd: localInferenceCostUsd(figures.generationMs, this.options.localCostPerHour) } : figures);
    }
    return entries;
  }

  loadedLocal(): LoadedProvider | undefined {
    return this.localOutcome?.ok ? this.localOutcome.value : undefined;
  }

  /** Requests that failed on one tier and were answered, or tried, on the other. */
  fallbacks(): number {
    return [...this.recorders.values()].reduce((n, r) => n + r.fallbackCount, 0);
  }

  /** Both providers, whichever were made; every one is disposed even when another fails to. */
  async dispose(): Promise<void> {
    const disposing = [this.localOutcome?.ok ? this.localOutcome.value.provider : undefined, this.remoteOutcome?.ok ? this.remoteOutcome.value : undefined]
      .filter((p): p is TextProvider => p !== undefined)
      .map((p) => p.dispose());
    const failed = (await Promise.allSettled(disposing)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private facts(task: RouteTask): RouteFacts {
    return {
      target: task.target,
      units: task.units,
      remoteAvailable: this.cloudAllowed(),
      localAvailable: this.localOutcome === undefined ? 'unknown' : this.localOutcome.ok,
      cloudEstimateUsd: this.maxCloudCostUsd(task.estimatedPromptTokens, task.maxTokens),
      budgetRemainingUsd: this.budget.remainingUsd()
    };
  }

  private cloudAllowed(): boolean {
    return this.price !== null && this.remoteOutcome?.ok !== false;
  }

  private maxCloudCostUsd(inputTokens: number, maxTokens: number): number {
    return this.price ? maxRequestCostUsd(this.price.price, inputTokens, maxTokens) : 0;
  }

  private async localReady(): Promise<boolean> {
    this.localLoad ??= this.providers.local().then(
      (loaded) => {
        this.localOutcome = { ok: true, value: loaded };
        this.recorders.set('local', this.newRecorder('local', loaded.provider));
        return loaded;
      },
      (error: unknown) => {
        this.localOutcome = { ok: false, error };
        this.logger.warn(`The local model is unavailable: ${describeError(error)}`);
        throw error;
      }
    );
    return this.localLoad.then(
      () => true,
      () => false
    );
  }

  private async remoteReady(): Promise<boolean> {
    if (this.price === null || !this.providers.remote) return false;
    this.remoteCreate ??= this.providers.remote().then(
      (remote) => {
        this.remoteOutcome = { ok: true, value: remote };
        this.recorders.set('cloud', this.newRecorder('cloud', remote));
        return remote;
      },
      (error: unknown) => {
        this.remoteOutcome = { ok: false, error };
        this.logger.warn(`The remote provider is unavailable; every task stays local: ${describeError(error)}`);
        throw error;
      }
    );
    return this.remoteCreate.then(
      () => true,
      () => false
    );
  }

  private localFailure(): { error: unknown } | undefined {
    return this.localOutcome && !this.localOutcome.ok ? { error: this.localOutcome.error } : undefined;
  }

  private remoteFailure(): { error: unknown } | undefined {
    return this.remoteOutcome && !this.remoteOutcome.ok ? { error: this.remoteOutcome.error } : undefined;
  }

  /** Only called once the tier's provider is ready. */
  private providerOf(tier: Tier): TextProvider {
    if (tier === 'local' && this.localOutcome?.ok) return this.localOutcome.value.provider;
    if (tier === 'cloud' && this.remoteOutcome?.ok) return this.remoteOutcome.value;
    throw new Error(`The ${tier} provider is not ready: route() loads it before deciding a task to it.`);
  }

  private newRecorder(tier: Tier, provider: TextProvider): TelemetryRecorder {
    const info = provider.info();
    return new TelemetryRecorder(info.provider, info.model, tier);
  }

  private keptLocal(target: string): void {
    if (this.keptLocalTargets.has(target)) return;
    this.keptLocalTargets.add(target);
    this.budget.noteKeptLocal();
  }

  private record(input: DecisionInput): RouteDecision {
    const info = input.provider.info();
    const decision: RouteDecision = {
      target: input.target,
      phase: input.phase,
      tier: input.tier,
      provider: info.provider,
      model: info.model,
      rule: input.rule,
      reason: input.reason,
      estimatedCostUsd: input.tier === 'cloud' ? this.maxCloudCostUsd(input.promptTokens, input.maxTokens) : 0,
      estimatedLatencyMs: this.estimatedLatencyMs(input.tier, input.promptTokens, input.maxTokens)
    };
    this.log.push(decision);
    this.logger.info(
      `Routing ${JSON.stringify(decision.target)} (${decision.phase}) to ${decision.tier}, ${decision.provider} ${JSON.stringify(decision.model)}: ${decision.rule}: ${decision.reason}`
    );
    return decision;
  }

  /** Prompt at the tier's prefill rate plus max-tokens at its output rate, as measured in this run where it has answered. */
  private estimatedLatencyMs(tier: Tier, promptTokens: number, maxTokens: number): number {
    const rates = this.recorders.get(tier)?.throughput() ?? NOMINAL_THROUGHPUT[tier];
    return Math.round((promptTokens / rates.promptTokensPerSecond + maxTokens / rates.completionTokensPerSecond) * 1000);
  }

  private makeServices(): RouterServices {
    return {
      budget: this.budget,
      local: async () => {
        if (!(await this.localReady())) throw this.localFailure()!.error;
        return this.providerOf('local');
      },
      localFailure: () => this.localFailure(),
      remote: async () => {
        if (await this.remoteReady()) return this.providerOf('cloud');
        const failure = this.remoteFailure();
        if (failure) throw failure.error;
        throw new Error('No remote provider is configured, or the mode or privacy keeps every task local.');
      },
      cloudAllowed: () => this.cloudAllowed(),
      maxCloudCostUsd: (inputTokens, maxTokens) => this.maxCloudCostUsd(inputTokens, maxTokens),
      cloudCostUsd: (usage: GenerationResult['usage']) => (this.price ? requestCostUsd(this.price.price, usage) : 0),
      localCostUsd: (generationMs) => localInferenceCostUsd(generationMs, this.options.localCostPerHour),
      recorder: (tier) => {
        const recorder = this.recorders.get(tier);
        if (!recorder) throw new Error(`No ${tier} provider was made ready before its request.`);
        return recorder;
      },
      decide: (decision) => this.record(decision),
      keptLocal: (target) => this.keptLocal(target),
      // Off is the documented opt-out of every privacy measure; balanced and an internal server under strict redact.
      audit: new RequestAudit(this.auditLog, this.options.privacy !== 'off', (m) => this.logger.warn(m)),
      endpoint: (tier) => (tier === 'local' || !this.options.remote ? 'in-process' : new URL(this.options.remote.baseURL).origin)
    };
  }
}

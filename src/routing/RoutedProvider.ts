import type { RouteDecision, RoutePhase, Tier } from '../core/Routing.js';
import { CloudProviderError } from '../inference/cloud/CloudProviderError.js';
import { GenerationAbortedError, InferenceError } from '../inference/errors.js';
import { streamGeneration } from '../inference/streamGeneration.js';
import {
  isCompletionRequest,
  type ChatRequest,
  type CompletionRequest,
  type EmbeddingResult,
  type EmbedOptions,
  type GenerationResult,
  type ProviderInfo,
  type TextProvider,
  type TextRequest,
  type TextStream
} from '../inference/TextProvider.js';
import type { BudgetReservation, CloudBudget } from './CloudBudget.js';
import { BudgetExhaustedError, describeError, FallbackFailedError } from './errors.js';
import type { TelemetryRecorder } from './ProviderTelemetry.js';
import type { RequestAudit } from './requestAudit.js';

/** What a decision is recorded from: the provider it names, and the request size its estimates are made for. */
export interface DecisionInput {
  target: string;
  phase: RoutePhase;
  tier: Tier;
  rule: string;
  reason: string;
  provider: TextProvider;
  promptTokens: number;
  maxTokens: number;
}

/** What a routed task needs from its router: the providers, the budget, the recorders and the decision log. */
export interface RouterServices {
  readonly budget: CloudBudget;
  /** The local provider, loaded once; rejects with the load error (the same one every time). */
  local(): Promise<TextProvider>;
  /** Set once the local model failed to load. */
  localFailure(): { error: unknown } | undefined;
  /** The remote provider, created once. */
  remote(): Promise<TextProvider>;
  /** A remote provider is configured, allowed by mode and privacy, and has not failed to start. */
  cloudAllowed(): boolean;
  /** The most a cloud request of this size can cost, and what a finished one did cost. */
  maxCloudCostUsd(inputTokens: number, maxTokens: number): number;
  cloudCostUsd(usage: GenerationResult['usage']): number;
  /** A local answer's share of the runner's cost: its inference time at local-cost-per-hour. */
  localCostUsd(generationMs: number): number;
  recorder(tier: Tier): TelemetryRecorder;
  /** Records (and logs) a decision taken while the task runs. */
  decide(decision: DecisionInput & { phase: 'fallback' }): RouteDecision;
  /** The task went local because of max-cloud-usd (counted once per task). */
  keptLocal(target: string): void;
  /** Redaction on the way out and the audit line of every request. */
  readonly audit: RequestAudit;
  /** Where a tier's requests go, for the audit: 'in-process', or the remote's origin. */
  endpoint(tier: Tier): string;
}

/** A cloud request the budget refused before it was sent. */
class BudgetRefusal extends Error {
  constructor(
    readonly estimateUsd: number,
    readonly inputTokens: number
  ) {
    super('The cloud request was refused by max-cloud-usd before it was sent.');
  }
}

/**
 * The provider one task's requests go through. It answers on the task's tier and, request by request: reserves the
 * most a cloud request can cost before sending it (refused: the request goes local, so the cap is never passed) and
 * settles what it cost after; hands a cloud request that failed after the SDK's retries to the local model, and a
 * failed local request to the cloud when the decision is not pinned. Aborts are never handed over. After a hand-over
 * the task stays on the tier that answered, so its repairs do not wait on a failing provider again.
 */
export class RoutedProvider implements TextProvider {
  private tierNow: Tier;
  private providerNow: TextProvider;
  private ruleNow: string;

  constructor(
    private readonly services: RouterServices,
    readonly target: string,
    tier: Tier,
    /** A privacy, sensitive-path, local path rule or local-only decision: it never goes to the cloud. */
    readonly pinned: boolean,
    provider: TextProvider,
    /** The rule that decided the tier, for the audit; a hand-over replaces it. */
    rule: string
  ) {
    this.tierNow = tier;
    this.providerNow = provider;
    this.ruleNow = rule;
  }

  /** The tier answering this task's requests now (a fallback moves it). */
  get tier(): Tier {
    return this.tierNow;
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.generate(request);
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.generate(request);
  }

  stream(request: TextRequest): TextStream {
    return streamGeneration(request, (r) => this.generate(r));
  }

  embed(texts: readonly string[], options?: EmbedOptions): Promise<EmbeddingResult> {
    return this.providerNow.embed(texts, options);
  }

  countTokens(text: string): number {
    return this.providerNow.countTokens(text);
  }

  countPromptTokens(request: TextRequest): number {
    return this.providerNow.countPromptTokens(request);
  }

  info(): ProviderInfo {
    return this.providerNow.info();
  }

  /** The router owns the providers and disposes them once, at the end of the run. */
  async dispose(): Promise<void> {}

  private async generate(request: TextRequest): Promise<GenerationResult> {
    const first = this.tierNow;
    try {
      return await this.send(first, this.providerNow, request);
    } catch (error) {
      if (error instanceof BudgetRefusal) return this.keepLocal(request, error);
      if (!this.mayHandOver(first, error, request)) throw error;
      return this.handOver(first, error, request);
    }
  }

  /** One request on one tier, with its telemetry and, for the cloud, its reservation. */
  private async send(tier: Tier, provider: TextProvider, request: TextRequest): Promise<GenerationResult> {
    const recorder = this.services.recorder(tier);
    const sent = await this.services.audit.prepare(tier, request);
    const outgoing = sent.request;
    const ask = (): Promise<GenerationResult> => (isCompletionRequest(outgoing) ? provider.complete(outgoing) : provider.chat(outgoing));
    const audit = (
      outcome: 'answered' | 'failed',
      usage: { promptTokens: number; completionTokens: number },
      named: { provider: string; model: string } = provider.info()
    ): void =>
      this.services.audit.record(sent, {
        target: this.target,
        tier,
        rule: this.ruleNow,
        provider: named.provider,
        model: named.model,
        endpoint: this.services.endpoint(tier),
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        outcome
      });
    let reservation: BudgetReservation | undefined;
    if (tier === 'cloud') {
      let inputTokens: number;
      try {
        inputTokens = await this.countCloudInput(provider, outgoing, recorder);
      } catch (error) {
        // Counting sends the whole prompt to the endpoint: a count that failed is a request the audit must show.
        audit('failed', { promptTokens: provider.countPromptTokens(outgoing), completionTokens: 0 });
        throw error;
      }
      const estimateUsd = this.services.maxCloudCostUsd(inputTokens, request.maxTokens);
      reservation = this.services.budget.tryReserve(estimateUsd) ?? undefined;
      if (!reservation) throw new BudgetRefusal(estimateUsd, inputTokens);
    }
    const started = performance.now();
    let result: GenerationResult;
    try {
      result = await ask();
    } catch (error) {
      if (reservation) this.services.budget.release(reservation);
      recorder.failed(performance.now() - started, error instanceof CloudProviderError ? error.retries : 0);
      audit('failed', { promptTokens: provider.countPromptTokens(outgoing), completionTokens: 0 });
      throw error;
    }
    audit('answered', result.usage, result);
    const costUsd = tier === 'cloud' ? this.services.cloudCostUsd(result.usage) : 0;
    if (reservation) this.services.budget.settle(reservation, costUsd);
    recorder.answered(result, performance.now() - started, costUsd);
    // Each task carries its share: the runner's time is apportioned by the inference time each answer took.
    return { ...result, costUsd: tier === 'cloud' ? costUsd : this.services.localCostUsd(result.timings.generationMs) };
  }

  /** The exact count where the provider has one (Anthropic's count_tokens), else its estimate, which runs high. */
  private async countCloudInput(provider: TextProvider, request: TextRequest, recorder: TelemetryRecorder): Promise<number> {
    const exact = (provider as Partial<ExactCounter>).countRequestTokens;
    if (typeof exact !== 'function') return provider.countPromptTokens(request);
    const started = performance.now();
    try {
      return await exact.call(provider, request, request.signal ? { signal: request.signal } : {});
    } catch (error) {
      recorder.failed(performance.now() - started, error instanceof CloudProviderError ? error.retries : 0);
      throw error;
    }
  }

  private mayHandOver(from: Tier, error: unknown, request: TextRequest): boolean {
    if (isAbort(error, request)) return false;
    if (from === 'cloud') return error instanceof CloudProviderError && this.services.localFailure() === undefined;
    return error instanceof InferenceError && !this.pinned && this.services.cloudAllowed();
  }

  /** The failed request goes to the other tier; the task stays there. */
  private async handOver(from: Tier, error: unknown, request: TextRequest): Promise<GenerationResult> {
    const to: Tier = from === 'cloud' ? 'local' : 'cloud';
    let provider: TextProvider;
    try {
      provider = to === 'local' ? await this.services.local() : await this.services.remote();
    } catch (unavailable) {
      throw new FallbackFailedError(this.target, from, error, unavailable);
    }
    this.services.recorder(from).handedOver();
    this.services.decide({
      target: this.target,
      phase: 'fallback',
      tier: to,
      rule: 'fallback',
      reason: `the ${from} request failed (${failureKind(error)})`,
      provider,
      promptTokens: provider.countPromptTokens(request),
      maxTokens: request.maxTokens
    });
    this.tierNow = to;
    this.providerNow = provider;
    this.ruleNow = 'fallback';
    try {
      return await this.send(to, provider, request);
    } catch (second) {
      if (isAbort(second, request)) throw second;
      if (second instanceof BudgetRefusal) throw this.budgetExhausted(second, error);
      throw new FallbackFailedError(this.target, from, error, second);
    }
  }

  /** max-cloud-usd refused the request: it goes local, unless the local model is not there to take it. */
  private async keepLocal(request: TextRequest, refusal: BudgetRefusal): Promise<GenerationResult> {
    const failed = this.services.localFailure();
    if (failed) throw this.budgetExhausted(refusal, failed.error);
    let local: TextProvider;
    try {
      local = await this.services.local();
    } catch (error) {
      throw this.budgetExhausted(refusal, error);
    }
    const remaining = this.services.budget.remainingUsd() ?? 0;
    this.services.keptLocal(this.target);
    this.services.decide({
      target: this.target,
      phase: 'fallback',
      tier: 'local',
      rule: 'budget',
      reason: `the cloud request (${refusal.inputTokens} input tokens, up to ${request.maxTokens} output) could cost up to $${refusal.estimateUsd.toFixed(6)}, more than the $${remaining.toFixed(6)} left of max-cloud-usd`,
      provider: local,
      promptTokens: local.countPromptTokens(request),
      maxTokens: request.maxTokens
    });
    this.tierNow = 'local';
    this.providerNow = local;
    this.ruleNow = 'budget';
    return this.send('local', local, request);
  }

  private budgetExhausted(refusal: BudgetRefusal, localFailure: unknown): BudgetExhaustedError {
    const budget = this.services.budget;
    return new BudgetExhaustedError(this.target, refusal.estimateUsd, budget.remainingUsd() ?? 0, budget.maxUsd ?? 0, localFailure);
  }
}

/** AnthropicProvider's exact, billed count of a request's input tokens. */
interface ExactCounter {
  countRequestTokens(request: TextRequest, options: { signal?: AbortSignal }): Promise<number>;
}

/** A cancelled run or request stops where it is: nothing is handed to another tier. */
function isAbort(error: unknown, request: TextRequest): boolean {
  return request.signal?.aborted === true || error instanceof GenerationAbortedError;
}

/** For a decision's reason: what kind of failure, not the provider's whole message (the log has that). */
function failureKind(error: unknown): string {
  if (error instanceof CloudProviderError) {
    const status = error.status !== undefined ? ` HTTP ${error.status}` : '';
    return `${error.kind}${status}${error.retries > 0 ? ` after ${error.retries} retr${error.retries === 1 ? 'y' : 'ies'}` : ''}`;
  }
  return describeError(error).slice(0, 200);
}

/**
 * The router's vocabulary: how a run may use providers other than the in-process model, what a
 * decision records, and what the money side is made of. Here, at the bottom, because the options
 * (config), the router (routing), the pipeline and the report all speak it.
 */

/**
 * local-only: the in-process model only. cloud-only: the remote provider for every task.
 * hybrid-auto: rules pick per task (complex units go to the remote model). hybrid-prefer-local:
 * the local model first; the remote one only when the local one is unavailable or failed a file.
 */
export type RouterMode = 'local-only' | 'cloud-only' | 'hybrid-auto' | 'hybrid-prefer-local';
export const ROUTER_MODES: readonly RouterMode[] = ['local-only', 'cloud-only', 'hybrid-auto', 'hybrid-prefer-local'];

/** strict: nothing leaves the runner (local model only). balanced: remote allowed except for sensitive-paths. off: no privacy rule. */
export type PrivacyMode = 'strict' | 'balanced' | 'off';
export const PRIVACY_MODES: readonly PrivacyMode[] = ['strict', 'balanced', 'off'];

/** Which remote provider "cloud" means: the Anthropic API, or a shared OpenAI-compatible server (llama-server, vLLM, Ollama). */
export type RemoteProviderKind = 'anthropic' | 'openai-compatible';

/** The two tiers a task can go to. */
export type Tier = 'local' | 'cloud';

/** Names of the built-in rules, in their default order. Custom path rules carry their own names. */
export type BuiltInRuleName = 'privacy' | 'sensitive-paths' | 'budget' | 'mode' | 'local-unavailable' | 'complexity' | 'default';
export const BUILT_IN_RULES: readonly BuiltInRuleName[] = ['privacy', 'sensitive-paths', 'budget', 'mode', 'local-unavailable', 'complexity', 'default'];
/** Default priorities (higher is tried first); a path rule without one gets PATH_RULE_PRIORITY, after sensitive-paths and before the budget. */
export const BUILT_IN_RULE_PRIORITIES: Readonly<Record<BuiltInRuleName, number>> = {
  privacy: 100,
  'sensitive-paths': 90,
  budget: 80,
  mode: 70,
  'local-unavailable': 60,
  complexity: 50,
  default: 0
};
export const PATH_RULE_PRIORITY = 85;

/** USD per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Writing the prompt cache (5-minute entries). */
  cacheWritePerMTok: number;
  cacheReadPerMTok: number;
}

/** A rule of the user's: tasks whose target matches `paths` go to `route`; rules are tried by priority, highest first. */
export interface PathRule {
  name: string;
  paths: string[];
  route: Tier;
  priority: number;
}

/** Where every built-in rule stands in the order (higher first) and whether it applies at all. */
export interface BuiltInRuleSetting {
  priority: number;
  enabled: boolean;
}

/** The remote provider a run may use, as configured; absent when none is. */
export interface RemoteProviderOptions {
  kind: RemoteProviderKind;
  model: string;
  /** anthropic-api-key or shared-server-api-key; '' = none (a shared server may need none). */
  apiKey: string;
  /** The API's base URL: anthropic-base-url, or shared-server-url. */
  baseURL: string;
  /** Per attempt, before the SDK retries. */
  timeoutMs: number;
  maxRetries: number;
  /** On allowed-endpoints: a server inside the network, which strict privacy lets the router use. */
  internal?: boolean;
}

/** Whether the mode and privacy let any task go to a remote provider: never under local-only, under strict only to an internal one. */
export function remotePermitted(options: Pick<RoutingOptions, 'mode' | 'privacy' | 'remote'>): boolean {
  return options.mode !== 'local-only' && (options.privacy !== 'strict' || options.remote?.internal === true);
}

/** Everything the router needs, validated (inputs merged over .aqe/config.yml). */
export interface RoutingOptions {
  mode: RouterMode;
  privacy: PrivacyMode;
  /** Globs, relative to the repository root; matching targets never leave the runner. */
  sensitivePaths: string[];
  /** A changed unit with a cyclomatic complexity above this goes to the remote model (hybrid-auto). */
  complexityThreshold: number;
  /** A target whose changed units together span more lines than this goes to the remote model (hybrid-auto); 0 = no size rule. */
  sizeThreshold: number;
  /** Spend cap for the run in USD; null = no cap. */
  maxCloudUsd: number | null;
  /** What an hour of the runner costs, for the local side of the cost section. */
  localCostPerHour: number;
  /** Where localCostPerHour came from: the input/config, or the documented default. */
  localCostSource: 'input' | 'config' | 'default';
  /** Price table entries that replace or add to the built-in ones, by model name. */
  prices: Record<string, ModelPrice>;
  builtInRules: Record<BuiltInRuleName, BuiltInRuleSetting>;
  pathRules: PathRule[];
  /** A file whose local candidate failed after its repairs goes once more to the remote model. */
  escalate: boolean;
  remote: RemoteProviderOptions | null;
  /** The .aqe/config.yml that was read (absolute), when there was one. */
  configFile: string | null;
}

/** When in a task's life a decision was taken. */
export type RoutePhase = 'initial' | 'fallback' | 'escalation';

/** One routing decision, as the report records it. */
export interface RouteDecision {
  /** The target file, repo-relative. */
  target: string;
  phase: RoutePhase;
  tier: Tier;
  /** The provider's name (local, anthropic, openai-compatible, replay). */
  provider: string;
  model: string;
  /** The rule that decided (a built-in name or a path rule's name). */
  rule: string;
  /** Why, in words: "complexity 12 of truncate > 10". */
  reason: string;
  /** The request priced at the model's rates with max-tokens of output; 0 for local. */
  estimatedCostUsd: number;
  estimatedLatencyMs: number;
}

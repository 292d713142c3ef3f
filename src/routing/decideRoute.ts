import picomatch from 'picomatch';
import { BUILT_IN_RULES, remotePermitted, type BuiltInRuleName, type PathRule, type RoutingOptions, type Tier } from '../core/Routing.js';

/** What a task is decided by: where it is, what changed in it, and what each tier can take now. */
export interface RouteFacts {
  /** Repo-relative, forward slashes. */
  target: string;
  /** The target's changed units. */
  units: ReadonlyArray<{ name: string; complexity: number; lines: number }>;
  /** A remote provider is configured and allowed (and has not failed to start). */
  remoteAvailable: boolean;
  /** false once the local model failed to load; 'unknown' before it was tried. */
  localAvailable: boolean | 'unknown';
  /** What the cloud request could cost at most (maxRequestCostUsd). */
  cloudEstimateUsd: number;
  /** null = no cap. */
  budgetRemainingUsd: number | null;
}

/**
 * pinned: a privacy, sensitive-path, local path rule or local-only decision (or any decision under privacy strict):
 * no fallback or escalation may take the task to the cloud.
 */
export interface TierChoice {
  tier: Tier;
  rule: string;
  reason: string;
  pinned: boolean;
}

/** One rule in the order: a built-in or a path rule of the user's. */
type Rule = { kind: 'built-in'; name: BuiltInRuleName; priority: number } | { kind: 'path'; rule: PathRule; priority: number };

/**
 * The tier for one task. Rules (built-ins and options.pathRules) are tried by priority, highest first, disabled
 * built-ins skipped; the first that fires decides. A rule that would pick the cloud does not fire when no remote is
 * available; under local-only or privacy strict none is, whatever the facts say. The budget rule only fires where the
 * rules after it would pick the cloud, so it is applied to their verdict.
 */
export function decideRoute(options: RoutingOptions, facts: RouteFacts): TierChoice {
  const cloudAllowed = facts.remoteAvailable && remotePermitted(options);
  const choice = decideFrom(orderedRules(options), 0, options, { ...facts, remoteAvailable: cloudAllowed });
  // Under local-only, or strict privacy without an internal remote, nothing may reach the cloud later either, whichever rule decided.
  const alwaysLocal = !remotePermitted(options);
  return alwaysLocal && !choice.pinned ? { ...choice, pinned: true } : choice;
}

/** Built-ins first in their fixed order, then path rules as given; a stable sort keeps that order among equal priorities. */
export function orderedRules(options: RoutingOptions): Rule[] {
  const rules: Rule[] = [
    ...BUILT_IN_RULES.filter((name) => options.builtInRules[name].enabled).map((name): Rule => ({
      kind: 'built-in',
      name,
      priority: options.builtInRules[name].priority
    })),
    ...options.pathRules.map((rule): Rule => ({ kind: 'path', rule, priority: rule.priority }))
  ];
  return rules.sort((a, b) => b.priority - a.priority);
}

function decideFrom(rules: readonly Rule[], from: number, options: RoutingOptions, facts: RouteFacts): TierChoice {
  for (let i = from; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.kind === 'built-in' && rule.name === 'budget') return applyBudget(decideFrom(rules, i + 1, options, facts), facts);
    const choice = rule.kind === 'path' ? pathRule(rule.rule, facts) : builtIn(rule.name, options, facts);
    if (choice && (choice.tier === 'local' || facts.remoteAvailable)) return choice;
  }
  // With the default rule disabled and nothing else firing the task still needs a tier: local, which sends nothing.
  return { tier: 'local', rule: 'default', reason: 'no rule sent it to the remote model', pinned: false };
}

function applyBudget(choice: TierChoice, facts: RouteFacts): TierChoice {
  if (choice.tier !== 'cloud' || facts.budgetRemainingUsd === null || facts.budgetRemainingUsd >= facts.cloudEstimateUsd) return choice;
  return {
    tier: 'local',
    rule: 'budget',
    reason: `its cloud request could cost up to ${usd(facts.cloudEstimateUsd)}, more than the ${usd(facts.budgetRemainingUsd)} left of max-cloud-usd (${choice.rule} would have sent it to the cloud)`,
    pinned: false
  };
}

function builtIn(name: BuiltInRuleName, options: RoutingOptions, facts: RouteFacts): TierChoice | undefined {
  switch (name) {
    case 'budget':
      return undefined; // applied to the verdict of the rules after it, in decideFrom
    case 'privacy':
      // An internal remote (on allowed-endpoints) is inside the network strict keeps the code in.
      return options.privacy === 'strict' && options.remote?.internal !== true
        ? { tier: 'local', rule: name, reason: 'privacy is strict: nothing leaves the runner', pinned: true }
        : undefined;
    case 'sensitive-paths': {
      // "off" is the documented opt-out of every privacy rule, sensitive paths included (balanced keeps them).
      if (options.privacy === 'off') return undefined;
      const glob = firstMatch(options.sensitivePaths, facts.target);
      return glob === undefined
        ? undefined
        : { tier: 'local', rule: name, reason: `${JSON.stringify(facts.target)} matches the sensitive path ${JSON.stringify(glob)}`, pinned: true };
    }
    case 'mode':
      if (options.mode === 'local-only') return { tier: 'local', rule: name, reason: 'router-mode is local-only', pinned: true };
      if (options.mode === 'cloud-only') return { tier: 'cloud', rule: name, reason: 'router-mode is cloud-only', pinned: false };
      return undefined;
    case 'local-unavailable':
      return facts.localAvailable === false ? { tier: 'cloud', rule: name, reason: 'the local model is unavailable', pinned: false } : undefined;
    case 'complexity':
      return options.mode === 'hybrid-auto' ? complexity(options, facts) : undefined;
    case 'default':
      return { tier: 'local', rule: name, reason: 'no rule sent it to the remote model', pinned: false };
  }
}

function complexity(options: RoutingOptions, facts: RouteFacts): TierChoice | undefined {
  const hardest = facts.units.reduce<RouteFacts['units'][number] | undefined>(
    (top, unit) => (top === undefined || unit.complexity > top.complexity ? unit : top),
    undefined
  );
  if (hardest && hardest.complexity > options.complexityThreshold) {
    return {
      tier: 'cloud',
      rule: 'complexity',
      reason: `complexity ${hardest.complexity} of ${JSON.stringify(hardest.name)} > ${options.complexityThreshold}`,
      pinned: false
    };
  }
  const lines = facts.units.reduce((n, unit) => n + unit.lines, 0);
  if (options.sizeThreshold > 0 && lines > options.sizeThreshold) {
    return { tier: 'cloud', rule: 'complexity', reason: `the changed units span ${lines} lines > size-threshold ${options.sizeThreshold}`, pinned: false };
  }
  return undefined;
}

function pathRule(rule: PathRule, facts: RouteFacts): TierChoice | undefined {
  const glob = firstMatch(rule.paths, facts.target);
  if (glob === undefined) return undefined;
  return {
    tier: rule.route,
    rule: rule.name,
    reason: `${JSON.stringify(facts.target)} matches ${JSON.stringify(glob)} of rule ${JSON.stringify(rule.name)}`,
    pinned: rule.route === 'local'
  };
}

/** Dot files match too: a sensitive `.env.ts` must not slip through a `**` glob. */
function firstMatch(globs: readonly string[], target: string): string | undefined {
  return globs.find((glob) => picomatch.isMatch(target, glob, { dot: true }));
}

function usd(amount: number): string {
  return `$${amount.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.00')}`;
}

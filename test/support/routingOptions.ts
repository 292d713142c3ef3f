import { DEFAULT_LOCAL_COST_PER_HOUR } from '../../src/routing/priceTable.js';
import { BUILT_IN_RULE_PRIORITIES, BUILT_IN_RULES, type BuiltInRuleName, type BuiltInRuleSetting, type RoutingOptions } from '../../src/core/Routing.js';

/**
 * RoutingOptions written out in full, as parseRoutingOptions would return them for the action's defaults
 * (hybrid-auto, balanced privacy, complexity-threshold 10, no size rule, no cap, escalation on, no remote), with
 * `overrides` on top and `rules` changing single built-in rules' priority or enabled flag.
 */
export function routingOptions(
  overrides: Partial<RoutingOptions> = {},
  rules: Partial<Record<BuiltInRuleName, Partial<BuiltInRuleSetting>>> = {}
): RoutingOptions {
  const builtInRules = Object.fromEntries(
    BUILT_IN_RULES.map((name) => [name, { priority: BUILT_IN_RULE_PRIORITIES[name], enabled: true, ...rules[name] }])
  ) as Record<BuiltInRuleName, BuiltInRuleSetting>;
  return {
    mode: 'hybrid-auto',
    privacy: 'balanced',
    sensitivePaths: [],
    complexityThreshold: 10,
    sizeThreshold: 0,
    maxCloudUsd: null,
    localCostPerHour: DEFAULT_LOCAL_COST_PER_HOUR,
    localCostSource: 'default',
    prices: {},
    builtInRules,
    pathRules: [],
    escalate: true,
    remote: null,
    configFile: null,
    ...overrides
  };
}

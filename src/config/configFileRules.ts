import { BUILT_IN_RULE_PRIORITIES, BUILT_IN_RULES, PATH_RULE_PRIORITY, type BuiltInRuleName, type BuiltInRuleSetting, type PathRule } from '../core/Routing.js';
import type { RuleEntry } from './aqeConfigSchema.js';
import type { ConfigFileError } from './ConfigFileError.js';
import type { KeyPath } from './configFileLocation.js';
import { globProblem, quote, type ValueProblem } from './routingValueChecks.js';

// router.rules: the built-in rules' priorities and switches, the path rules, and the order that keeps privacy and
// sensitive-paths ahead of every rule that can pick the cloud.

/** Built-in rules that cannot be turned off, and why (shown to whoever tries). */
const ALWAYS_ON: Partial<Record<BuiltInRuleName, string>> = {
  privacy: 'it is what keeps every task on the runner under privacy: strict (to allow the cloud, set privacy to balanced or off instead)',
  'sensitive-paths':
    'it is what keeps the files under sensitive-paths on the runner (to let files go to the cloud, remove their globs from sensitive-paths instead)',
  mode: 'it is what makes router-mode local-only and cloud-only mean what they say (choose the router mode instead)',
  default: 'it decides the tasks no other rule does (it picks the local model)'
};

/** Rules that may send a task to the cloud; privacy and sensitive-paths must be tried before every one of them. */
const CLOUD_CAPABLE_BUILT_INS: readonly BuiltInRuleName[] = ['mode', 'local-unavailable', 'complexity'];
const GUARD_RULES: readonly BuiltInRuleName[] = ['privacy', 'sensitive-paths'];

/** The built-in rules' settings with nothing changed. */
export function defaultBuiltInRules(): Record<BuiltInRuleName, BuiltInRuleSetting> {
  return Object.fromEntries(BUILT_IN_RULES.map((name) => [name, { priority: BUILT_IN_RULE_PRIORITIES[name], enabled: true }])) as Record<
    BuiltInRuleName,
    BuiltInRuleSetting
  >;
}

/** Turns a problem at a key path into the error; the caller's, because it holds the file and its positions. */
export type Fail = (at: KeyPath, problem: ValueProblem, part?: 'key' | 'value') => ConfigFileError;

/**
 * Checks router.rules (names, which keys each kind of rule takes, which rules may be disabled, and their order) and
 * splits it into every built-in rule's setting and the enabled path rules.
 */
export function toRules(entries: readonly RuleEntry[], fail: Fail): { builtInRules: Record<BuiltInRuleName, BuiltInRuleSetting>; pathRules: PathRule[] } {
  const builtInRules = defaultBuiltInRules();
  const pathRules: PathRule[] = [];
  /** Where each rule's priority was written, to point at it when the order is refused. */
  const priorityAt = new Map<string, number>();
  const cloudCapable: Array<{ name: string; priority: number }> = [];
  const seen = new Map<string, number>();
  const builtInNames = BUILT_IN_RULES.join(', ');
  entries.forEach((rule, i) => {
    const at = ['router', 'rules', i];
    const name = rule.name.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw fail([...at, 'name'], {
        problem: `${quote(name)} is not a rule name`,
        fix: 'The name is shown in the report: use letters, digits, ".", "_" and "-", starting with a letter or digit'
      });
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw fail([...at, 'name'], {
        problem: `${quote(name)} is already the name of router.rules[${earlier}]`,
        fix: 'Give each rule its own name, and set a built-in rule once'
      });
    }
    seen.set(name, i);
    if (rule.priority !== undefined) priorityAt.set(name, i);
    if ((BUILT_IN_RULES as readonly string[]).includes(name)) {
      const builtIn = name as BuiltInRuleName;
      if (rule.paths !== undefined || rule.route !== undefined) {
        throw fail(
          [...at, rule.paths !== undefined ? 'paths' : 'route'],
          {
            problem: `${name} is a built-in rule, which takes only priority and enabled`,
            fix: `To route paths, give your rule a name of its own (e.g. ${name}-paths); the built-in rules are ${builtInNames}`
          },
          'key'
        );
      }
      const whyOn = ALWAYS_ON[builtIn];
      if (rule.enabled === false && whyOn !== undefined) {
        throw fail([...at, 'enabled'], { problem: `the ${name} rule cannot be disabled: ${whyOn}`, fix: 'Remove enabled: false' });
      }
      builtInRules[builtIn] = { priority: rule.priority ?? builtInRules[builtIn].priority, enabled: rule.enabled ?? true };
      return;
    }
    if (rule.paths === undefined || rule.route === undefined) {
      const missing = rule.paths === undefined ? 'paths' : 'route';
      throw fail(at, {
        problem: `the path rule ${quote(name)} has no ${missing} (a path rule needs name, paths and route)`,
        fix: `${missing === 'paths' ? 'Add paths: ["vendor/**"] (globs of the files it routes)' : 'Add route: local or route: cloud'}, or, to change a built-in rule, use its name: ${builtInNames}`
      });
    }
    rule.paths.forEach((glob, j) => {
      const problem = globProblem(glob);
      if (problem) throw fail([...at, 'paths', j], problem);
    });
    if (rule.enabled === false) return;
    const pathRule: PathRule = { name, paths: [...new Set(rule.paths)], route: rule.route, priority: rule.priority ?? PATH_RULE_PRIORITY };
    pathRules.push(pathRule);
    if (pathRule.route === 'cloud') cloudCapable.push({ name, priority: pathRule.priority });
  });
  for (const name of CLOUD_CAPABLE_BUILT_INS) {
    if (builtInRules[name].enabled) cloudCapable.push({ name, priority: builtInRules[name].priority });
  }
  // A rule tried before privacy or sensitive-paths could send a protected file to the cloud before they are asked.
  for (const guard of GUARD_RULES) {
    const guardPriority = builtInRules[guard].priority;
    const offender = cloudCapable.find((rule) => rule.priority >= guardPriority);
    if (offender === undefined) continue;
    const blamed = priorityAt.has(offender.name) ? offender.name : guard;
    const index = priorityAt.get(blamed);
    throw fail(index === undefined ? ['router', 'rules'] : ['router', 'rules', index, 'priority'], {
      problem: `${offender.name} (priority ${offender.priority}) could be tried before ${guard} (priority ${guardPriority}) and send ${
        guard === 'privacy' ? 'code' : 'files under sensitive-paths'
      } to the cloud`,
      fix: `Give every rule that can pick the cloud (cloud path rules, mode, local-unavailable, complexity) a priority below ${Math.min(
        builtInRules.privacy.priority,
        builtInRules['sensitive-paths'].priority
      )}`
    });
  }
  return { builtInRules, pathRules };
}

import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import * as z from 'zod';
import {
  BUILT_IN_RULE_PRIORITIES,
  BUILT_IN_RULES,
  PATH_RULE_PRIORITY,
  PRIVACY_MODES,
  ROUTER_MODES,
  type BuiltInRuleName,
  type BuiltInRuleSetting,
  type ModelPrice,
  type PathRule,
  type PrivacyMode,
  type RemoteProviderKind,
  type RouterMode
} from '../core/Routing.js';
import { globProblem, quote, urlProblem, type ValueProblem } from './routingValueChecks.js';

/** Where the file may be, relative to the repository root; both at once is an error. */
export const CONFIG_FILE_NAMES = ['.aqe/config.yml', '.aqe/config.yaml'] as const;

/** cloud-provider: auto picks anthropic when anthropic-api-key is set, else openai-compatible when shared-server-url is. */
export type CloudProviderChoice = 'auto' | RemoteProviderKind;
export const CLOUD_PROVIDER_CHOICES: readonly CloudProviderChoice[] = ['auto', 'anthropic', 'openai-compatible'];

/** The ranges numbers are checked against, the same for an input and its key in the file. */
export const ROUTING_LIMITS = {
  complexityThreshold: { min: 0, max: 1000 },
  sizeThreshold: { min: 0, max: 1_000_000 },
  cloudTimeoutSeconds: { min: 1, max: 3600 },
  cloudMaxRetries: { min: 0, max: 10 },
  maxCloudUsd: { min: 0, max: 100_000 },
  localCostPerHour: { min: 0, max: 1000 },
  pricePerMTok: { min: 0, max: 10_000 },
  rulePriority: { min: 0, max: 1000 }
} as const;

/** .aqe/config.yml, validated. Absent keys stay absent so that the inputs and the defaults can fill them. */
export interface AqeConfig {
  router: {
    mode?: RouterMode;
    privacy?: PrivacyMode;
    complexityThreshold?: number;
    sizeThreshold?: number;
    escalate?: boolean;
    sensitivePaths: string[];
    /** Every built-in rule, with the file's priority and enabled where it set them, else the defaults. */
    builtInRules: Record<BuiltInRuleName, BuiltInRuleSetting>;
    /** Enabled path rules, in the file's order. */
    pathRules: PathRule[];
  };
  cloud: {
    provider?: CloudProviderChoice;
    timeoutSeconds?: number;
    maxRetries?: number;
    anthropic: { model?: string; baseUrl?: string };
    sharedServer: { url?: string; model?: string };
  };
  cost: {
    maxCloudUsd?: number;
    localCostPerHour?: number;
    prices: Record<string, ModelPrice>;
  };
}

/**
 * A value in .aqe/config.yml that cannot be used. Names the file (repo-relative), where in it (line:column and the
 * key path, e.g. router.rules[2].route), what was found and what is allowed, because the reader is looking at a CI log.
 */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    readonly file: string,
    /** e.g. router.rules[2].route; '' for the file as a whole. */
    readonly keyPath: string,
    readonly problem: string,
    readonly fix: string,
    readonly position?: { line: number; column: number }
  ) {
    const where = position ? `${file}:${position.line}:${position.column}` : file;
    super(`${where}: ${keyPath === '' ? '' : `${keyPath}: `}${problem}. ${/[.!?]$/.test(fix) ? fix : `${fix}.`}`);
  }
}

/** A config file larger than this is not a config file. */
const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * Finds and reads the repository's .aqe/config.yml (or .yaml). Null when there is none. Synchronous, because option
 * parsing is.
 */
export function readAqeConfig(repoDir: string): { config: AqeConfig; file: string } | null {
  const present = CONFIG_FILE_NAMES.filter((name) => exists(path.join(repoDir, name)));
  if (present.length === 0) return null;
  if (present.length > 1) {
    throw new ConfigFileError(
      present.join(' and '),
      '',
      'both files exist, and only one can be read',
      `Keep one of them (merge what ${present[1]} holds into ${present[0]} and delete it)`
    );
  }
  const name = present[0]!;
  const file = path.join(repoDir, name);
  return { config: parseAqeConfig(readConfigText(file, name, repoDir), name), file };
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw error;
  }
}

function readConfigText(file: string, name: string, repoDir: string): string {
  const unreadable = (problem: string, fix: string): ConfigFileError => new ConfigFileError(name, '', problem, fix);
  try {
    // A link out of the checkout (the file's, or .aqe's) would put whatever it points at, a credentials file say,
    // into this run's error messages.
    const relative = path.relative(realpathSync(repoDir), realpathSync(file));
    if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw unreadable('it is a link to a file outside the repository', 'Make it a regular file in the repository');
    }
    const stat = statSync(file);
    if (!stat.isFile()) throw unreadable('it is not a file', `Make ${name} a YAML file, or remove it`);
    if (stat.size > MAX_CONFIG_BYTES)
      throw unreadable(`it is ${stat.size} bytes, more than a config file needs`, `Keep it under ${MAX_CONFIG_BYTES / 1024} KiB`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw unreadable(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'Check that it is a readable file');
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The schema. Keys are kebab-case like the action inputs; a key's section and name spell its input where there is one
// (router.complexity-threshold ↔ complexity-threshold, cloud.provider ↔ cloud-provider).

const wholeNumber = (range: { min: number; max: number }) => z.int().min(range.min).max(range.max).optional();
const amount = (range: { min: number; max: number }) => z.number().min(range.min).max(range.max).optional();
const text = z.string().min(1).optional();

const priceSchema = z.strictObject({
  input: z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max),
  output: z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max),
  'cache-write': z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max),
  'cache-read': z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max)
});

/** One shape for both kinds of rule: which keys a rule may have depends on its name, checked after the schema. */
const ruleSchema = z.strictObject({
  name: z.string().min(1),
  priority: wholeNumber(ROUTING_LIMITS.rulePriority),
  enabled: z.boolean().optional(),
  paths: z.array(z.string()).min(1).optional(),
  route: z.enum(['local', 'cloud']).optional()
});

const configSchema = z.strictObject({
  router: z
    .strictObject({
      mode: z.enum(ROUTER_MODES as readonly [RouterMode, ...RouterMode[]]).optional(),
      privacy: z.enum(PRIVACY_MODES as readonly [PrivacyMode, ...PrivacyMode[]]).optional(),
      'complexity-threshold': wholeNumber(ROUTING_LIMITS.complexityThreshold),
      'size-threshold': wholeNumber(ROUTING_LIMITS.sizeThreshold),
      escalate: z.boolean().optional(),
      'sensitive-paths': z.array(z.string()).optional(),
      rules: z.array(ruleSchema).optional()
    })
    .nullish(),
  cloud: z
    .strictObject({
      provider: z.enum(CLOUD_PROVIDER_CHOICES as readonly [CloudProviderChoice, ...CloudProviderChoice[]]).optional(),
      timeout: wholeNumber(ROUTING_LIMITS.cloudTimeoutSeconds),
      'max-retries': wholeNumber(ROUTING_LIMITS.cloudMaxRetries),
      anthropic: z.strictObject({ model: text, 'base-url': text }).nullish(),
      'shared-server': z.strictObject({ url: text, model: text }).nullish()
    })
    .nullish(),
  cost: z
    .strictObject({
      'max-cloud-usd': amount(ROUTING_LIMITS.maxCloudUsd),
      'local-cost-per-hour': amount(ROUTING_LIMITS.localCostPerHour),
      prices: z.record(z.string().min(1), priceSchema).nullish()
    })
    .nullish()
});

type ConfigFile = z.infer<typeof configSchema>;
type Issue = z.ZodError['issues'][number];
type KeyPath = ReadonlyArray<string | number>;

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

/** Parses and validates the file's text; `file` (repo-relative) is only for messages. */
export function parseAqeConfig(source: string, file: string): AqeConfig {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const context: FileContext = { file, doc, lines };
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const at = lines.linePos(syntaxError.pos[0]);
    throw new ConfigFileError(
      file,
      '',
      `is not valid YAML (${yamlProblem(syntaxError.message)})`,
      'Fix the YAML at that line (a YAML linter or `npx yaml valid` shows the spot)',
      {
        line: at.line,
        column: at.col
      }
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigFileError(
      file,
      '',
      `is not valid YAML (${yamlProblem((error as Error).message)})`,
      'Fix the anchors and aliases (&name, *name) it uses, or write the values out'
    );
  }
  if (data === null || data === undefined) data = {};
  refuseSecrets(data, [], context);
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw issueError(parsed.error.issues, data, context);
  return toConfig(parsed.data, context);
}

interface FileContext {
  file: string;
  doc: Document;
  lines: LineCounter;
}

// ---------------------------------------------------------------------------------------------------------------------
// API keys are never read from the repository: whoever can read it (for a public one, everybody) would hold them.

const SECRET_KEY = /(^|[-_])(api[-_]?key|apikey|key|token|secret|password|passwd|credentials?|auth|authorization)$/i;
const SECRET_VALUE = /^(sk-ant-|sk-[A-Za-z0-9_-]{20,}$|xox[abp]-|gh[pousr]_[A-Za-z0-9]{20,})/;

function refuseSecrets(value: unknown, at: KeyPath, context: FileContext): void {
  if (typeof value === 'string' && SECRET_VALUE.test(value)) throw secretError(at, 'the value looks like an API key', context);
  if (Array.isArray(value)) {
    value.forEach((item, i) => refuseSecrets(item, [...at, i], context));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  // Under cost.prices the keys are model names, not settings.
  const modelNames = at.length === 2 && at[0] === 'cost' && at[1] === 'prices';
  for (const [key, item] of Object.entries(value)) {
    if (!modelNames && SECRET_KEY.test(key))
      throw secretError([...at, key], 'API keys are never read from this file: anyone who can read the repository can read them', context);
    refuseSecrets(item, [...at, key], context);
  }
}

function secretError(at: KeyPath, problem: string, context: FileContext): ConfigFileError {
  const input = at.includes('shared-server') ? 'shared-server-api-key' : 'anthropic-api-key';
  const secret = input === 'shared-server-api-key' ? 'SHARED_SERVER_API_KEY' : 'ANTHROPIC_API_KEY';
  return new ConfigFileError(
    context.file,
    formatPath(at),
    problem,
    `Delete it from the file (and revoke the key: it stays in the git history), store it as an encrypted secret and pass it with the ${input} input: \`${input}: \${{ secrets.${secret} }}\``,
    position(context, at, 'key')
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Schema issues in words: the key, what was there, what may be.

function issueError(issues: readonly Issue[], data: unknown, context: FileContext): ConfigFileError {
  const [first, ...rest] = issues;
  const error = describeIssue(first!, data, context);
  const others = [
    ...new Set(rest.map((issue) => formatPath(issue.code === 'unrecognized_keys' ? [...(issue.path as KeyPath), issue.keys[0]!] : (issue.path as KeyPath))))
  ].filter((p) => p !== error.keyPath);
  if (others.length === 0) return error;
  return new ConfigFileError(
    error.file,
    error.keyPath,
    error.problem,
    `${/[.!?]$/.test(error.fix) ? error.fix : `${error.fix}.`} The file has ${others.length} more ${others.length === 1 ? 'problem' : 'problems'}: at ${others.join(', ')}`,
    error.position
  );
}

function describeIssue(issue: Issue, data: unknown, context: FileContext): ConfigFileError {
  const at = issue.path as KeyPath;
  const fail = (keyPath: KeyPath, problem: string, fix: string, part: 'key' | 'value' = 'value') =>
    new ConfigFileError(context.file, formatPath(keyPath), problem, fix, position(context, keyPath, part));
  const found = valueAt(data, at);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const allowed = allowedKeys(at);
      const hint = misplacedKeyHint(key, at, allowed);
      const where = at.length === 0 ? 'at the top level' : `in ${formatPath(at)}`;
      return fail([...at, key], `unknown key ${quote(key)}`, `${hint}Allowed keys ${where}: ${allowed.join(', ')}`, 'key');
    }
    case 'invalid_value':
      return fail(at, `found ${describe(found)}`, `Allowed values: ${issue.values.map(String).join(', ')}`);
    case 'invalid_type': {
      if (found === undefined) return fail(at, 'is missing', missingFix(at), 'key');
      // A whole-number key given text is reported as expecting a "number"; say which kind.
      const schema = schemaAt(at);
      const expected = issue.expected === 'number' && schema instanceof z.ZodNumber && schema.format === 'safeint' ? 'int' : issue.expected;
      return fail(at, `found ${describe(found)}`, `Expected ${expectedText(expected)}${typeHint(expected, found)}`);
    }
    case 'too_small':
    case 'too_big': {
      if (issue.origin === 'array') return fail(at, 'the list is empty', 'Give at least one entry, or remove the key');
      if (issue.origin === 'string') return fail(at, 'is empty', 'Give a value, or remove the key');
      const schema = schemaAt(at);
      const range = schema instanceof z.ZodNumber ? `from ${schema.minValue} to ${schema.maxValue}` : 'in range';
      return fail(at, `found ${describe(found)}, which is out of range`, `Give a number ${range}`);
    }
    default:
      return fail(at, issue.message, 'See the example configuration in the README');
  }
}

function missingFix(at: KeyPath): string {
  if (at.length === 4 && at[0] === 'cost' && at[1] === 'prices') {
    return 'A price needs input, output, cache-write and cache-read, in USD per million tokens (for a model without prompt caching, give cache-write and cache-read the input price)';
  }
  if (at[at.length - 1] === 'name') return 'Give every rule a name: a built-in one to reorder or disable it, or your own for a path rule';
  return `Add ${String(at[at.length - 1])}`;
}

function expectedText(expected: string): string {
  const words: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a text',
    boolean: 'true or false',
    array: 'a list (- item lines, or [a, b])',
    object: 'a mapping (key: value lines)',
    record: 'a mapping (key: value lines)'
  };
  return words[expected] ?? expected;
}

function typeHint(expected: string, found: unknown): string {
  if ((expected === 'number' || expected === 'int') && typeof found === 'string' && found.trim() !== '' && !Number.isNaN(Number(found))) {
    return ' (write it without quotes)';
  }
  if (expected === 'int' && typeof found === 'number') return ' (without a fraction)';
  if (expected === 'boolean' && typeof found === 'string') return ' (YAML reads yes, no, on and off as text; write true or false)';
  if (expected === 'array' && typeof found === 'string') return ` (write [${quote(found, 40)}])`;
  return '';
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing (an empty value)';
  if (typeof value === 'string') return `the text ${quote(value, 40)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

function yamlProblem(message: string): string {
  // yaml appends " at line L, column C" (given separately here); its messages are its own words, but keep them to one line.
  const line = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** A hint for a key written in the wrong section or in camelCase / snake_case. */
function misplacedKeyHint(key: string, at: KeyPath, allowed: readonly string[]): string {
  const kebab = key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  if (kebab !== key && allowed.includes(kebab)) return `Did you mean ${quote(kebab)}? `;
  const elsewhere = allKeyPaths(configSchema, [])
    .filter((p) => p[p.length - 1] === kebab && formatPath(p.slice(0, -1)) !== formatPath(generalise(at)))
    .map((p) => formatPath(p));
  if (elsewhere.length > 0) return `${elsewhere.join(' or ')} ${elsewhere.length === 1 ? 'is' : 'are'} where that goes. `;
  return '';
}

/** Every key path the schema allows, with [] for list items and <model> for price entries. */
function allKeyPaths(schema: z.ZodType, at: KeyPath): KeyPath[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => [[...at, key], ...allKeyPaths(child, [...at, key])]);
  }
  if (inner instanceof z.ZodArray) return allKeyPaths(inner.element as z.ZodType, [...at, 0]);
  if (inner instanceof z.ZodRecord) return allKeyPaths(inner.valueType as z.ZodType, [...at, '<model>']);
  return [];
}

/** The same path with list indexes as 0 and price entries as <model>, to compare with allKeyPaths. */
function generalise(at: KeyPath): KeyPath {
  return at.map((part, i) => (typeof part === 'number' ? 0 : i === 2 && at[0] === 'cost' && at[1] === 'prices' ? '<model>' : part));
}

function allowedKeys(at: KeyPath): string[] {
  const schema = unwrap(schemaAt(at));
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function schemaAt(at: KeyPath): z.ZodType | undefined {
  let schema: z.ZodType | undefined = configSchema;
  for (const part of at) {
    const inner: z.ZodType | undefined = schema === undefined ? undefined : unwrap(schema);
    if (inner instanceof z.ZodObject) schema = (inner.shape as Record<string, z.ZodType>)[String(part)];
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else if (inner instanceof z.ZodRecord) schema = inner.valueType as z.ZodType;
    else return undefined;
  }
  return schema === undefined ? undefined : unwrap(schema);
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

function valueAt(data: unknown, at: KeyPath): unknown {
  let value = data;
  for (const part of at) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/** router.rules[2].route; a key that is not a plain word is quoted: cost.prices["gpt-4.1"]. */
export function formatPath(at: KeyPath): string {
  let out = '';
  for (const part of at) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z0-9_<>-]+$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Where a key (or its value) is in the file, 1-based; the nearest enclosing node when it is missing. */
function position(context: FileContext, at: KeyPath, part: 'key' | 'value'): { line: number; column: number } | undefined {
  const { doc, lines } = context;
  for (let depth = at.length; depth >= 0; depth--) {
    const parentPath = at.slice(0, Math.max(0, depth - 1));
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    let offset: number | undefined;
    if (depth > 0 && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(at[depth - 1]));
      const node = part === 'key' || depth < at.length ? pair?.key : (pair?.value ?? pair?.key);
      offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    } else {
      const node = depth === 0 ? doc.contents : doc.getIn(at.slice(0, depth), true);
      offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    }
    if (offset !== undefined) {
      const pos = lines.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// What the schema cannot say: globs, addresses, and the rules' names, kinds and order.

function toConfig(data: ConfigFile, context: FileContext): AqeConfig {
  const fail = (at: KeyPath, { problem, fix }: ValueProblem, part: 'key' | 'value' = 'value') =>
    new ConfigFileError(context.file, formatPath(at), problem, fix, position(context, at, part));
  const router = data.router ?? {};
  const cloud = data.cloud ?? {};
  const cost = data.cost ?? {};
  const sensitivePaths = router['sensitive-paths'] ?? [];
  sensitivePaths.forEach((glob, i) => {
    const problem = globProblem(glob);
    if (problem) throw fail(['router', 'sensitive-paths', i], problem);
  });
  const baseUrl = cloud.anthropic?.['base-url'];
  const baseUrlProblem = baseUrl === undefined ? null : urlProblem(baseUrl, 'refused');
  if (baseUrlProblem) throw fail(['cloud', 'anthropic', 'base-url'], baseUrlProblem);
  const sharedUrl = cloud['shared-server']?.url;
  const sharedUrlProblem = sharedUrl === undefined ? null : urlProblem(sharedUrl, 'refused');
  if (sharedUrlProblem) throw fail(['cloud', 'shared-server', 'url'], sharedUrlProblem);
  const { builtInRules, pathRules } = toRules(router.rules ?? [], fail);
  const prices: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(cost.prices ?? {})) {
    prices[model] = { inputPerMTok: price.input, outputPerMTok: price.output, cacheWritePerMTok: price['cache-write'], cacheReadPerMTok: price['cache-read'] };
  }
  return {
    router: {
      mode: router.mode,
      privacy: router.privacy,
      complexityThreshold: router['complexity-threshold'],
      sizeThreshold: router['size-threshold'],
      escalate: router.escalate,
      sensitivePaths: [...new Set(sensitivePaths)],
      builtInRules,
      pathRules
    },
    cloud: {
      provider: cloud.provider,
      timeoutSeconds: cloud.timeout,
      maxRetries: cloud['max-retries'],
      anthropic: { model: cloud.anthropic?.model, baseUrl },
      sharedServer: { url: sharedUrl, model: cloud['shared-server']?.model }
    },
    cost: { maxCloudUsd: cost['max-cloud-usd'], localCostPerHour: cost['local-cost-per-hour'], prices }
  };
}

/** The built-in rules' settings with nothing changed. */
export function defaultBuiltInRules(): Record<BuiltInRuleName, BuiltInRuleSetting> {
  return Object.fromEntries(BUILT_IN_RULES.map((name) => [name, { priority: BUILT_IN_RULE_PRIORITIES[name], enabled: true }])) as Record<
    BuiltInRuleName,
    BuiltInRuleSetting
  >;
}

type RuleEntry = z.infer<typeof ruleSchema>;
type Fail = (at: KeyPath, problem: ValueProblem, part?: 'key' | 'value') => ConfigFileError;

function toRules(entries: readonly RuleEntry[], fail: Fail): Pick<AqeConfig['router'], 'builtInRules' | 'pathRules'> {
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

import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { BuiltInRuleName, BuiltInRuleSetting, ModelPrice, PathRule, PrivacyMode, RouterMode } from '../core/Routing.js';
import { configSchema, type CloudProviderChoice, type ConfigFile } from './aqeConfigSchema.js';
import { ConfigFileError } from './ConfigFileError.js';
import { issueError, yamlProblem } from './configFileIssues.js';
import { formatPath, position, type FileContext, type KeyPath } from './configFileLocation.js';
import { toRules } from './configFileRules.js';
import { refuseSecrets } from './configFileSecrets.js';
import { globProblem, urlProblem, type ValueProblem } from './routingValueChecks.js';

/** Where the file may be, relative to the repository root; both at once is an error. */
export const CONFIG_FILE_NAMES = ['.aqe/config.yml', '.aqe/config.yaml'] as const;

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

import { InputError } from '../core/InputError.js';
import { type AllowedEndpoint, isAllowedEndpoint } from '../core/Privacy.js';
import { PRIVACY_MODES, ROUTER_MODES, type RemoteProviderOptions, type RoutingOptions } from '../core/Routing.js';
import { PrivacyViolationError } from '../privacy/PrivacyViolationError.js';
import { DEFAULT_CLOUD_MODEL, DEFAULT_LOCAL_COST_PER_HOUR } from '../routing/priceTable.js';
import { remotePrice } from '../routing/remotePrice.js';
import { readAqeConfig, type AqeConfig } from './aqeConfigFile.js';
import { CLOUD_PROVIDER_CHOICES, ROUTING_LIMITS, type CloudProviderChoice } from './aqeConfigSchema.js';
import { defaultBuiltInRules } from './configFileRules.js';
import { parseBoolean, parseInteger, parseUsd } from './inputValues.js';
import { globProblem, splitGlobList, urlProblem } from './routingValueChecks.js';

/**
 * The router's inputs and what each means when it is not set anywhere. An input left empty falls to
 * .aqe/config.yml, then to this default; so where these are also the action's declared defaults, the file can never
 * apply (a declared default makes the input look set).
 */
export const ROUTING_INPUT_DEFAULTS = {
  'router-mode': 'hybrid-auto',
  privacy: 'balanced',
  'sensitive-paths': '',
  'complexity-threshold': '10',
  'size-threshold': '0',
  'max-cloud-usd': '',
  'local-cost-per-hour': '',
  escalate: 'true',
  'cloud-provider': 'auto',
  'anthropic-api-key': '',
  'anthropic-base-url': 'https://api.anthropic.com',
  'cloud-model': DEFAULT_CLOUD_MODEL,
  'shared-server-url': '',
  'shared-server-api-key': '',
  'shared-server-model': '',
  'cloud-timeout': '120',
  'cloud-max-retries': '2'
} as const;

export type RoutingInputName = keyof typeof ROUTING_INPUT_DEFAULTS;
export type RoutingRawInputs = Partial<Record<RoutingInputName, string>>;

const KEY_FROM_SECRET = (input: string, secret: string): string => `pass it from a secret: \`${input}: \${{ secrets.${secret} }}\``;

/**
 * The routing options of a run: inputs over .aqe/config.yml over the defaults, every value checked, and the
 * combinations that cannot work (cloud-only without a remote provider, a cloud model without a price) refused before
 * any work starts.
 */
export function parseRoutingOptions(raw: RoutingRawInputs, repoDir: string, allowedEndpoints: readonly AllowedEndpoint[] = []): RoutingOptions {
  const found = readAqeConfig(repoDir);
  const file = found?.config;
  /** The input's value, or undefined when the user left it empty. */
  const given = (name: RoutingInputName): string | undefined => {
    const v = raw[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const fallback = (name: RoutingInputName): string => ROUTING_INPUT_DEFAULTS[name];
  const wholeNumber = (name: RoutingInputName, fromFile: number | undefined, range: { min: number; max: number }): number => {
    const text = given(name);
    if (text !== undefined) return parseInteger(name, text, range.min, range.max);
    return fromFile ?? parseInteger(name, fallback(name), range.min, range.max);
  };

  const mode = choose('router-mode', given('router-mode'), file?.router.mode, fallback('router-mode'), ROUTER_MODES, 'a router mode');
  const privacy = choose('privacy', given('privacy'), file?.router.privacy, fallback('privacy'), PRIVACY_MODES, 'a privacy mode');
  const escalateText = given('escalate');
  const escalate =
    escalateText !== undefined ? parseBoolean('escalate', escalateText) : (file?.router.escalate ?? parseBoolean('escalate', fallback('escalate')));
  const maxCloudText = given('max-cloud-usd');
  const maxCloudUsd = maxCloudText !== undefined ? parseUsd('max-cloud-usd', maxCloudText, ROUTING_LIMITS.maxCloudUsd) : (file?.cost.maxCloudUsd ?? null);
  const local = localCost(given('local-cost-per-hour'), file);

  const remoteInputs: RemoteInputs = {
    provider: choose('cloud-provider', given('cloud-provider'), file?.cloud.provider, fallback('cloud-provider'), CLOUD_PROVIDER_CHOICES, 'a cloud provider'),
    anthropicKey: given('anthropic-api-key') ?? '',
    anthropicBaseUrl: checkedUrl('anthropic-base-url', given('anthropic-base-url')) ?? file?.cloud.anthropic.baseUrl ?? fallback('anthropic-base-url'),
    anthropicBaseUrlFromFile: given('anthropic-base-url') === undefined && file?.cloud.anthropic.baseUrl !== undefined,
    cloudModel: given('cloud-model') ?? file?.cloud.anthropic.model ?? fallback('cloud-model'),
    sharedUrl: checkedUrl('shared-server-url', given('shared-server-url')) ?? file?.cloud.sharedServer.url ?? '',
    sharedUrlFromFile: given('shared-server-url') === undefined && file?.cloud.sharedServer.url !== undefined,
    sharedKey: given('shared-server-api-key') ?? '',
    sharedModel: given('shared-server-model') ?? file?.cloud.sharedServer.model ?? '',
    timeoutMs: wholeNumber('cloud-timeout', file?.cloud.timeoutSeconds, ROUTING_LIMITS.cloudTimeoutSeconds) * 1000,
    maxRetries: wholeNumber('cloud-max-retries', file?.cloud.maxRetries, ROUTING_LIMITS.cloudMaxRetries)
  };
  const complexityThreshold = wholeNumber('complexity-threshold', file?.router.complexityThreshold, ROUTING_LIMITS.complexityThreshold);
  const sizeThreshold = wholeNumber('size-threshold', file?.router.sizeThreshold, ROUTING_LIMITS.sizeThreshold);
  // Both lists apply: a path the file protects stays protected whatever the workflow adds, and the other way round.
  const sensitivePaths = [...new Set([...(file?.router.sensitivePaths ?? []), ...parseSensitivePaths(given('sensitive-paths'))])];
  const prices = { ...(file?.cost.prices ?? {}) };

  // Under local-only or strict no request may leave the runner, so a provider that is incomplete there is no error.
  const remote = privacy === 'strict' ? internalRemote(selectRemote(remoteInputs, false), allowedEndpoints) : selectRemote(remoteInputs, mode !== 'local-only');
  const cloudAllowed = mode !== 'local-only' && (privacy !== 'strict' || remote?.internal === true);
  if (privacy === 'strict' && mode === 'cloud-only' && remote?.internal !== true) {
    throw new InputError(
      'privacy',
      'strict keeps every file on the runner, and router-mode cloud-only sends every file to the cloud',
      'Use router-mode local-only (or hybrid-auto, which stays local under strict) with privacy strict, or privacy balanced with cloud-only'
    );
  }
  if (mode === 'cloud-only' && remote === null) {
    throw new InputError(
      'router-mode',
      'cloud-only needs a cloud provider, and none is configured',
      `Set anthropic-api-key (${KEY_FROM_SECRET('anthropic-api-key', 'ANTHROPIC_API_KEY')}) or shared-server-url, or use hybrid-auto, which runs locally when there is no cloud provider (as on pull requests from forks, which get no secrets)`
    );
  }
  // Without a price neither the cost nor max-cloud-usd could be kept; found now, not after the first request.
  if (remote !== null && cloudAllowed) remotePrice(remote, prices);

  return {
    mode,
    privacy,
    sensitivePaths,
    complexityThreshold,
    sizeThreshold,
    maxCloudUsd,
    localCostPerHour: local.perHour,
    localCostSource: local.source,
    prices,
    builtInRules: file?.router.builtInRules ?? defaultBuiltInRules(),
    pathRules: file?.router.pathRules ?? [],
    escalate,
    remote,
    configFile: found?.file ?? null
  };
}

interface RemoteInputs {
  provider: CloudProviderChoice;
  anthropicKey: string;
  anthropicBaseUrl: string;
  /** The address came from .aqe/config.yml, which the pull request under test can change. */
  anthropicBaseUrlFromFile: boolean;
  cloudModel: string;
  sharedUrl: string;
  sharedUrlFromFile: boolean;
  sharedKey: string;
  sharedModel: string;
  timeoutMs: number;
  maxRetries: number;
}

/**
 * auto: Anthropic when its key is set, else the shared server when its URL is, else none. A provider named
 * explicitly but left incomplete is an error where the cloud could be used.
 */
function selectRemote(inputs: RemoteInputs, cloudAllowed: boolean): RemoteProviderOptions | null {
  const kind = inputs.provider === 'auto' ? (inputs.anthropicKey !== '' ? 'anthropic' : inputs.sharedUrl !== '' ? 'openai-compatible' : null) : inputs.provider;
  const common = { timeoutMs: inputs.timeoutMs, maxRetries: inputs.maxRetries };
  if (kind === 'anthropic') {
    if (inputs.anthropicKey === '') {
      if (!cloudAllowed) return null;
      throw new InputError(
        'anthropic-api-key',
        'cloud-provider is anthropic, but no key is set',
        `Set the key (${KEY_FROM_SECRET('anthropic-api-key', 'ANTHROPIC_API_KEY')}), or use cloud-provider auto, which runs locally without a key (as on pull requests from forks, which get no secrets)`
      );
    }
    if (inputs.anthropicBaseUrlFromFile && inputs.anthropicBaseUrl.replace(/\/+$/, '') !== ROUTING_INPUT_DEFAULTS['anthropic-base-url']) {
      throw keyToFileAddress('anthropic-base-url', 'cloud.anthropic.base-url', 'anthropic-api-key');
    }
    return { kind, model: inputs.cloudModel, apiKey: inputs.anthropicKey, baseURL: inputs.anthropicBaseUrl, ...common };
  }
  if (kind === 'openai-compatible') {
    if (inputs.sharedUrl === '') {
      if (!cloudAllowed) return null;
      throw new InputError(
        'shared-server-url',
        'cloud-provider is openai-compatible, but no server is set',
        "Give the shared server's address (e.g. http://gpu-box:8080/v1, in the input or as cloud.shared-server.url in .aqe/config.yml), or use cloud-provider auto"
      );
    }
    if (inputs.sharedModel === '') {
      if (!cloudAllowed) return null;
      throw new InputError(
        'shared-server-model',
        'a shared server is configured, but not the model to ask it for',
        'Name the model the server serves (its /v1/models lists them), in the input or as cloud.shared-server.model in .aqe/config.yml'
      );
    }
    if (inputs.sharedUrlFromFile && inputs.sharedKey !== '') throw keyToFileAddress('shared-server-url', 'cloud.shared-server.url', 'shared-server-api-key');
    return { kind, model: inputs.sharedModel, apiKey: inputs.sharedKey, baseURL: inputs.sharedUrl, ...common };
  }
  return null;
}

/**
 * Under strict the only remote a run may have is one on allowed-endpoints (an inference server inside the network);
 * any other configured provider is refused now, before a socket is opened, rather than silently kept local: a
 * workflow that passes a cloud key to a strict job is a configuration to fix, not one to guess about.
 */
function internalRemote(remote: RemoteProviderOptions | null, allowed: readonly AllowedEndpoint[]): RemoteProviderOptions | null {
  if (remote === null) return null;
  const url = new URL(remote.baseURL);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (isAllowedEndpoint(allowed, url.hostname, port)) return { ...remote, internal: true };
  const [name, keyInput] = remote.kind === 'anthropic' ? ['the Anthropic API', 'anthropic-api-key'] : ['the shared server', 'shared-server-url'];
  throw new PrivacyViolationError(
    `privacy is strict, and ${keyInput} configures ${name} at ${url.origin}, which is not on allowed-endpoints: the code under test would leave the runner`,
    `Remove ${keyInput} from this job (strict runs on the local model), use privacy: balanced to allow the cloud outside sensitive-paths, or, if ${url.host} is inside your network, add ${url.hostname.replace(/^\[|\]$/g, '')}:${port} to allowed-endpoints`
  );
}

/**
 * An API key goes only to an address the workflow names. The configuration file is part of the
 * checkout, so a pull request could point the address at a server of its author's and receive the key.
 */
function keyToFileAddress(input: RoutingInputName, key: string, keyInput: RoutingInputName): InputError {
  return new InputError(
    input,
    `${keyInput} would be sent to the address in .aqe/config.yml (${key}), which any pull request can change`,
    `Set ${input} in the workflow instead (inputs are not part of the pull request), and remove ${key} from the file`
  );
}

function choose<T extends string>(
  input: RoutingInputName,
  text: string | undefined,
  fromFile: T | undefined,
  fallback: string,
  allowed: readonly T[],
  what: string
): T {
  if (text === undefined) return fromFile ?? (fallback as T);
  const value = text.toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(input, `${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not ${what}`, `Use one of: ${allowed.join(', ')}`);
  }
  return value as T;
}

function checkedUrl(input: RoutingInputName, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const problem = urlProblem(text, 'allowed');
  if (problem) throw new InputError(input, problem.problem, problem.fix);
  return text;
}

function parseSensitivePaths(text: string | undefined): string[] {
  if (text === undefined) return [];
  const globs = splitGlobList(text);
  for (const glob of globs) {
    const problem = globProblem(glob);
    if (problem) throw new InputError('sensitive-paths', problem.problem, `${problem.fix}; separate globs with commas or new lines`);
  }
  return globs;
}

function localCost(text: string | undefined, file: AqeConfig | undefined): { perHour: number; source: RoutingOptions['localCostSource'] } {
  if (text !== undefined) return { perHour: parseUsd('local-cost-per-hour', text, ROUTING_LIMITS.localCostPerHour), source: 'input' };
  if (file?.cost.localCostPerHour !== undefined) return { perHour: file.cost.localCostPerHour, source: 'config' };
  return { perHour: DEFAULT_LOCAL_COST_PER_HOUR, source: 'default' };
}

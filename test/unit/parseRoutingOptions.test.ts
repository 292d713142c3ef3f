import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ConfigFileError } from '../../src/config/ConfigFileError.js';
import { defaultBuiltInRules } from '../../src/config/configFileRules.js';
import { parseRoutingOptions, ROUTING_INPUT_DEFAULTS, type RoutingRawInputs } from '../../src/config/parseRoutingOptions.js';
import { splitGlobList } from '../../src/config/routingValueChecks.js';
import { InputError } from '../../src/core/InputError.js';
import { PrivacyViolationError } from '../../src/privacy/PrivacyViolationError.js';
import type { RoutingOptions } from '../../src/core/Routing.js';
import { DEFAULT_CLOUD_MODEL, resolvePrice, UnknownModelPriceError } from '../../src/routing/priceTable.js';
import { remotePrice } from '../../src/routing/remotePrice.js';
import { routingOptions } from '../support/routingOptions.js';
import { thrown } from '../support/thrown.js';

let root: string;
let count = 0;
/** A repository without .aqe/config.yml. */
let bare: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'aqe-routing-options-'));
  bare = repoWith(null);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function repoWith(configYaml: string | null): string {
  const dir = path.join(root, `repo-${++count}`);
  mkdirSync(path.join(dir, '.aqe'), { recursive: true });
  if (configYaml !== null) writeFileSync(path.join(dir, '.aqe/config.yml'), configYaml);
  return dir;
}

function parse(raw: RoutingRawInputs, configYaml: string | null = null): RoutingOptions {
  return parseRoutingOptions(raw, configYaml === null ? bare : repoWith(configYaml));
}

const inputError = (fn: () => unknown): InputError => thrown(InputError, fn);

const privacyViolation = (fn: () => unknown): PrivacyViolationError => thrown(PrivacyViolationError, fn);

const KEY = 'sk-test-key-from-a-secret';

describe('parseRoutingOptions: defaults', () => {
  it('fills every option from the defaults when nothing is set and there is no file', () => {
    expect(parse({})).toEqual(routingOptions({ builtInRules: defaultBuiltInRules() }));
  });

  it('defaults cloud-model to the price table current Sonnet, which has a built-in price', () => {
    expect(ROUTING_INPUT_DEFAULTS['cloud-model']).toBe(DEFAULT_CLOUD_MODEL);
    expect(resolvePrice(DEFAULT_CLOUD_MODEL, {}).source).toBe('built-in');
    expect(parse({ 'anthropic-api-key': KEY }).remote?.model).toBe(DEFAULT_CLOUD_MODEL);
  });

  it('treats blank values as not set, every one of them', () => {
    const blank = Object.fromEntries(Object.keys(ROUTING_INPUT_DEFAULTS).map((name) => [name, '  '])) as RoutingRawInputs;
    expect(parse(blank)).toEqual(parse({}));
  });
});

/** Sets every file-backed key; the inputs below each override one of them. */
const FILE = `router:
  mode: hybrid-prefer-local
  privacy: off
  complexity-threshold: 7
  size-threshold: 150
  escalate: false
  sensitive-paths: ["src/payments/**"]
  rules:
    - { name: complexity, priority: 40 }
    - { name: vendor, paths: ["vendor/**"], route: local }
cloud:
  provider: openai-compatible
  timeout: 30
  max-retries: 5
  anthropic:
    model: claude-haiku-4-5
    base-url: https://gateway.example.com/anthropic
  shared-server:
    url: http://gpu-box:8080/v1
    model: qwen-from-file
cost:
  max-cloud-usd: 1.25
  local-cost-per-hour: 0.9
  prices:
    qwen-from-file: { input: 0.1, output: 0.2, cache-write: 0.1, cache-read: 0.1 }
`;

describe('parseRoutingOptions: inputs over the file over the defaults', () => {
  it('takes every value from the file when the inputs are not set', () => {
    const dir = repoWith(FILE);
    const o = parseRoutingOptions({}, dir);
    expect(o).toEqual({
      mode: 'hybrid-prefer-local',
      privacy: 'off',
      sensitivePaths: ['src/payments/**'],
      complexityThreshold: 7,
      sizeThreshold: 150,
      maxCloudUsd: 1.25,
      localCostPerHour: 0.9,
      localCostSource: 'config',
      prices: { 'qwen-from-file': { inputPerMTok: 0.1, outputPerMTok: 0.2, cacheWritePerMTok: 0.1, cacheReadPerMTok: 0.1 } },
      builtInRules: { ...defaultBuiltInRules(), complexity: { priority: 40, enabled: true } },
      pathRules: [{ name: 'vendor', paths: ['vendor/**'], route: 'local', priority: 85 }],
      escalate: false,
      remote: { kind: 'openai-compatible', model: 'qwen-from-file', apiKey: '', baseURL: 'http://gpu-box:8080/v1', timeoutMs: 30_000, maxRetries: 5 },
      configFile: path.join(dir, '.aqe/config.yml')
    } satisfies RoutingOptions);
  });

  it('lets each input override its key in the file', () => {
    const o = parse(
      {
        'router-mode': 'hybrid-auto',
        privacy: 'balanced',
        'complexity-threshold': '12',
        'size-threshold': '0',
        escalate: 'true',
        'max-cloud-usd': '2.50',
        'local-cost-per-hour': '0.48',
        'cloud-provider': 'anthropic',
        'anthropic-api-key': KEY,
        'anthropic-base-url': 'https://api.anthropic.com',
        'cloud-model': 'claude-sonnet-4-5',
        'cloud-timeout': '60',
        'cloud-max-retries': '0'
      },
      FILE
    );
    expect(o).toMatchObject({
      mode: 'hybrid-auto',
      privacy: 'balanced',
      complexityThreshold: 12,
      sizeThreshold: 0,
      escalate: true,
      maxCloudUsd: 2.5,
      localCostPerHour: 0.48,
      localCostSource: 'input'
    });
    expect(o.remote).toEqual({
      kind: 'anthropic',
      model: 'claude-sonnet-4-5',
      apiKey: KEY,
      baseURL: 'https://api.anthropic.com',
      timeoutMs: 60_000,
      maxRetries: 0
    });
  });

  it('takes the shared server from the inputs over the file', () => {
    const o = parse({ 'shared-server-url': 'http://other:8000/v1', 'shared-server-model': 'llama-from-input', 'shared-server-api-key': 'team-key' }, FILE);
    expect(o.remote).toEqual({
      kind: 'openai-compatible',
      model: 'llama-from-input',
      apiKey: 'team-key',
      baseURL: 'http://other:8000/v1',
      timeoutMs: 30_000,
      maxRetries: 5
    });
  });

  it('takes the Anthropic model from the file when only the key is an input', () => {
    const o = parse({ 'cloud-provider': 'auto', 'anthropic-api-key': KEY }, 'cloud:\n  anthropic:\n    model: claude-haiku-4-5\n');
    expect(o.remote).toEqual({
      kind: 'anthropic',
      model: 'claude-haiku-4-5',
      apiKey: KEY,
      baseURL: 'https://api.anthropic.com',
      timeoutMs: 120_000,
      maxRetries: 2
    });
  });

  it('never sends a key to an address the pull request can change: URLs that receive one come from the workflow', () => {
    const gateway = 'cloud:\n  anthropic:\n    base-url: https://attacker.example.com\n';
    expect(() => parse({ 'anthropic-api-key': KEY }, gateway)).toThrow(InputError);
    expect(() => parse({ 'anthropic-api-key': KEY }, gateway)).toThrow(
      /anthropic-base-url.*which any pull request can change.*Set anthropic-base-url in the workflow/
    );
    // The same address as an input is the workflow's choice; the file naming the default address is harmless.
    expect(parse({ 'anthropic-api-key': KEY, 'anthropic-base-url': 'https://gateway.example.com' }, gateway).remote?.baseURL).toBe(
      'https://gateway.example.com'
    );
    expect(parse({ 'anthropic-api-key': KEY }, 'cloud:\n  anthropic:\n    base-url: https://api.anthropic.com/\n').remote?.kind).toBe('anthropic');
    const shared = 'cloud:\n  shared-server:\n    url: http://attacker.example.com/v1\n    model: m\n';
    expect(() => parse({ 'shared-server-api-key': 'team-key' }, shared)).toThrow(/shared-server-api-key would be sent/);
    // A shared server that takes no key may be named in the file: nothing secret goes to it.
    expect(parse({}, shared).remote).toMatchObject({ kind: 'openai-compatible', baseURL: 'http://attacker.example.com/v1', apiKey: '' });
  });

  it('combines the sensitive paths of the file and the input, without repeats', () => {
    const o = parse({ 'sensitive-paths': 'src/payments/**, secrets/**\n**/*.secret.ts' }, FILE);
    expect(o.sensitivePaths).toEqual(['src/payments/**', 'secrets/**', '**/*.secret.ts']);
  });

  it('reads the case of enum inputs loosely, as the other inputs do', () => {
    expect(parse({ 'router-mode': 'Local-Only', privacy: 'STRICT' })).toMatchObject({ mode: 'local-only', privacy: 'strict' });
  });

  it('falls to the file, not to the default, for a blank input', () => {
    expect(parse({ 'router-mode': '   ', 'complexity-threshold': '' }, FILE)).toMatchObject({ mode: 'hybrid-prefer-local', complexityThreshold: 7 });
  });
});

describe('parseRoutingOptions: wrong inputs name the input and the fix', () => {
  it.each([
    ['router-mode', 'fast', 'Input "router-mode": "fast" is not a router mode. Use one of: local-only, cloud-only, hybrid-auto, hybrid-prefer-local.'],
    ['privacy', 'paranoid', 'Input "privacy": "paranoid" is not a privacy mode. Use one of: strict, balanced, off.'],
    ['cloud-provider', 'openai', 'Input "cloud-provider": "openai" is not a cloud provider. Use one of: auto, anthropic, openai-compatible.'],
    ['complexity-threshold', 'ten', 'Input "complexity-threshold": "ten" is not a whole number. Give a number from 0 to 1000.'],
    ['complexity-threshold', '1001', 'Input "complexity-threshold": 1001 is out of range. Give a number from 0 to 1000.'],
    ['size-threshold', '-5', 'Input "size-threshold": "-5" is not a whole number. Give a number from 0 to 1000000.'],
    ['cloud-timeout', '0', 'Input "cloud-timeout": 0 is out of range. Give a number from 1 to 3600.'],
    ['cloud-max-retries', '11', 'Input "cloud-max-retries": 11 is out of range. Give a number from 0 to 10.'],
    ['escalate', 'maybe', 'Input "escalate": "maybe" is not a boolean. Use true or false.'],
    [
      'max-cloud-usd',
      '-1',
      'Input "max-cloud-usd": -1 is negative. Give an amount in US dollars from 0 to 100000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'max-cloud-usd',
      'NaN',
      'Input "max-cloud-usd": "NaN" is not an amount. Give an amount in US dollars from 0 to 100000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'max-cloud-usd',
      '$2.50',
      'Input "max-cloud-usd": "$2.50" is not an amount. Give an amount in US dollars from 0 to 100000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'max-cloud-usd',
      '2,50',
      'Input "max-cloud-usd": "2,50" is not an amount. Give an amount in US dollars from 0 to 100000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'max-cloud-usd',
      '1e3',
      'Input "max-cloud-usd": "1e3" is not an amount. Give an amount in US dollars from 0 to 100000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'local-cost-per-hour',
      '1001',
      'Input "local-cost-per-hour": 1001 is out of range. Give an amount in US dollars from 0 to 1000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'local-cost-per-hour',
      'Infinity',
      'Input "local-cost-per-hour": "Infinity" is not an amount. Give an amount in US dollars from 0 to 1000, written like 2.50 (no $ sign, a dot for decimals).'
    ],
    [
      'sensitive-paths',
      'src/payments/**, /etc/**',
      'Input "sensitive-paths": "/etc/**" starts with /, but targets are matched relative to the repository root. Drop the leading /: "etc/**"; separate globs with commas or new lines.'
    ],
    [
      'anthropic-base-url',
      'ftp://example.com',
      'Input "anthropic-base-url": "ftp:" is not http: or https:. Give an http:// or https:// address, e.g. http://gpu-box:8080.'
    ],
    [
      'shared-server-url',
      'gpu-box:8080',
      'Input "shared-server-url": "gpu-box:" is not http: or https:. Give an http:// or https:// address, e.g. http://gpu-box:8080.'
    ],
    [
      'shared-server-url',
      'not a url',
      'Input "shared-server-url": "not a url" is not a URL. Give an absolute http:// or https:// address, e.g. http://gpu-box:8080.'
    ]
  ] as const)('%s = %j', (name, value, message) => {
    const e = inputError(() => parse({ [name]: value }));
    expect(e.input).toBe(name);
    expect(e.message).toBe(message);
  });

  it('accepts decimal amounts, with or without a leading digit, and 0', () => {
    expect(parse({ 'max-cloud-usd': '2.50' }).maxCloudUsd).toBe(2.5);
    expect(parse({ 'max-cloud-usd': '.75' }).maxCloudUsd).toBe(0.75);
    expect(parse({ 'max-cloud-usd': '0' }).maxCloudUsd).toBe(0);
    expect(parse({ 'local-cost-per-hour': '0' })).toMatchObject({ localCostPerHour: 0, localCostSource: 'input' });
  });

  it('keeps a brace list of the input as one glob, and refuses an unclosed one', () => {
    expect(splitGlobList('src/{payments,billing}/**, a/**\n\n b/** ,')).toEqual(['src/{payments,billing}/**', 'a/**', 'b/**']);
    expect(parse({ 'sensitive-paths': 'src/{payments,billing}/**' }).sensitivePaths).toEqual(['src/{payments,billing}/**']);
    expect(inputError(() => parse({ 'sensitive-paths': 'src/{payments/**' })).message).toContain('"src/{payments/**" is not a valid glob');
  });

  it('never repeats a password given in shared-server-url', () => {
    const e = inputError(() => parse({ 'shared-server-url': 'gpu://team:hunter2@box' }));
    expect(e.message).not.toContain('hunter2');
  });

  it('passes a wrong file value on as a ConfigFileError, not an InputError', () => {
    expect(() => parse({}, 'router:\n  mode: fast\n')).toThrow(ConfigFileError);
  });
});

describe('parseRoutingOptions: which remote provider', () => {
  it('auto: none configured → no remote', () => {
    expect(parse({ 'cloud-provider': 'auto' }).remote).toBeNull();
  });

  it('auto: Anthropic when its key is set, even with a shared server configured', () => {
    const o = parse({ 'anthropic-api-key': `  ${KEY}\n`, 'shared-server-url': 'http://gpu-box:8080', 'shared-server-model': 'qwen' });
    expect(o.remote).toEqual({
      kind: 'anthropic',
      model: DEFAULT_CLOUD_MODEL,
      apiKey: KEY,
      baseURL: 'https://api.anthropic.com',
      timeoutMs: 120_000,
      maxRetries: 2
    });
  });

  it('auto: the shared server when only its URL is set, with no key when it needs none', () => {
    expect(parse({ 'shared-server-url': 'http://gpu-box:8080', 'shared-server-model': 'qwen' }).remote).toEqual({
      kind: 'openai-compatible',
      model: 'qwen',
      apiKey: '',
      baseURL: 'http://gpu-box:8080',
      timeoutMs: 120_000,
      maxRetries: 2
    });
  });

  it('an explicit openai-compatible wins over an Anthropic key', () => {
    const o = parse({
      'cloud-provider': 'openai-compatible',
      'anthropic-api-key': KEY,
      'shared-server-url': 'http://gpu-box:8080',
      'shared-server-model': 'qwen'
    });
    expect(o.remote?.kind).toBe('openai-compatible');
  });

  it('refuses cloud-provider anthropic without a key, and points at auto for forks', () => {
    const e = inputError(() => parse({ 'cloud-provider': 'anthropic' }));
    expect(e.input).toBe('anthropic-api-key');
    expect(e.message).toBe(
      'Input "anthropic-api-key": cloud-provider is anthropic, but no key is set. Set the key (pass it from a secret: `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}`), or use cloud-provider auto, which runs locally without a key (as on pull requests from forks, which get no secrets).'
    );
  });

  it('refuses openai-compatible without a server, and a server without a model', () => {
    expect(inputError(() => parse({ 'cloud-provider': 'openai-compatible' })).message).toBe(
      'Input "shared-server-url": cloud-provider is openai-compatible, but no server is set. Give the shared server\'s address (e.g. http://gpu-box:8080/v1, in the input or as cloud.shared-server.url in .aqe/config.yml), or use cloud-provider auto.'
    );
    const e = inputError(() => parse({ 'shared-server-url': 'http://gpu-box:8080' }));
    expect(e.input).toBe('shared-server-model');
    expect(e.fix).toBe('Name the model the server serves (its /v1/models lists them), in the input or as cloud.shared-server.model in .aqe/config.yml');
  });

  it('lets an incomplete provider pass where the cloud cannot be used anyway', () => {
    expect(parse({ 'cloud-provider': 'anthropic', 'router-mode': 'local-only' }).remote).toBeNull();
    expect(parse({ 'cloud-provider': 'openai-compatible', privacy: 'strict' }).remote).toBeNull();
  });

  it('never reads a key from the file', () => {
    expect(() => parse({}, 'cloud:\n  anthropic:\n    api-key: sk-in-the-repository\n')).toThrow(ConfigFileError);
    // With the provider fully configured in the file, the key still has to come from the input.
    const e = inputError(() => parse({}, 'cloud:\n  provider: anthropic\n  anthropic:\n    model: claude-sonnet-4-5\n'));
    expect(e.input).toBe('anthropic-api-key');
  });
});

describe('parseRoutingOptions: combinations refused before any work', () => {
  it('cloud-only without a remote provider', () => {
    const e = inputError(() => parse({ 'router-mode': 'cloud-only' }));
    expect(e.input).toBe('router-mode');
    expect(e.message).toBe(
      'Input "router-mode": cloud-only needs a cloud provider, and none is configured. Set anthropic-api-key (pass it from a secret: `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}`) or shared-server-url, or use hybrid-auto, which runs locally when there is no cloud provider (as on pull requests from forks, which get no secrets).'
    );
    expect(parse({ 'router-mode': 'cloud-only', 'anthropic-api-key': KEY }).remote?.kind).toBe('anthropic');
  });

  it('privacy strict with cloud-only, from inputs or from the file', () => {
    const e = inputError(() => parse({ 'router-mode': 'cloud-only', privacy: 'strict' }));
    expect(e.input).toBe('privacy');
    expect(e.message).toBe(
      'Input "privacy": strict keeps every file on the runner, and router-mode cloud-only sends every file to the cloud. Use router-mode local-only (or hybrid-auto, which stays local under strict) with privacy strict, or privacy balanced with cloud-only.'
    );
    expect(inputError(() => parse({}, 'router:\n  mode: cloud-only\n  privacy: strict\n')).input).toBe('privacy');
  });

  it('privacy strict with a cloud provider configured: PrivacyViolationError before anything is created, naming the input and the endpoint', () => {
    const anthropic = privacyViolation(() => parse({ privacy: 'strict', 'anthropic-api-key': KEY }));
    expect(anthropic.input).toBe('privacy');
    expect(anthropic.message).toBe(
      'Input "privacy": privacy is strict, and anthropic-api-key configures the Anthropic API at https://api.anthropic.com, which is not on allowed-endpoints: the code under test would leave the runner. Remove anthropic-api-key from this job (strict runs on the local model), use privacy: balanced to allow the cloud outside sensitive-paths, or, if api.anthropic.com is inside your network, add api.anthropic.com:443 to allowed-endpoints.'
    );
    // From the file too, and in local-only: a key handed to a strict job is a configuration to fix.
    expect(privacyViolation(() => parse({ 'anthropic-api-key': KEY }, 'router:\n  privacy: strict\n')).message).toContain('anthropic-api-key');
    expect(privacyViolation(() => parse({ privacy: 'strict', 'router-mode': 'local-only', 'anthropic-api-key': KEY })).input).toBe('privacy');
    const shared = privacyViolation(() => parse({ privacy: 'strict', 'shared-server-url': 'http://gpu-box:8080/v1', 'shared-server-model': 'qwen' }));
    expect(shared.message).toContain('shared-server-url configures the shared server at http://gpu-box:8080');
    expect(shared.message).toContain('add gpu-box:8080 to allowed-endpoints');
    // Another port of an allowed host is not allowed.
    expect(() => parseRoutingOptions({ privacy: 'strict', 'anthropic-api-key': KEY }, bare, [{ host: 'api.anthropic.com', port: 8443 }])).toThrow(
      PrivacyViolationError
    );
  });

  it('privacy strict with a shared server on allowed-endpoints: an internal remote the router may use', () => {
    const o = parseRoutingOptions({ privacy: 'strict', 'shared-server-url': 'http://GPU-box:8080/v1', 'shared-server-model': 'qwen' }, bare, [
      { host: 'gpu-box', port: 8080 }
    ]);
    expect(o.remote).toMatchObject({ kind: 'openai-compatible', internal: true });
    expect(
      parseRoutingOptions({ privacy: 'strict', 'router-mode': 'cloud-only', 'shared-server-url': 'http://10.0.0.5/v1', 'shared-server-model': 'qwen' }, bare, [
        { host: '10.0.0.5', port: 80 }
      ]).mode
    ).toBe('cloud-only');
  });

  it('a cloud model without a price: UnknownModelPriceError, naming the model and how to add its price', () => {
    let error: unknown;
    try {
      parse({ 'anthropic-api-key': KEY, 'cloud-model': 'claude-future-9' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownModelPriceError);
    expect((error as UnknownModelPriceError).message).toContain('"claude-future-9"');
    expect((error as UnknownModelPriceError).message).toContain('cost:\n  prices:\n');
  });

  it('the same model priced in the file runs, with the file price', () => {
    const o = parse(
      { 'anthropic-api-key': KEY, 'cloud-model': 'claude-future-9' },
      'cost:\n  prices:\n    claude-future-9: { input: 4, output: 20, cache-write: 5, cache-read: 0.4 }\n'
    );
    expect(resolvePrice(o.remote!.model, o.prices)).toEqual({
      price: { inputPerMTok: 4, outputPerMTok: 20, cacheWritePerMTok: 5, cacheReadPerMTok: 0.4 },
      source: 'config'
    });
  });

  it('a model without a price is no error where the cloud cannot be used', () => {
    expect(parse({ 'anthropic-api-key': KEY, 'cloud-model': 'claude-future-9', 'router-mode': 'local-only' }).remote?.model).toBe('claude-future-9');
  });

  it('a shared server without a price is self-hosted: $0, with no price entry needed', () => {
    const o = parse({ 'shared-server-url': 'http://gpu-box:8080', 'shared-server-model': 'my-local-qwen' });
    expect(o.prices).toEqual({});
    expect(remotePrice(o.remote!, o.prices)).toEqual({
      price: { inputPerMTok: 0, outputPerMTok: 0, cacheWritePerMTok: 0, cacheReadPerMTok: 0 },
      source: 'self-hosted'
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { readAqeConfig, type AqeConfig } from '../../src/config/aqeConfigFile.js';
import { ConfigFileError } from '../../src/config/ConfigFileError.js';
import { defaultBuiltInRules } from '../../src/config/configFileRules.js';
import { BUILT_IN_RULE_PRIORITIES, BUILT_IN_RULES, PATH_RULE_PRIORITY } from '../../src/core/Routing.js';
import { thrown } from '../support/thrown.js';

let root: string;
let count = 0;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'aqe-config-file-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh repository holding `files` (repo-relative path → text). */
function repoWith(files: Record<string, string>): string {
  const dir = path.join(root, `repo-${++count}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function read(yaml: string): AqeConfig {
  const found = readAqeConfig(repoWith({ '.aqe/config.yml': yaml }));
  if (found === null) throw new Error('expected the file to be found');
  return found.config;
}

function configError(yaml: string): ConfigFileError {
  return errorOf(() => read(yaml));
}

const errorOf = (fn: () => unknown): ConfigFileError => thrown(ConfigFileError, fn);

const FULL_EXAMPLE = `# The README's example, every key set.
router:
  mode: hybrid-auto            # local-only | cloud-only | hybrid-auto | hybrid-prefer-local
  privacy: balanced            # strict | balanced | off
  complexity-threshold: 12
  size-threshold: 200
  escalate: false
  sensitive-paths: ["src/payments/**", "**/*.secret.ts"]
  rules:
    - { name: complexity, priority: 40 }
    - { name: budget, enabled: false }
    - { name: vendor-code-local, paths: ["vendor/**"], route: local, priority: 95 }
    - name: generated-to-cloud
      paths:
        - src/generated/**
      route: cloud
cloud:
  provider: anthropic          # auto | anthropic | openai-compatible
  timeout: 90
  max-retries: 4
  anthropic:
    model: claude-sonnet-4-5
    base-url: https://llm-gateway.example.com/anthropic
  shared-server:
    url: http://gpu-box:8080/v1
    model: qwen2.5-coder-32b-instruct
cost:
  max-cloud-usd: 2.50
  local-cost-per-hour: 0.48
  prices:
    my-model: { input: 3, output: 15, cache-write: 3.75, cache-read: 0.3 }
`;

describe('readAqeConfig: finding the file', () => {
  it('is null when the repository has no .aqe/config.yml', () => {
    expect(readAqeConfig(repoWith({ 'README.md': 'no config' }))).toBeNull();
    expect(readAqeConfig(repoWith({ '.aqe/other.yml': 'router: {}' }))).toBeNull();
  });

  it('reads .aqe/config.yaml too, and returns the absolute path it read', () => {
    const dir = repoWith({ '.aqe/config.yaml': 'router:\n  mode: local-only\n' });
    const found = readAqeConfig(dir);
    expect(found?.file).toBe(path.join(dir, '.aqe/config.yaml'));
    expect(found?.config.router.mode).toBe('local-only');
  });

  it('refuses both .yml and .yaml, naming both and saying to keep one', () => {
    const e = errorOf(() => readAqeConfig(repoWith({ '.aqe/config.yml': 'router: {}', '.aqe/config.yaml': 'cost: {}' })));
    expect(e.file).toBe('.aqe/config.yml and .aqe/config.yaml');
    expect(e.message).toBe(
      '.aqe/config.yml and .aqe/config.yaml: both files exist, and only one can be read. Keep one of them (merge what .aqe/config.yaml holds into .aqe/config.yml and delete it).'
    );
  });

  it('refuses a link to a file outside the repository, without reading what it points at', () => {
    const outside = path.join(root, `outside-${++count}.txt`);
    writeFileSync(outside, 'https://user:hunter2@example.com\n');
    const dir = repoWith({});
    mkdirSync(path.join(dir, '.aqe'));
    symlinkSync(outside, path.join(dir, '.aqe/config.yml'));
    const e = errorOf(() => readAqeConfig(dir));
    expect(e.message).toBe('.aqe/config.yml: it is a link to a file outside the repository. Make it a regular file in the repository.');
    expect(e.message).not.toContain('hunter2');
  });

  it('refuses a .aqe directory that links out of the repository', () => {
    const outside = path.join(root, `outside-dir-${++count}`);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'config.yml'), 'router:\n  mode: local-only\n');
    const dir = repoWith({});
    symlinkSync(outside, path.join(dir, '.aqe'));
    expect(errorOf(() => readAqeConfig(dir)).problem).toBe('it is a link to a file outside the repository');
  });

  it('follows a link that stays inside the repository', () => {
    const dir = repoWith({ 'config/aqe.yml': 'router:\n  privacy: strict\n' });
    mkdirSync(path.join(dir, '.aqe'));
    symlinkSync('../config/aqe.yml', path.join(dir, '.aqe/config.yml'));
    expect(readAqeConfig(dir)?.config.router.privacy).toBe('strict');
  });

  it('refuses a directory where the file should be', () => {
    const dir = repoWith({});
    mkdirSync(path.join(dir, '.aqe/config.yml'), { recursive: true });
    expect(errorOf(() => readAqeConfig(dir)).message).toBe('.aqe/config.yml: it is not a file. Make .aqe/config.yml a YAML file, or remove it.');
  });

  it('refuses a file far larger than any configuration', () => {
    const e = errorOf(() => read(`# ${'x'.repeat(300 * 1024)}\n`));
    expect(e.problem).toMatch(/^it is \d+ bytes, more than a config file needs$/);
    expect(e.fix).toBe('Keep it under 256 KiB');
  });
});

describe('readAqeConfig: a valid file', () => {
  it('reads every key of the full example', () => {
    expect(read(FULL_EXAMPLE)).toEqual({
      router: {
        mode: 'hybrid-auto',
        privacy: 'balanced',
        complexityThreshold: 12,
        sizeThreshold: 200,
        escalate: false,
        sensitivePaths: ['src/payments/**', '**/*.secret.ts'],
        builtInRules: {
          ...defaultBuiltInRules(),
          complexity: { priority: 40, enabled: true },
          budget: { priority: BUILT_IN_RULE_PRIORITIES.budget, enabled: false }
        },
        pathRules: [
          { name: 'vendor-code-local', paths: ['vendor/**'], route: 'local', priority: 95 },
          { name: 'generated-to-cloud', paths: ['src/generated/**'], route: 'cloud', priority: PATH_RULE_PRIORITY }
        ]
      },
      cloud: {
        provider: 'anthropic',
        timeoutSeconds: 90,
        maxRetries: 4,
        anthropic: { model: 'claude-sonnet-4-5', baseUrl: 'https://llm-gateway.example.com/anthropic' },
        sharedServer: { url: 'http://gpu-box:8080/v1', model: 'qwen2.5-coder-32b-instruct' }
      },
      cost: {
        maxCloudUsd: 2.5,
        localCostPerHour: 0.48,
        prices: { 'my-model': { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 } }
      }
    });
  });

  it('reads an empty file, a file of comments and empty sections as "nothing set"', () => {
    const nothing: AqeConfig = {
      router: {
        mode: undefined,
        privacy: undefined,
        complexityThreshold: undefined,
        sizeThreshold: undefined,
        escalate: undefined,
        sensitivePaths: [],
        builtInRules: defaultBuiltInRules(),
        pathRules: []
      },
      cloud: {
        provider: undefined,
        timeoutSeconds: undefined,
        maxRetries: undefined,
        anthropic: { model: undefined, baseUrl: undefined },
        sharedServer: { url: undefined, model: undefined }
      },
      cost: { maxCloudUsd: undefined, localCostPerHour: undefined, prices: {} }
    };
    expect(read('')).toEqual(nothing);
    expect(read('# only a comment\n')).toEqual(nothing);
    expect(read('router:\n  # mode: local-only\ncloud:\ncost:\n')).toEqual(nothing);
  });

  it('gives every built-in rule its documented priority unless the file moves it', () => {
    const rules = read('router:\n  rules:\n    - { name: default, priority: 5 }\n').router.builtInRules;
    for (const name of BUILT_IN_RULES) {
      expect(rules[name]).toEqual({ priority: name === 'default' ? 5 : BUILT_IN_RULE_PRIORITIES[name], enabled: true });
    }
  });

  it('drops a disabled path rule and keeps the order of the others', () => {
    const config = read(
      'router:\n  rules:\n    - { name: a, paths: [a/**], route: local }\n    - { name: b, paths: [b/**], route: local, enabled: false }\n    - { name: c, paths: [c/**], route: cloud, priority: 20 }\n'
    );
    expect(config.router.pathRules.map((r) => [r.name, r.priority])).toEqual([
      ['a', PATH_RULE_PRIORITY],
      ['c', 20]
    ]);
  });

  it('keeps a model price whose key is not a plain word, and a model named like a token', () => {
    const prices = read(
      'cost:\n  prices:\n    "gpt-4.1": { input: 2, output: 8, cache-write: 2, cache-read: 0.5 }\n    my-token: { input: 0, output: 0, cache-write: 0, cache-read: 0 }\n'
    ).cost.prices;
    expect(Object.keys(prices)).toEqual(['gpt-4.1', 'my-token']);
  });
});

describe('readAqeConfig: YAML syntax', () => {
  it('names the line and column of a syntax error', () => {
    const e = configError('router:\n  mode: local-only\n  sensitive-paths: [src/payments/**\ncost: {}\n');
    expect(e.keyPath).toBe('');
    expect(e.position?.line).toBe(4);
    expect(e.message).toMatch(/^\.aqe\/config\.yml:4:\d+: is not valid YAML \(.+\)\. Fix the YAML at that line/);
  });

  it('names the line of a key written twice', () => {
    const e = configError('router:\n  mode: local-only\n  mode: cloud-only\n');
    expect(e.position).toEqual({ line: 3, column: 3 });
    expect(e.message).toContain('.aqe/config.yml:3:3: is not valid YAML (Map keys must be unique)');
  });

  it('refuses an alias to an anchor that does not exist', () => {
    const e = configError('router:\n  mode: *nope\n');
    expect(e.message).toContain('is not valid YAML');
    expect(e.fix).toContain('anchors and aliases');
  });

  it('refuses a file that is a list, not a mapping', () => {
    const e = configError('- router\n- cloud\n');
    expect(e.message).toBe('.aqe/config.yml:1:1: found a list. Expected a mapping (key: value lines).');
  });
});

describe('readAqeConfig: unknown keys', () => {
  it('at the top level: names the key and lists the allowed ones', () => {
    const e = configError('router: {}\nrouting:\n  mode: local-only\n');
    expect(e.keyPath).toBe('routing');
    expect(e.message).toBe('.aqe/config.yml:2:1: routing: unknown key "routing". Allowed keys at the top level: router, cloud, cost.');
  });

  it('in a section, with a hint for a camelCase spelling', () => {
    const e = configError('router:\n  mode: local-only\n  complexityThreshold: 5\n');
    expect(e.message).toBe(
      '.aqe/config.yml:3:3: router.complexityThreshold: unknown key "complexityThreshold". Did you mean "complexity-threshold"? Allowed keys in router: mode, privacy, complexity-threshold, size-threshold, escalate, sensitive-paths, rules.'
    );
  });

  it('in the wrong section: says where it goes', () => {
    expect(configError('mode: local-only\n').fix).toBe('router.mode is where that goes. Allowed keys at the top level: router, cloud, cost');
    expect(configError('cloud:\n  model: claude-sonnet-4-5\n').fix).toBe(
      'cloud.anthropic.model or cloud.shared-server.model are where that goes. Allowed keys in cloud: provider, timeout, max-retries, anthropic, shared-server'
    );
  });

  it('two levels down, in a list item and in a price', () => {
    const nested = configError('cloud:\n  anthropic:\n    modle: x\n');
    expect(nested.message).toBe('.aqe/config.yml:3:5: cloud.anthropic.modle: unknown key "modle". Allowed keys in cloud.anthropic: model, base-url.');
    const rule = configError('router:\n  rules:\n    - { name: complexity, priority: 40 }\n    - { name: budget, prio: 3 }\n');
    expect(rule.keyPath).toBe('router.rules[1].prio');
    expect(rule.position).toEqual({ line: 4, column: 23 });
    expect(rule.fix).toBe('Allowed keys in router.rules[1]: name, priority, enabled, paths, route');
    const price = configError('cost:\n  prices:\n    "gpt-4.1": { input: 1, output: 2, cache-write: 1, cache-read: 1, cached: 1 }\n');
    expect(price.keyPath).toBe('cost.prices["gpt-4.1"].cached');
    expect(price.fix).toBe('Allowed keys in cost.prices["gpt-4.1"]: input, output, cache-write, cache-read');
  });

  it('counts the other problems of the file', () => {
    const e = configError('router:\n  mode: fast\n  privacy: none\ncloud:\n  timeout: 0\n');
    expect(e.keyPath).toBe('router.mode');
    expect(e.message).toContain('The file has 2 more problems: at router.privacy, cloud.timeout.');
  });
});

describe('readAqeConfig: wrong values', () => {
  it('an enum: what was found and the allowed values', () => {
    expect(configError('router:\n  mode: hybrid\n').message).toBe(
      '.aqe/config.yml:2:9: router.mode: found the text "hybrid". Allowed values: local-only, cloud-only, hybrid-auto, hybrid-prefer-local.'
    );
    expect(configError('router:\n  privacy: paranoid\n').fix).toBe('Allowed values: strict, balanced, off');
    expect(configError('cloud:\n  provider: openai\n').fix).toBe('Allowed values: auto, anthropic, openai-compatible');
    const route = configError(
      'router:\n  rules:\n    - { name: a, paths: [a/**], route: local }\n    - { name: b, paths: [b/**], route: local }\n    - name: c\n      paths: [c/**]\n      route: clod\n'
    );
    expect(route.message).toBe('.aqe/config.yml:7:14: router.rules[2].route: found the text "clod". Allowed values: local, cloud.');
  });

  it('a number written as text, a fraction, a number out of range', () => {
    expect(configError('router:\n  complexity-threshold: "10"\n').message).toBe(
      '.aqe/config.yml:2:25: router.complexity-threshold: found the text "10". Expected a whole number (write it without quotes).'
    );
    expect(configError('router:\n  size-threshold: 2.5\n').fix).toBe('Expected a whole number (without a fraction)');
    expect(configError('cloud:\n  timeout: 0\n').message).toBe(
      '.aqe/config.yml:2:12: cloud.timeout: found 0, which is out of range. Give a number from 1 to 3600.'
    );
    expect(configError('cloud:\n  max-retries: 11\n').fix).toBe('Give a number from 0 to 10');
    expect(configError('cost:\n  max-cloud-usd: -1\n').fix).toBe('Give a number from 0 to 100000');
    expect(configError('cost:\n  local-cost-per-hour: .nan\n').message).toContain('cost.local-cost-per-hour: found NaN. Expected a number.');
  });

  it('yes/no, a single glob instead of a list, a section that is not a mapping, an empty value', () => {
    expect(configError('router:\n  escalate: yes\n').fix).toBe('Expected true or false (YAML reads yes, no, on and off as text; write true or false)');
    expect(configError('router:\n  sensitive-paths: src/payments/**\n').fix).toBe('Expected a list (- item lines, or [a, b]) (write ["src/payments/**"])');
    expect(configError('router: local-only\n').message).toBe(
      '.aqe/config.yml:1:9: router: found the text "local-only". Expected a mapping (key: value lines).'
    );
    expect(configError('router:\n  mode:\n').message).toBe(
      '.aqe/config.yml:2:8: router.mode: found nothing (an empty value). Allowed values: local-only, cloud-only, hybrid-auto, hybrid-prefer-local.'
    );
    expect(configError('cloud:\n  anthropic:\n    model: ""\n').message).toBe(
      '.aqe/config.yml:3:12: cloud.anthropic.model: is empty. Give a value, or remove the key.'
    );
    expect(configError('router:\n  sensitive-paths: []\n  rules:\n    - { name: a, paths: [], route: local }\n').keyPath).toBe('router.rules[0].paths');
  });

  it('a price without all four rates says which rates a price needs', () => {
    const e = configError('cost:\n  prices:\n    my-model: { input: 3, output: 15 }\n');
    expect(e.keyPath).toBe('cost.prices.my-model.cache-write');
    expect(e.problem).toBe('is missing');
    expect(e.fix).toContain('A price needs input, output, cache-write and cache-read, in USD per million tokens');
    expect(configError('cost:\n  prices:\n    my-model: { input: -3, output: 15, cache-write: 1, cache-read: 1 }\n').keyPath).toBe(
      'cost.prices.my-model.input'
    );
  });

  it('quotes a long or odd value short, with control characters escaped', () => {
    const e = configError(`router:\n  mode: "${'x'.repeat(80)}\\n::error::boom"\n`);
    expect(e.problem).toBe(`found the text "${'x'.repeat(40)}…"`);
    expect(e.message).not.toContain('\n');
  });
});

describe('readAqeConfig: API keys', () => {
  it('refuses a key in the file, names the input to use instead and never repeats the key', () => {
    const e = configError('cloud:\n  provider: anthropic\n  anthropic:\n    api-key: sk-live-0123456789\n');
    expect(e.keyPath).toBe('cloud.anthropic.api-key');
    expect(e.position).toEqual({ line: 4, column: 5 });
    expect(e.problem).toBe('API keys are never read from this file: anyone who can read the repository can read them');
    expect(e.fix).toBe(
      'Delete it from the file (and revoke the key: it stays in the git history), store it as an encrypted secret and pass it with the anthropic-api-key input: `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}`'
    );
    expect(e.message).not.toContain('sk-live');
  });

  it('names shared-server-api-key for the shared server, and catches other spellings', () => {
    expect(configError('cloud:\n  shared-server:\n    url: http://gpu-box:8080\n    api-key: abc\n').fix).toContain('shared-server-api-key input');
    expect(configError('anthropic-api-key: x\n').keyPath).toBe('anthropic-api-key');
    expect(configError('cloud:\n  apiKey: x\n').keyPath).toBe('cloud.apiKey');
    expect(configError('cloud:\n  token: x\n').keyPath).toBe('cloud.token');
  });

  it('refuses a value that looks like an Anthropic key wherever it is, without repeating it', () => {
    const e = configError('cloud:\n  anthropic:\n    model: sk-ant-api03-abcdefghijklmnop\n');
    expect(e.keyPath).toBe('cloud.anthropic.model');
    expect(e.problem).toBe('the value looks like an API key');
    expect(e.message).not.toContain('abcdefghijklmnop');
  });

  it('refuses a password in a shared server address, without repeating it', () => {
    const e = configError('cloud:\n  shared-server:\n    url: http://team:hunter2@gpu-box:8080/v1\n');
    expect(e.keyPath).toBe('cloud.shared-server.url');
    expect(e.problem).toBe('the address holds a user name or password, which anyone who can read the repository can read');
    expect(e.message).not.toContain('hunter2');
  });
});

describe('readAqeConfig: addresses and globs', () => {
  it('refuses an address that is not http(s)', () => {
    expect(configError('cloud:\n  anthropic:\n    base-url: ftp://example.com\n').message).toBe(
      '.aqe/config.yml:3:15: cloud.anthropic.base-url: "ftp:" is not http: or https:. Give an http:// or https:// address, e.g. http://gpu-box:8080.'
    );
    expect(configError('cloud:\n  shared-server:\n    url: gpu-box\n').problem).toBe('"gpu-box" is not a URL');
  });

  it('refuses globs that could never match a repo-relative path, or are not valid', () => {
    const glob = (g: string) => configError(`router:\n  sensitive-paths: [ok/**, ${JSON.stringify(g)}]\n`);
    expect(glob('src/**/*.{ts').message).toMatch(
      /^\.aqe\/config\.yml:2:\d+: router\.sensitive-paths\[1\]: "src\/\*\*\/\*\.\{ts" is not a valid glob \(Missing closing: "\}".*\)\. Close every bracket/
    );
    expect(glob('/src/payments/**').fix).toBe('Drop the leading /: "src/payments/**"');
    expect(glob('src\\payments\\**').problem).toBe('"src\\\\payments\\\\**" holds a backslash');
    expect(glob('!src/public/**').problem).toContain('is a negation');
    expect(glob('../other/**').problem).toContain('climbs out');
    expect(glob('').problem).toBe('a glob is empty');
    const rule = configError('router:\n  rules:\n    - { name: vendor, paths: [vendor/**, "[abc"], route: local }\n');
    expect(rule.keyPath).toBe('router.rules[0].paths[1]');
  });
});

describe('readAqeConfig: rules', () => {
  it('refuses a name used twice', () => {
    const e = configError(
      'router:\n  rules:\n    - { name: budget, priority: 10 }\n    - { name: vendor, paths: [v/**], route: local }\n    - { name: budget, enabled: false }\n'
    );
    expect(e.message).toBe(
      '.aqe/config.yml:5:15: router.rules[2].name: "budget" is already the name of router.rules[0]. Give each rule its own name, and set a built-in rule once.'
    );
  });

  it('refuses a path rule without paths or without route, and a rule without a name', () => {
    const noPaths = configError('router:\n  rules:\n    - { name: vendor, route: local }\n');
    expect(noPaths.keyPath).toBe('router.rules[0]');
    expect(noPaths.problem).toBe('the path rule "vendor" has no paths (a path rule needs name, paths and route)');
    expect(noPaths.fix).toBe(
      'Add paths: ["vendor/**"] (globs of the files it routes), or, to change a built-in rule, use its name: privacy, sensitive-paths, budget, mode, local-unavailable, complexity, default'
    );
    expect(configError('router:\n  rules:\n    - { name: vendor, paths: [vendor/**] }\n').problem).toBe(
      'the path rule "vendor" has no route (a path rule needs name, paths and route)'
    );
    const noName = configError('router:\n  rules:\n    - { paths: [vendor/**], route: local }\n');
    expect(noName.keyPath).toBe('router.rules[0].name');
    expect(noName.problem).toBe('is missing');
    expect(noName.fix).toBe('Give every rule a name: a built-in one to reorder or disable it, or your own for a path rule');
    expect(configError('router:\n  rules:\n    - { name: "my rule", paths: [v/**], route: local }\n').problem).toBe('"my rule" is not a rule name');
  });

  it('refuses paths or route on a built-in rule', () => {
    const e = configError('router:\n  rules:\n    - { name: complexity, paths: [src/**], route: cloud }\n');
    expect(e.keyPath).toBe('router.rules[0].paths');
    expect(e.problem).toBe('complexity is a built-in rule, which takes only priority and enabled');
    expect(e.fix).toContain('give your rule a name of its own (e.g. complexity-paths)');
  });

  it('refuses to disable privacy, sensitive-paths, mode and default, saying why', () => {
    const disable = (name: string) => configError(`router:\n  rules:\n    - { name: ${name}, enabled: false }\n`);
    expect(disable('privacy').message).toBe(
      '.aqe/config.yml:3:33: router.rules[0].enabled: the privacy rule cannot be disabled: it is what keeps every task on the runner under privacy: strict (to allow the cloud, set privacy to balanced or off instead). Remove enabled: false.'
    );
    expect(disable('sensitive-paths').problem).toContain('it is what keeps the files under sensitive-paths on the runner');
    expect(disable('mode').problem).toContain('router-mode local-only and cloud-only');
    expect(disable('default').problem).toContain('it decides the tasks no other rule does');
    for (const name of ['budget', 'local-unavailable', 'complexity']) {
      expect(read(`router:\n  rules:\n    - { name: ${name}, enabled: false }\n`).router.builtInRules[name as 'budget'].enabled).toBe(false);
    }
  });

  it('refuses an order in which a rule that can pick the cloud is tried before sensitive-paths or privacy', () => {
    const cloudFirst = configError('router:\n  rules:\n    - { name: generated, paths: [gen/**], route: cloud, priority: 95 }\n');
    expect(cloudFirst.message).toBe(
      '.aqe/config.yml:3:67: router.rules[0].priority: generated (priority 95) could be tried before sensitive-paths (priority 90) and send files under sensitive-paths to the cloud. Give every rule that can pick the cloud (cloud path rules, mode, local-unavailable, complexity) a priority below 90.'
    );
    expect(configError('router:\n  rules:\n    - { name: complexity, priority: 90 }\n').problem).toBe(
      'complexity (priority 90) could be tried before sensitive-paths (priority 90) and send files under sensitive-paths to the cloud'
    );
    expect(configError('router:\n  rules:\n    - { name: local-unavailable, priority: 100 }\n').problem).toBe(
      'local-unavailable (priority 100) could be tried before privacy (priority 100) and send code to the cloud'
    );
    // Lowering the guard is the same mistake, pointed at where it was made.
    const lowered = configError('router:\n  rules:\n    - { name: budget, priority: 10 }\n    - { name: sensitive-paths, priority: 40 }\n');
    expect(lowered.keyPath).toBe('router.rules[1].priority');
    expect(lowered.problem).toBe('mode (priority 70) could be tried before sensitive-paths (priority 40) and send files under sensitive-paths to the cloud');
    expect(configError('router:\n  rules:\n    - { name: privacy, priority: 65 }\n').problem).toBe(
      'mode (priority 70) could be tried before privacy (priority 65) and send code to the cloud'
    );
  });

  it('allows local path rules anywhere, and cloud ones below the guards', () => {
    const rules = read(
      'router:\n  rules:\n    - { name: vendor, paths: [vendor/**], route: local, priority: 1000 }\n    - { name: gen, paths: [gen/**], route: cloud, priority: 89 }\n    - { name: mode, enabled: true, priority: 20 }\n'
    ).router;
    expect(rules.pathRules.map((r) => r.priority)).toEqual([1000, 89]);
    expect(rules.builtInRules.mode).toEqual({ priority: 20, enabled: true });
    // A disabled rule cannot pick anything, wherever it stands.
    expect(read('router:\n  rules:\n    - { name: complexity, priority: 99, enabled: false }\n').router.builtInRules.complexity).toEqual({
      priority: 99,
      enabled: false
    });
  });

  it('refuses a priority out of range', () => {
    expect(configError('router:\n  rules:\n    - { name: budget, priority: 1001 }\n').message).toBe(
      '.aqe/config.yml:3:33: router.rules[0].priority: found 1001, which is out of range. Give a number from 0 to 1000.'
    );
  });
});

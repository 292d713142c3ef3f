import { describe, expect, it } from '@jest/globals';
import path from 'node:path';

import { InputError } from '../../src/core/InputError.js';
import { parseBoolean, parseInteger } from '../../src/config/inputValues.js';
import { INPUT_DEFAULTS, parseRunOptions, type RawInputs } from '../../src/config/parseRunOptions.js';
import { DELIVERY_MODES, GPU_OPTIONS } from '../../src/core/RunOptions.js';
import { routingOptions } from '../support/routingOptions.js';
import { thrown } from '../support/thrown.js';

const ctx = { cwd: '/work/repo', tempDir: '/tmp/runner-temp' };

function parse(raw: RawInputs) {
  return parseRunOptions(raw, ctx);
}

const inputError = (fn: () => unknown): InputError => thrown(InputError, fn);

describe('InputError', () => {
  it('names the input, the problem and the fix in its message', () => {
    const e = new InputError('gpu', 'it is broken', 'Fix it');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('InputError');
    expect(e.input).toBe('gpu');
    expect(e.problem).toBe('it is broken');
    expect(e.fix).toBe('Fix it');
    expect(e.message).toBe('Input "gpu": it is broken. Fix it.');
  });
});

describe('parseRunOptions defaults', () => {
  it('fills every option from the defaults when only a model is given', () => {
    const o = parse({ model: 'models/m.gguf' });
    expect(o).toEqual({
      repoDir: '/work/repo',
      model: '/work/repo/models/m.gguf',
      modelSha256: '',
      modelCache: 'auto',
      gpu: 'auto',
      maxParallel: 0,
      contextSize: 8192,
      maxTokens: 2048,
      threads: 0,
      testTimeoutMs: 120_000,
      repeatRuns: 5,
      maxRepairs: 1,
      testWorkers: 0,
      reportPath: path.join('/tmp/runner-temp', 'aqe-report.json'),
      llamaRuntime: '',
      comment: true,
      reportArtifact: true,
      baseRef: '',
      replay: null,
      onAccepted: 'write',
      allowPullRequestTarget: false,
      sandbox: 'auto',
      shard: null,
      coverageGates: { failBelow: null, failOnDrop: false },
      otlp: null,
      testEnv: [],
      // No key and no shared server: every task runs locally.
      routing: routingOptions(),
      privacy: { allowedEndpoints: [], requireIsolation: false, auditLog: path.join(ctx.tempDir, 'aqe-audit.jsonl') }
    });
  });

  it('treats blank and whitespace-only values as "use the default"', () => {
    const o = parse({ model: 'demo', gpu: '   ', 'max-parallel': '', 'context-size': ' ', comment: '', 'report-path': '  ' });
    expect(o.gpu).toBe('auto');
    expect(o.maxParallel).toBe(0);
    expect(o.contextSize).toBe(8192);
    expect(o.comment).toBe(true);
    expect(o.reportPath).toBe(path.join('/tmp/runner-temp', 'aqe-report.json'));
  });

  it('reads max-parallel auto (any case) as 0, chosen later from the hardware', () => {
    expect(parse({ model: 'demo', 'max-parallel': 'auto' }).maxParallel).toBe(0);
    expect(parse({ model: 'demo', 'max-parallel': 'AUTO' }).maxParallel).toBe(0);
  });

  it('reads test-workers auto (any case) as 0, and a number as the bound on every test run', () => {
    expect(parse({ model: 'demo', 'test-workers': 'Auto' }).testWorkers).toBe(0);
    expect(parse({ model: 'demo', 'test-workers': ' 3 ' }).testWorkers).toBe(3);
  });

  it('trims surrounding whitespace from given values', () => {
    const o = parse({ model: '  demo  ', 'max-parallel': ' 4 ', gpu: ' CPU ' });
    expect(o.model).toBe('demo');
    expect(o.maxParallel).toBe(4);
    expect(o.gpu).toBe('cpu');
  });

  it('exposes the documented defaults', () => {
    expect(INPUT_DEFAULTS['max-parallel']).toBe('auto');
    expect(INPUT_DEFAULTS['test-timeout']).toBe('120');
    expect(GPU_OPTIONS).toEqual(['auto', 'cuda', 'vulkan', 'metal', 'cpu']);
  });
});

describe('parseRunOptions paths', () => {
  it('resolves relative paths against ctx.cwd', () => {
    const o = parse({
      model: '../models/qwen.gguf',
      'working-directory': 'packages/app',
      'report-path': 'out/report.json',
      'llama-runtime': '.cache/llama'
    });
    expect(o.repoDir).toBe('/work/repo/packages/app');
    expect(o.model).toBe('/work/models/qwen.gguf');
    expect(o.reportPath).toBe('/work/repo/out/report.json');
    expect(o.llamaRuntime).toBe('/work/repo/.cache/llama');
  });

  it('keeps absolute paths as they are', () => {
    const o = parse({ model: '/opt/models/m.gguf', 'working-directory': '/src/project', 'report-path': '/var/r.json', 'llama-runtime': '/opt/llama' });
    expect(o.repoDir).toBe('/src/project');
    expect(o.model).toBe('/opt/models/m.gguf');
    expect(o.reportPath).toBe('/var/r.json');
    expect(o.llamaRuntime).toBe('/opt/llama');
  });

  it('resolves the model against ctx.cwd, not against the working-directory', () => {
    const o = parse({ model: 'm.gguf', 'working-directory': 'sub' });
    expect(o.repoDir).toBe('/work/repo/sub');
    expect(o.model).toBe('/work/repo/m.gguf');
  });

  it('keeps the literal model name "demo" instead of resolving it as a path', () => {
    expect(parse({ model: 'demo' }).model).toBe('demo');
  });

  it('puts the default report under ctx.tempDir', () => {
    const o = parseRunOptions({ model: 'demo' }, { cwd: '/a', tempDir: '/b/tmp' });
    expect(o.reportPath).toBe('/b/tmp/aqe-report.json');
  });
});

describe('parseRunOptions model validation', () => {
  it.each([[{}], [{ model: '' }], [{ model: '   ' }]])('leaves an empty model (%j) empty: chosen by hardware when the model loads', (raw) => {
    expect(parse(raw as RawInputs).model).toBe('');
  });

  it.each([
    'hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q5_K_M',
    'HF:org/model-GGUF/model-Q8_0.gguf',
    'hf:org/model-GGUF',
    'https://example.com/models/m.gguf',
    'http://127.0.0.1:8080/m.gguf'
  ])('keeps the remote model %s as given', (model) => {
    expect(parse({ model }).model).toBe(model);
  });

  it.each([
    ['hf:owner', /does not name a Hugging Face repository as <owner>\/<repo>/],
    ['http://example.com/m.gguf', /is a plain http:\/\/ URL/],
    ['s3://bucket/m.gguf', /uses the unknown scheme "s3:"/],
    ['https://example.com/models/', /does not name a \.gguf file/]
  ])('rejects the malformed model %s, naming the input', (model, message) => {
    const e = inputError(() => parse({ model }));
    expect(e.input).toBe('model');
    expect(e.message).toMatch(message);
  });

  it('accepts a local file whose name merely contains "hf"', () => {
    expect(parse({ model: 'models/hf-model.gguf' }).model).toBe('/work/repo/models/hf-model.gguf');
  });
});

describe('parseRunOptions model-sha256 and model-cache', () => {
  const sha = 'ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789';

  it('reads a sha256 in either case as lowercase hex', () => {
    expect(parse({ model: 'hf:o/r:Q4_K_M', 'model-sha256': ` ${sha} ` }).modelSha256).toBe(sha.toLowerCase());
    expect(parse({ model: 'm.gguf' }).modelSha256).toBe('');
  });

  it.each(['abc', `${sha}0`, `${sha.slice(0, 63)}g`, `sha256:${sha}`])('rejects %s as not a sha256', (text) => {
    const e = inputError(() => parse({ model: 'm.gguf', 'model-sha256': text }));
    expect(e.input).toBe('model-sha256');
    expect(e.message).toMatch(/is not a sha256\. Give the 64 hex digits/);
  });

  it('rejects a sha256 for the demo model or for a model chosen by hardware', () => {
    expect(inputError(() => parse({ model: 'demo', 'model-sha256': sha })).message).toMatch(/^Input "model-sha256": it cannot pin the demo model/);
    expect(inputError(() => parse({ 'model-sha256': sha })).message).toMatch(/^Input "model-sha256": it is set but model is empty/);
    expect(parse({ 'model-sha256': sha, 'replay-file': 'answers.jsonl' }).modelSha256).toBe(sha.toLowerCase());
  });

  it.each(['none', 'actions', 'tool-cache', 'auto', 'AUTO'])('accepts the model cache %s', (cache) => {
    expect(parse({ model: 'demo', 'model-cache': cache }).modelCache).toBe(cache.toLowerCase());
  });

  it('defaults model-cache to auto and rejects unknown caches', () => {
    expect(INPUT_DEFAULTS['model-cache']).toBe('auto');
    const e = inputError(() => parse({ model: 'demo', 'model-cache': 'disk' }));
    expect(e.message).toBe('Input "model-cache": "disk" is not a model cache option. Use one of: none, actions, tool-cache, auto.');
  });
});

describe('parseRunOptions allow-pull-request-target', () => {
  it('is off unless set, and reads the usual booleans', () => {
    expect(INPUT_DEFAULTS['allow-pull-request-target']).toBe('false');
    expect(parse({ model: 'demo' }).allowPullRequestTarget).toBe(false);
    expect(parse({ model: 'demo', 'allow-pull-request-target': 'TRUE' }).allowPullRequestTarget).toBe(true);
    expect(parse({ model: 'demo', 'allow-pull-request-target': 'no' }).allowPullRequestTarget).toBe(false);
  });

  it('names the input when the value is not a boolean', () => {
    const e = inputError(() => parse({ model: 'demo', 'allow-pull-request-target': 'sometimes' }));
    expect(e.message).toBe('Input "allow-pull-request-target": "sometimes" is not a boolean. Use true or false.');
  });
});

describe('parseRunOptions gpu', () => {
  it.each(GPU_OPTIONS.map((g) => [g]))('accepts %s', (gpu) => {
    expect(parse({ model: 'demo', gpu }).gpu).toBe(gpu);
  });

  it('is case-insensitive', () => {
    expect(parse({ model: 'demo', gpu: 'CUDA' }).gpu).toBe('cuda');
    expect(parse({ model: 'demo', gpu: 'Metal' }).gpu).toBe('metal');
  });

  it('rejects an unknown back end and lists the valid ones', () => {
    const e = inputError(() => parse({ model: 'demo', gpu: 'rocm' }));
    expect(e.input).toBe('gpu');
    expect(e.message).toBe('Input "gpu": "rocm" is not a known GPU option. Use one of: auto, cuda, vulkan, metal, cpu.');
  });
});

describe('parseRunOptions on-accepted', () => {
  it.each(DELIVERY_MODES.map((m) => [m]))('accepts %s', (mode) => {
    expect(parse({ model: 'demo', 'on-accepted': mode }).onAccepted).toBe(mode);
  });

  it('is case-insensitive and defaults to write', () => {
    expect(parse({ model: 'demo', 'on-accepted': ' Commit ' }).onAccepted).toBe('commit');
    expect(parse({ model: 'demo', 'on-accepted': '' }).onAccepted).toBe('write');
    expect(INPUT_DEFAULTS['on-accepted']).toBe('write');
  });

  it.each(['push', 'upload', 'true'])('rejects %s, naming the input and the three modes', (mode) => {
    const e = inputError(() => parse({ model: 'demo', 'on-accepted': mode }));
    expect(e.input).toBe('on-accepted');
    expect(e.message).toMatch(new RegExp(`^Input "on-accepted": "${mode}" is not a delivery mode\\. Use write .*, commit .*contents: write.* or artifact `));
  });
});

describe('parseRunOptions numbers', () => {
  it('reads numeric inputs and converts test-timeout seconds to milliseconds', () => {
    const o = parse({ model: 'demo', 'max-parallel': '8', 'context-size': '4096', 'max-tokens': '512', threads: '3', 'test-timeout': '30' });
    expect(o.maxParallel).toBe(8);
    expect(o.contextSize).toBe(4096);
    expect(o.maxTokens).toBe(512);
    expect(o.threads).toBe(3);
    expect(o.testTimeoutMs).toBe(30_000);
  });

  it.each([
    ['max-parallel', '1', 1],
    ['max-parallel', '64', 64],
    ['context-size', '512', 512],
    ['context-size', '1048576', 1_048_576],
    ['max-tokens', '16', 16],
    ['max-tokens', '131072', 131_072],
    ['threads', '0', 0],
    ['threads', '1024', 1024],
    ['repeat-runs', '0', 0],
    ['repeat-runs', '50', 50],
    ['max-repairs', '0', 0],
    ['max-repairs', '10', 10],
    ['test-workers', '1', 1],
    ['test-workers', '256', 256]
  ] as const)('accepts the boundary %s=%s', (input, text, expected) => {
    const o = parse({ model: 'demo', [input]: text });
    const key = {
      'max-parallel': 'maxParallel',
      'context-size': 'contextSize',
      'max-tokens': 'maxTokens',
      threads: 'threads',
      'repeat-runs': 'repeatRuns',
      'max-repairs': 'maxRepairs',
      'test-workers': 'testWorkers'
    }[input];
    expect(o[key as 'maxParallel']).toBe(expected);
  });

  it('accepts the test-timeout boundaries 1 and 86400 seconds', () => {
    expect(parse({ model: 'demo', 'test-timeout': '1' }).testTimeoutMs).toBe(1000);
    expect(parse({ model: 'demo', 'test-timeout': '86400' }).testTimeoutMs).toBe(86_400_000);
  });

  it.each([
    ['max-parallel', '0', 1, 64],
    ['max-parallel', '65', 1, 64],
    ['context-size', '511', 512, 1_048_576],
    ['context-size', '1048577', 512, 1_048_576],
    ['max-tokens', '15', 16, 131_072],
    ['threads', '1025', 0, 1024],
    ['test-timeout', '0', 1, 86_400],
    ['test-timeout', '86401', 1, 86_400],
    ['repeat-runs', '51', 0, 50],
    ['max-repairs', '11', 0, 10],
    ['test-workers', '0', 1, 256],
    ['test-workers', '257', 1, 256]
  ] as const)('rejects out-of-range %s=%s naming the input and the allowed range', (input, text, min, max) => {
    const e = inputError(() => parse({ model: 'demo', [input]: text }));
    expect(e.input).toBe(input);
    expect(e.message).toBe(`Input "${input}": ${Number(text)} is out of range. Give a number from ${min} to ${max}.`);
  });

  it.each([
    ['max-parallel', 'two'],
    ['max-parallel', '-1'],
    ['max-parallel', '2.5'],
    ['context-size', '8k'],
    ['context-size', '1e4'],
    ['test-timeout', '60s'],
    ['test-timeout', '0x10'],
    ['threads', '+2']
  ] as const)('rejects non-numeric %s=%s naming the input and the allowed range', (input, text) => {
    const e = inputError(() => parse({ model: 'demo', [input]: text }));
    expect(e.input).toBe(input);
    expect(e.message).toMatch(new RegExp(`^Input "${input}": "${text.replace(/[+.]/g, '\\$&')}" is not a whole number\\. Give a number from \\d+ to \\d+\\.$`));
  });

  it('parseInteger reports the range it was given', () => {
    expect(parseInteger('x', '7', 5, 9)).toBe(7);
    expect(parseInteger('x', '007', 5, 9)).toBe(7);
    expect(() => parseInteger('x', '10', 5, 9)).toThrow('Input "x": 10 is out of range. Give a number from 5 to 9');
    expect(() => parseInteger('x', '', 5, 9)).toThrow('Input "x": "" is not a whole number. Give a number from 5 to 9');
  });

  it('rejects a huge digit string as out of range rather than overflowing', () => {
    expect(() => parseInteger('max-parallel', '99999999999999999999999', 1, 64)).toThrow(/out of range/);
  });
});

describe('parseRunOptions booleans', () => {
  it.each(['true', 'TRUE', 'yes', 'Yes', '1', 'on', 'ON'])('reads %s as true', (text) => {
    expect(parse({ model: 'demo', comment: text }).comment).toBe(true);
    expect(parseBoolean('comment', text)).toBe(true);
  });

  it.each(['false', 'False', 'no', 'NO', '0', 'off', 'Off'])('reads %s as false', (text) => {
    expect(parse({ model: 'demo', comment: text }).comment).toBe(false);
    expect(parseBoolean('comment', text)).toBe(false);
  });

  it.each(['maybe', 'y', '2', 'truthy'])('rejects %s naming the input', (text) => {
    const e = inputError(() => parse({ model: 'demo', comment: text }));
    expect(e.input).toBe('comment');
    expect(e.message).toBe(`Input "comment": "${text}" is not a boolean. Use true or false.`);
  });

  it('reads report-artifact, and names it for a value that is not a boolean', () => {
    expect(parse({ model: 'demo', 'report-artifact': 'false' }).reportArtifact).toBe(false);
    const e = inputError(() => parse({ model: 'demo', 'report-artifact': 'upload' }));
    expect(e.input).toBe('report-artifact');
    expect(e.message).toBe('Input "report-artifact": "upload" is not a boolean. Use true or false.');
  });
});

describe('parseRunOptions sandbox and test-env', () => {
  it.each(['auto', 'require', 'off'] as const)('accepts sandbox %s, in any case', (mode) => {
    expect(parse({ model: 'demo', sandbox: mode.toUpperCase() }).sandbox).toBe(mode);
  });

  it('defaults to auto, and names the input and the modes for anything else', () => {
    expect(parse({ model: 'demo' }).sandbox).toBe('auto');
    const e = inputError(() => parse({ model: 'demo', sandbox: 'strict' }));
    expect(e.input).toBe('sandbox');
    expect(e.message).toMatch(/^Input "sandbox": "strict" is not a sandbox option\. Use auto .*, require .* or off /);
  });

  it('reads test-env as names separated by commas, spaces or new lines, each once', () => {
    expect(parse({ model: 'demo' }).testEnv).toEqual([]);
    expect(parse({ model: 'demo', 'test-env': 'DATABASE_URL, REDIS_URL\nTZ_NAME  DATABASE_URL' }).testEnv).toEqual(['DATABASE_URL', 'REDIS_URL', 'TZ_NAME']);
  });

  it('refuses anything in test-env that is not a variable name, without echoing a long value', () => {
    const e = inputError(() => parse({ model: 'demo', 'test-env': 'DATABASE_URL=postgres://user:secret-password-that-is-long@db/x' }));
    expect(e.input).toBe('test-env');
    expect(e.message).toMatch(/is not a variable name\. List the names of variables/);
    expect(e.message).not.toContain('db/x');
    expect(() => parse({ model: 'demo', 'test-env': '1ABC' })).toThrow(/"1ABC" is not a variable name/);
  });
});

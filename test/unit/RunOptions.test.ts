import { describe, expect, it } from '@jest/globals';
import path from 'node:path';

import { InputError } from '../../src/config/InputError.js';
import { GPU_OPTIONS, INPUT_DEFAULTS, parseBoolean, parseInteger, parseRunOptions, type RawInputs } from '../../src/config/RunOptions.js';

const ctx = { cwd: '/work/repo', tempDir: '/tmp/runner-temp' };

function parse(raw: RawInputs) {
  return parseRunOptions(raw, ctx);
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

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
      gpu: 'auto',
      maxParallel: 2,
      contextSize: 8192,
      maxTokens: 2048,
      threads: 0,
      testTimeoutMs: 120_000,
      reportPath: path.join('/tmp/runner-temp', 'aqe-report.json'),
      llamaRuntime: '',
      comment: true,
      baseRef: '',
      replay: null
    });
  });

  it('treats blank and whitespace-only values as "use the default"', () => {
    const o = parse({ model: 'demo', gpu: '   ', 'max-parallel': '', 'context-size': ' ', comment: '', 'report-path': '  ' });
    expect(o.gpu).toBe('auto');
    expect(o.maxParallel).toBe(2);
    expect(o.contextSize).toBe(8192);
    expect(o.comment).toBe(true);
    expect(o.reportPath).toBe(path.join('/tmp/runner-temp', 'aqe-report.json'));
  });

  it('trims surrounding whitespace from given values', () => {
    const o = parse({ model: '  demo  ', 'max-parallel': ' 4 ', gpu: ' CPU ' });
    expect(o.model).toBe('demo');
    expect(o.maxParallel).toBe(4);
    expect(o.gpu).toBe('cpu');
  });

  it('exposes the documented defaults', () => {
    expect(INPUT_DEFAULTS['max-parallel']).toBe('2');
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
  it.each([[{}], [{ model: '' }], [{ model: '   ' }]])('rejects a missing model (%j), naming the input', (raw) => {
    const e = inputError(() => parse(raw as RawInputs));
    expect(e.input).toBe('model');
    expect(e.message).toMatch(/^Input "model": no model was given\./);
    expect(e.message).toContain('"demo"');
  });

  it.each(['hf:Qwen/Qwen2.5-Coder-1.5B-GGUF', 'HF:org/model', 'https://example.com/m.gguf', 'http://example.com/m.gguf', 'HTTPS://x/y.gguf'])(
    'rejects the remote model %s',
    (model) => {
      const e = inputError(() => parse({ model }));
      expect(e.input).toBe('model');
      expect(e.message).toContain(`"${model}" is a remote model`);
      expect(e.message).toContain('local files only');
      expect(e.message).toContain('Download the .gguf file');
    }
  );

  it('accepts a local file whose name merely contains "hf"', () => {
    expect(parse({ model: 'models/hf-model.gguf' }).model).toBe('/work/repo/models/hf-model.gguf');
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
    ['threads', '1024', 1024]
  ] as const)('accepts the boundary %s=%s', (input, text, expected) => {
    const o = parse({ model: 'demo', [input]: text });
    const key = { 'max-parallel': 'maxParallel', 'context-size': 'contextSize', 'max-tokens': 'maxTokens', threads: 'threads' }[input];
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
    ['test-timeout', '86401', 1, 86_400]
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
});

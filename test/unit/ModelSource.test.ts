import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/core/InputError.js';
import { parseModelSource, sourceId } from '../../src/inference/model/ModelSource.js';

const cwd = '/work/repo';

function inputError(model: string): InputError {
  try {
    parseModelSource(model, cwd);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('model');
    return error as InputError;
  }
  throw new Error(`expected "${model}" to be refused`);
}

describe('parseModelSource', () => {
  it.each([
    ['models/m.gguf', '/work/repo/models/m.gguf'],
    ['../m.gguf', '/work/m.gguf'],
    ['/opt/models/m.gguf', '/opt/models/m.gguf'],
    ['models/hf-model.gguf', '/work/repo/models/hf-model.gguf'],
    ['file:///opt/models/m%20x.gguf', '/opt/models/m x.gguf']
  ])('reads %s as the local file %s', (model, expected) => {
    expect(parseModelSource(model, cwd)).toEqual({ kind: 'local', path: expected });
  });

  it('reads a Windows drive letter as a path, not a scheme', () => {
    expect(parseModelSource('C:\\models\\m.gguf', cwd).kind).toBe('local');
  });

  it.each([
    ['https://example.com/models/qwen-Q4_K_M.gguf', 'https://example.com/models/qwen-Q4_K_M.gguf', 'qwen-Q4_K_M.gguf'],
    ['HTTPS://Example.com/a/b%20c.gguf?download=true', 'https://example.com/a/b%20c.gguf?download=true', 'b c.gguf'],
    ['http://127.0.0.1:8080/m.gguf', 'http://127.0.0.1:8080/m.gguf', 'm.gguf'],
    ['http://localhost/m.gguf', 'http://localhost/m.gguf', 'm.gguf']
  ])('reads %s as a URL', (model, url, fileName) => {
    expect(parseModelSource(model, cwd)).toEqual({ kind: 'url', url, fileName });
  });

  it.each([
    ['hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q5_K_M', { kind: 'hf', repo: 'bartowski/Qwen2.5-Coder-7B-Instruct-GGUF', quant: 'Q5_K_M' }],
    ['HF:org/model-GGUF:q4_k_m', { kind: 'hf', repo: 'org/model-GGUF', quant: 'q4_k_m' }],
    ['hf:org/model-GGUF', { kind: 'hf', repo: 'org/model-GGUF' }],
    ['hf:org/model-GGUF/model-Q8_0.gguf', { kind: 'hf', repo: 'org/model-GGUF', file: 'model-Q8_0.gguf' }],
    ['hf:org/model-GGUF/Q8_0/model-Q8_0.gguf', { kind: 'hf', repo: 'org/model-GGUF', file: 'Q8_0/model-Q8_0.gguf' }]
  ])('reads %s as a Hugging Face model', (model, expected) => {
    expect(parseModelSource(model, cwd)).toEqual(expected);
  });

  it('refuses plain http to another host, saying https is needed', () => {
    expect(inputError('http://example.com/m.gguf').message).toBe(
      'Input "model": "http://example.com/m.gguf" is a plain http:// URL, which anyone on the network path can alter. Use the https:// address of the file (plain http is only accepted for 127.0.0.1 and localhost).'
    );
  });

  it('refuses a URL that does not name a .gguf file', () => {
    expect(inputError('https://huggingface.co/bartowski/Qwen2.5-Coder-7B-Instruct-GGUF').message).toMatch(
      /does not name a \.gguf file\. Give the address of the \.gguf file itself/
    );
  });

  it.each(['hf:owner', 'hf:owner/', 'hf:/repo', 'hf:', 'hf:own er/repo'])('refuses %s as not naming <owner>/<repo>', (model) => {
    expect(inputError(model).message).toMatch(/does not name a Hugging Face repository as <owner>\/<repo>\. Use a local path .* hf:<owner>\/<repo>:<quant>/);
  });

  it('refuses a file and a quantization together', () => {
    expect(inputError('hf:o/r/m.gguf:Q4_K_M').message).toMatch(/gives both a file and a quantization/);
  });

  it('refuses an hf: file that is not .gguf or leaves the repository', () => {
    expect(inputError('hf:o/r/config.json').message).toMatch(/"config\.json" in "hf:o\/r\/config\.json" is not the path of a \.gguf file/);
    expect(inputError('hf:o/r/../x.gguf').message).toMatch(/is not the path of a \.gguf file/);
  });

  it('refuses an empty or odd quantization', () => {
    expect(inputError('hf:o/r:').message).toMatch(/"" in "hf:o\/r:" is not a quantization name/);
    expect(inputError('hf:o/r:Q4 K').message).toMatch(/is not a quantization name/);
  });

  it.each(['s3://bucket/m.gguf', 'huggingface:o/r:Q4_K_M', 'ollama:qwen2.5-coder'])('refuses the unknown scheme of %s', (model) => {
    expect(inputError(model).message).toMatch(/uses the unknown scheme "\w+:"/);
  });
});

describe('sourceId', () => {
  it('writes equal sources the same way, whatever the case of the quantization', () => {
    expect(sourceId({ kind: 'hf', repo: 'o/r', quant: 'q4_k_m' })).toBe('hf:o/r:Q4_K_M');
    expect(sourceId({ kind: 'hf', repo: 'o/r', quant: 'Q4_K_M' })).toBe('hf:o/r:Q4_K_M');
    expect(sourceId({ kind: 'hf', repo: 'o/r', file: 'a/b.gguf' })).toBe('hf:o/r/a/b.gguf');
    expect(sourceId({ kind: 'hf', repo: 'o/r' })).toBe('hf:o/r');
    expect(sourceId({ kind: 'url', url: 'https://x/m.gguf', fileName: 'm.gguf' })).toBe('https://x/m.gguf');
  });
});

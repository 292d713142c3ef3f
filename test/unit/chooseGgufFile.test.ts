import { describe, expect, it } from '@jest/globals';
import { ModelNotFoundError } from '../../src/inference/errors.js';
import { chooseGgufFile, huggingFaceSettings } from '../../src/inference/model/resolveHuggingFace.js';

/** bartowski's file list for Qwen2.5-Coder-7B-Instruct-GGUF (abridged), plus the usual traps. */
const BARTOWSKI = [
  '.gitattributes',
  'README.md',
  'Qwen2.5-Coder-7B-Instruct-IQ4_XS.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q4_0.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q4_0_4_4.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q4_K_L.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q4_K_S.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q5_K_L.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q5_K_M.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q5_K_S.gguf',
  'Qwen2.5-Coder-7B-Instruct-Q8_0.gguf',
  'Qwen2.5-Coder-7B-Instruct-f16.gguf',
  'Qwen2.5-Coder-7B-Instruct.imatrix'
];

const REPO = 'bartowski/Qwen2.5-Coder-7B-Instruct-GGUF';

describe('chooseGgufFile', () => {
  it.each([
    ['Q5_K_M', 'Qwen2.5-Coder-7B-Instruct-Q5_K_M.gguf'],
    ['q5_k_m', 'Qwen2.5-Coder-7B-Instruct-Q5_K_M.gguf'],
    ['Q4_0', 'Qwen2.5-Coder-7B-Instruct-Q4_0.gguf'],
    ['IQ4_XS', 'Qwen2.5-Coder-7B-Instruct-IQ4_XS.gguf'],
    ['F16', 'Qwen2.5-Coder-7B-Instruct-f16.gguf']
  ])('picks the one file of %s, matching whole words first', (quant, expected) => {
    expect(chooseGgufFile(BARTOWSKI, quant, REPO)).toBe(expected);
  });

  it('falls back to a substring match when no whole word matches', () => {
    expect(chooseGgufFile(['m-Q4_K_Mx.gguf', 'm-Q8_0.gguf'], 'Q4_K_M', 'o/r')).toBe('m-Q4_K_Mx.gguf');
  });

  it('refuses an ambiguous quantization, listing the candidates', () => {
    expect(() => chooseGgufFile(['a/m-Q4_K_M.gguf', 'b/m-Q4_K_M.gguf'], 'Q4_K_M', 'o/r')).toThrow(
      /"Q4_K_M" matches 2 files in o\/r: a\/m-Q4_K_M\.gguf, b\/m-Q4_K_M\.gguf\. Give the file itself/
    );
  });

  it('prefers a single file over a split set of the same quantization', () => {
    expect(chooseGgufFile(['m-Q8_0-00001-of-00002.gguf', 'm-Q8_0-00002-of-00002.gguf', 'm-Q8_0.gguf'], 'Q8_0', 'o/r')).toBe('m-Q8_0.gguf');
  });

  it('refuses a quantization published only as a split set', () => {
    const files = ['qwen-q5_k_m-00001-of-00002.gguf', 'qwen-q5_k_m-00002-of-00002.gguf', 'qwen-q4_k_m.gguf'];
    expect(() => chooseGgufFile(files, 'Q5_K_M', 'Qwen/Qwen2.5-Coder-7B-Instruct-GGUF')).toThrow(ModelNotFoundError);
    expect(() => chooseGgufFile(files, 'Q5_K_M', 'Qwen/Qwen2.5-Coder-7B-Instruct-GGUF')).toThrow(
      /split into 2 files, and split models are not supported yet\. .*llama-gguf-split --merge/
    );
  });

  it('ignores vision projector files', () => {
    expect(chooseGgufFile(['mmproj-model-f16.gguf', 'model-f16.gguf'], 'f16', 'o/r')).toBe('model-f16.gguf');
  });

  it('takes the only model file when no quantization is given, else Q4_K_M', () => {
    expect(chooseGgufFile(['README.md', 'tiny.gguf'], undefined, 'o/r')).toBe('tiny.gguf');
    expect(chooseGgufFile(BARTOWSKI, undefined, REPO)).toBe('Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf');
    expect(() => chooseGgufFile(['m-Q8_0.gguf', 'm-Q6_K.gguf'], undefined, 'o/r')).toThrow(
      /no \.gguf file for the quantization "Q4_K_M" \(used when the model input names none\)\. Its GGUF files: m-Q8_0\.gguf, m-Q6_K\.gguf/
    );
  });

  it('says when a repository has no GGUF files at all', () => {
    expect(() => chooseGgufFile(['config.json', 'model.safetensors'], 'Q4_K_M', 'Qwen/Qwen2.5-Coder-7B-Instruct')).toThrow(
      /Qwen\/Qwen2\.5-Coder-7B-Instruct has no \.gguf files\. Use a repository that publishes GGUF quantizations/
    );
  });
});

describe('huggingFaceSettings', () => {
  it('defaults to huggingface.co without a token', () => {
    expect(huggingFaceSettings({})).toEqual({ endpoint: 'https://huggingface.co' });
  });

  it('takes HF_ENDPOINT (without a trailing slash) and HF_TOKEN', () => {
    expect(huggingFaceSettings({ HF_ENDPOINT: 'https://hf-mirror.example.com/', HF_TOKEN: ' hf_abc ' })).toEqual({
      endpoint: 'https://hf-mirror.example.com',
      token: 'hf_abc'
    });
  });

  it('refuses a plain-http mirror that is not on this machine', () => {
    expect(() => huggingFaceSettings({ HF_ENDPOINT: 'http://mirror.internal' })).toThrow(/HF_ENDPOINT "http:\/\/mirror\.internal" is plain http/);
    expect(huggingFaceSettings({ HF_ENDPOINT: 'http://127.0.0.1:9000' }).endpoint).toBe('http://127.0.0.1:9000');
  });
});

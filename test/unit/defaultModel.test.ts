import { describe, expect, it } from '@jest/globals';
import { chooseDefaultModel, CPU_DEFAULT_MODEL, GPU_DEFAULT_MODEL, type HardwareFacts } from '../../src/inference/model/defaultModel.js';
import { parseModelSource } from '../../src/inference/model/ModelSource.js';

const GiB = 1024 ** 3;
const linux = (over: Partial<HardwareFacts>): HardwareFacts => ({
  gpu: 'auto',
  nvidiaGpus: [],
  platform: 'linux',
  arch: 'x64',
  totalMemoryBytes: 16 * GiB,
  ...over
});
const gpu = (name: string, vramMiB: number) => ({ name, driver: '550.54.15', vramMiB });

describe('chooseDefaultModel', () => {
  it('names well-formed hf: models', () => {
    expect(parseModelSource(GPU_DEFAULT_MODEL, '/')).toEqual({ kind: 'hf', repo: 'bartowski/Qwen2.5-Coder-7B-Instruct-GGUF', quant: 'Q5_K_M' });
    expect(parseModelSource(CPU_DEFAULT_MODEL, '/')).toEqual({ kind: 'hf', repo: 'bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF', quant: 'Q4_K_M' });
  });

  it('takes the 7B model on an NVIDIA GPU with 8 GB or more', () => {
    expect(chooseDefaultModel(linux({ nvidiaGpus: [gpu('NVIDIA L4', 23034)] }))).toEqual({
      model: GPU_DEFAULT_MODEL,
      reason: 'NVIDIA L4 has 22.5 GiB of VRAM, enough for the 7B model'
    });
    // Cards sold as 8 GB report a little less than 8192 MiB.
    expect(chooseDefaultModel(linux({ nvidiaGpus: [gpu('NVIDIA GeForce RTX 4060', 7940)] })).model).toBe(GPU_DEFAULT_MODEL);
  });

  it('judges by the largest GPU when there are several', () => {
    expect(chooseDefaultModel(linux({ nvidiaGpus: [gpu('small', 4096), gpu('NVIDIA T4', 15360)] })).reason).toMatch(/^NVIDIA T4 has 15 GiB/);
  });

  it('takes the 1.5B CPU model with a GPU too small for the 7B one, saying why', () => {
    expect(chooseDefaultModel(linux({ nvidiaGpus: [gpu('NVIDIA GeForce GTX 1650', 4096)] }))).toEqual({
      model: CPU_DEFAULT_MODEL,
      reason: 'the largest GPU has 4 GiB of VRAM, less than the 8 GiB the 7B model needs, so the 1.5B model that runs on CPU cores was chosen'
    });
  });

  it('takes the 1.5B CPU model without any GPU (a standard GitHub-hosted runner)', () => {
    expect(chooseDefaultModel(linux({ totalMemoryBytes: 16 * GiB }))).toEqual({
      model: CPU_DEFAULT_MODEL,
      reason: 'no GPU with 8 GiB of VRAM was found, so the 1.5B model that runs on CPU cores was chosen'
    });
  });

  it('takes the CPU model when gpu is cpu, whatever is installed', () => {
    expect(chooseDefaultModel(linux({ gpu: 'cpu', nvidiaGpus: [gpu('NVIDIA H100 80GB HBM3', 81559)] }))).toEqual({
      model: CPU_DEFAULT_MODEL,
      reason: 'gpu is set to cpu, so the 1.5B model that runs on CPU cores was chosen'
    });
  });

  it('takes the 7B model on Apple Silicon with 16 GiB of unified memory, not on the 7 GiB macOS runners', () => {
    const mac = (bytes: number): HardwareFacts => ({ gpu: 'auto', nvidiaGpus: [], platform: 'darwin', arch: 'arm64', totalMemoryBytes: bytes });
    expect(chooseDefaultModel(mac(16 * GiB)).model).toBe(GPU_DEFAULT_MODEL);
    expect(chooseDefaultModel(mac(7 * GiB)).model).toBe(CPU_DEFAULT_MODEL);
    expect(chooseDefaultModel({ ...mac(32 * GiB), arch: 'x64' }).model).toBe(CPU_DEFAULT_MODEL);
  });
});

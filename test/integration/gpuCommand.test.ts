/**
 * `aqe gpu` on this machine, whatever it has: what it reports is checked against the same facts read directly
 * (the NVIDIA device files, the auto model, max-parallel from a generated GGUF's real KV cache size), and the back
 * end's choice is checked for every kind of machine through chooseBackend.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import { GgufValue, writeGgufFile } from '../../src/gguf/GgufWriter.js';
import { readGgufHeader } from '../../src/gguf/readGgufHeader.js';
import { readCpuFacts, usableCpus } from '../../src/inference/cpuThreads.js';
import { hasNvidiaDevice } from '../../src/inference/detectGpu.js';
import { chooseBackend, type HardwareReport } from '../../src/inference/hardwareReport.js';
import { CPU_DEFAULT_MODEL } from '../../src/inference/model/defaultModel.js';
import { chooseParallelSequences, kvCacheBytesPerSequence } from '../../src/inference/parallelSequences.js';
import { captureCli } from '../support/cliOutput.js';

let root: string;
let modelPath: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-gpu-cli-'));
  modelPath = path.join(root, 'shape.gguf');
  // A llama shape whose KV cache is 2 × 4 layers × 8192 tokens × 2 heads × 64 dims × 2 bytes = 16 MiB per sequence.
  await writeGgufFile(modelPath, {
    metadata: {
      'general.architecture': 'llama',
      'llama.block_count': GgufValue.uint32(4),
      'llama.embedding_length': GgufValue.uint32(512),
      'llama.attention.head_count': GgufValue.uint32(8),
      'llama.attention.head_count_kv': GgufValue.uint32(2)
    },
    tensors: [{ name: 'weights', shape: [64, 64], type: 'F32', data: new Float32Array(64 * 64) }]
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const aqe = (...args: string[]) => captureCli(() => runCli(args));

describe('aqe gpu', () => {
  it('reports what it reads of this machine, and the compute bound or the missing download for max-parallel', async () => {
    const outcome = await aqe('gpu', '--json', '--cache', path.join(root, 'empty-cache'));
    expect(outcome.code).toBe(0);
    const report = JSON.parse(outcome.stdout) as HardwareReport;
    expect(report.usableCpus).toBe(usableCpus(readCpuFacts()));
    expect(report.nvidiaDevice).toBe(hasNvidiaDevice());
    // The auto model is not in an empty cache: either the cores settle it at 1, or only a bound is shown.
    expect(report.maxParallel.exact).toBe(report.maxParallel.value === 1);
    expect(report.maxParallel.reason).toContain(report.maxParallel.exact ? 'so 1 whatever the model' : `aqe model pull ${report.autoModel.model}`);
  });

  it('estimates max-parallel from the model file as a run would: its KV cache against the memory left after its weights', async () => {
    const outcome = await aqe('gpu', '--json', '--model', modelPath, '--context-size', '8192', '--gpu', 'cpu');
    expect(outcome.code).toBe(0);
    const report = JSON.parse(outcome.stdout) as HardwareReport;
    const kv = kvCacheBytesPerSequence(await readGgufHeader(modelPath), 8192);
    expect(kv).toBe(16 * 1024 ** 2);
    const expected = chooseParallelSequences({
      kvBytesPerSequence: kv,
      freeMemoryBytes: report.memory.freeBytes - (await stat(modelPath)).size,
      gpu: false,
      usableCpus: report.usableCpus
    });
    expect(report).toMatchObject({
      backend: 'cpu',
      backendReason: 'gpu is set to cpu',
      estimatedFor: modelPath,
      maxParallel: { value: expected, exact: true }
    });
    expect(report.maxParallel.reason).toContain('16 MiB KV cache per sequence of 8192 tokens');
  });

  it('answers bad flags with exit 2', async () => {
    for (const [args, message] of [
      [['gpu', '--gpu', 'tpu'], 'aqe: Input "--gpu": "tpu" is not a known GPU option'],
      [['gpu', '--context-size', '12'], 'aqe: Input "--context-size": "12" is not a whole number'],
      [['gpu', '--model', path.join(root, 'absent.gguf')], 'aqe: Input "--model":'],
      [['gpu', 'now'], 'aqe: Input "aqe gpu": it takes no argument'],
      [['gpu', '--verbose'], "Unknown option '--verbose'"]
    ] as Array<[string[], string]>) {
      const outcome = await aqe(...args);
      expect({ args, code: outcome.code }).toEqual({ args, code: 2 });
      expect(outcome.stderr).toContain(message);
    }
    const help = await aqe('gpu', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 reported');
  });
});

// Where an NVIDIA device exists the CUDA path is what runs; the GPU runners check it with the real nvidia-smi.
(hasNvidiaDevice() ? describe.skip : describe)('aqe gpu without an NVIDIA device', () => {
  it('says CPU, and why, on a machine without an NVIDIA device', async () => {
    const outcome = await aqe('gpu', '--json', '--cache', path.join(root, 'empty-cache'));
    const report = JSON.parse(outcome.stdout) as HardwareReport;
    expect(report).toMatchObject({ backend: 'cpu', gpus: [], nvidiaSmiAsked: false, memory: { kind: 'ram' }, autoModel: { model: CPU_DEFAULT_MODEL } });
    expect(report.backendReason).toContain('no NVIDIA device (/dev/nvidia0, /dev/nvidiactl) is present');
    const text = await aqe('gpu', '--cache', path.join(root, 'empty-cache'));
    expect(text.stdout).toMatch(/^Back end {11}CPU: no NVIDIA device/m);
    expect(text.stdout).toContain('/dev/nvidia0 and /dev/nvidiactl are absent');
  });
});

describe('chooseBackend', () => {
  const linux = { nvidiaDevice: true, gpus: 1, platform: 'linux', arch: 'x64' };
  it('takes CUDA where nvidia-smi lists a GPU, Metal on Apple Silicon, else the CPU with the reason', () => {
    expect(chooseBackend('auto', linux)).toEqual({ backend: 'cuda', reason: 'nvidia-smi lists 1 NVIDIA GPU' });
    expect(chooseBackend('auto', { ...linux, gpus: 0, platform: 'darwin', arch: 'arm64', nvidiaDevice: false }).backend).toBe('metal');
    expect(chooseBackend('auto', { ...linux, gpus: 0 }).reason).toContain('nvidia-smi is missing, fails or lists no GPU');
    expect(chooseBackend('cpu', linux)).toEqual({ backend: 'cpu', reason: 'gpu is set to cpu' });
    expect(chooseBackend('cuda', { ...linux, gpus: 0 }).backend).toBe('cpu');
    expect(chooseBackend('vulkan', { ...linux, gpus: 0 }).backend).toBe('vulkan');
  });
});

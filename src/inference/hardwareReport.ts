import os from 'node:os';
import type { GpuOption } from '../core/RunOptions.js';
import { readGgufHeader } from '../gguf/readGgufHeader.js';
import { runProcess } from '../process/runProcess.js';
import { readCpuFacts, usableCpus } from './cpuThreads.js';
import { detectNvidiaGpus, hasNvidiaDevice, type NvidiaGpu } from './detectGpu.js';
import { chooseDefaultModel } from './model/defaultModel.js';
import { chooseParallelSequences, kvCacheBytesPerSequence } from './parallelSequences.js';

/** The back end llama.cpp is asked for, as `gpu` and the machine decide it (see chooseBinaryVariant in loadLocalProvider.ts). */
export type Backend = 'cuda' | 'vulkan' | 'metal' | 'cpu';

export interface DetectedGpu extends NvidiaGpu {
  /** Free now, from nvidia-smi; undefined when it did not say. */
  vramFreeMiB?: number;
}

/** What `aqe gpu` reports: what was found, and what `auto` would make of it. */
export interface HardwareReport {
  gpuOption: GpuOption;
  platform: string;
  arch: string;
  /** /dev/nvidia0 or /dev/nvidiactl exists (a driver is loaded). */
  nvidiaDevice: boolean;
  /** nvidia-smi was asked (only where an NVIDIA device exists and gpu is not cpu). */
  nvidiaSmiAsked: boolean;
  gpus: DetectedGpu[];
  backend: Backend;
  backendReason: string;
  /** Where the KV caches would live, and how much of it is free now. */
  memory: { kind: 'vram' | 'ram'; freeBytes: number; totalBytes: number };
  usableCpus: number;
  /** The model an empty model input resolves to here. */
  autoModel: { model: string; reason: string };
  /** The model max-parallel was estimated for: the one given, else autoModel's. */
  estimatedFor: string;
  maxParallel: ParallelEstimate;
}

export interface ParallelEstimate {
  value: number;
  /** False when the model's shape was unknown and `value` is only the compute bound (the most it could be). */
  exact: boolean;
  reason: string;
}

/** The model whose shape bounds max-parallel: a local GGUF file and its size. */
export interface ModelForEstimate {
  label: string;
  path: string;
  bytes: number;
}

export interface HardwareReportRequest {
  gpu: GpuOption;
  contextSize: number;
  /** The model input to estimate max-parallel for; empty or undefined: the model auto chooses here. */
  model?: string;
  /** Finds the model's file (a local path, a cached download); without one, `hint` says how to get it. */
  locateModel: (model: string) => Promise<{ found?: ModelForEstimate; hint?: string }>;
  platform?: NodeJS.Platform;
  arch?: string;
}

export async function readHardwareReport(request: HardwareReportRequest): Promise<HardwareReport> {
  const platform = request.platform ?? process.platform;
  const arch = request.arch ?? process.arch;
  const nvidiaDevice = hasNvidiaDevice();
  const nvidiaSmiAsked = request.gpu !== 'cpu' && nvidiaDevice;
  const gpus = nvidiaSmiAsked ? await withFreeMemory(await detectNvidiaGpus()) : [];
  const { backend, reason: backendReason } = chooseBackend(request.gpu, { nvidiaDevice, gpus: gpus.length, platform, arch });
  const largest = [...gpus].sort((a, b) => b.vramMiB - a.vramMiB)[0];
  const memory: HardwareReport['memory'] =
    backend === 'cuda' && largest
      ? { kind: 'vram', totalBytes: largest.vramMiB * 1024 ** 2, freeBytes: (largest.vramFreeMiB ?? largest.vramMiB) * 1024 ** 2 }
      : { kind: 'ram', totalBytes: os.totalmem(), freeBytes: os.freemem() };
  const cpus = usableCpus(readCpuFacts());
  const autoModel = chooseDefaultModel({ gpu: request.gpu, nvidiaGpus: gpus, platform, arch, totalMemoryBytes: os.totalmem() });
  const located = await request.locateModel(request.model || autoModel.model);
  const maxParallel = await estimateParallel(request.contextSize, located, backend, memory, cpus);
  return {
    gpuOption: request.gpu,
    platform,
    arch,
    nvidiaDevice,
    nvidiaSmiAsked,
    gpus,
    backend,
    backendReason,
    memory,
    usableCpus: cpus,
    autoModel,
    estimatedFor: request.model || autoModel.model,
    maxParallel
  };
}

/**
 * The back end a run would ask llama.cpp for. CUDA only where nvidia-smi lists a GPU (as the
 * runtime install decides it); Metal is what llama.cpp takes by itself on Apple Silicon.
 */
export function chooseBackend(
  gpu: GpuOption,
  facts: { nvidiaDevice: boolean; gpus: number; platform: string; arch: string }
): { backend: Backend; reason: string } {
  if (gpu === 'cpu') return { backend: 'cpu', reason: 'gpu is set to cpu' };
  if (gpu === 'cuda' && facts.gpus === 0)
    return { backend: 'cpu', reason: 'gpu is set to cuda, but nvidia-smi lists no NVIDIA GPU: CUDA would not start and the run falls back to the CPU' };
  if (gpu !== 'auto') return { backend: gpu, reason: `gpu is set to ${gpu} (a back end that cannot start falls back to CPU, with a warning)` };
  if (facts.gpus > 0) return { backend: 'cuda', reason: `nvidia-smi lists ${facts.gpus} NVIDIA GPU${facts.gpus === 1 ? '' : 's'}` };
  if (facts.platform === 'darwin' && facts.arch === 'arm64') return { backend: 'metal', reason: 'Apple Silicon: llama.cpp runs on Metal' };
  const why = facts.nvidiaDevice
    ? 'an NVIDIA device exists, but nvidia-smi is missing, fails or lists no GPU (is the driver loaded, and nvidia-smi on PATH?)'
    : 'no NVIDIA device (/dev/nvidia0, /dev/nvidiactl) is present';
  return {
    backend: 'cpu',
    reason: `${why}${facts.platform === 'darwin' ? '' : ', and auto uses Vulkan only when asked (gpu: vulkan)'}, so llama.cpp runs on the CPU`
  };
}

/** The free VRAM of each GPU, joined by position (nvidia-smi lists devices in the same order every time). */
async function withFreeMemory(gpus: NvidiaGpu[]): Promise<DetectedGpu[]> {
  if (gpus.length === 0) return gpus;
  const free = await runProcess({
    command: 'nvidia-smi',
    args: ['--query-gpu=memory.free', '--format=csv,noheader,nounits'],
    cwd: process.cwd(),
    timeoutMs: 15_000
  }).catch(() => undefined);
  const values =
    free && free.exitCode === 0
      ? free.stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '')
      : [];
  return gpus.map((g, i) => {
    const mib = Number(values[i]);
    return values[i] !== undefined && Number.isFinite(mib) ? { ...g, vramFreeMiB: mib } : g;
  });
}

/**
 * max-parallel auto as the run would choose it once the model is loaded: the model's weights
 * are taken off the free memory first (they load before the context), then the KV caches share
 * what is left. Without the model at hand only the compute bound is known.
 */
async function estimateParallel(
  contextSize: number,
  located: { found?: ModelForEstimate; hint?: string },
  backend: Backend,
  memory: HardwareReport['memory'],
  cpus: number
): Promise<ParallelEstimate> {
  const model = located.found;
  // Vulkan's devices and their free memory are only known to llama.cpp once it starts; nvidia-smi sees CUDA's.
  if (backend === 'vulkan') {
    const most = chooseParallelSequences({ kvBytesPerSequence: 0, freeMemoryBytes: 0, gpu: true, usableCpus: cpus });
    return { value: most, exact: false, reason: `Vulkan: at most ${most}; the free VRAM that bounds it is only known once llama.cpp starts` };
  }
  const gpu = backend !== 'cpu';
  const where = gpu ? `${backend.toUpperCase()}` : `CPU with ${cpus} usable CPU${cpus === 1 ? '' : 's'}`;
  const bound = chooseParallelSequences({ kvBytesPerSequence: 0, freeMemoryBytes: memory.freeBytes, gpu, usableCpus: cpus });
  if (!model) {
    if (bound === 1) return { value: 1, exact: true, reason: `${where}: more sequences would only contend for the cores, so 1 whatever the model` };
    return {
      value: bound,
      exact: false,
      reason: `${where}: at most ${bound}; how many fit in memory depends on the model's KV cache${located.hint ? ` (${located.hint})` : ''}`
    };
  }
  const kv = kvCacheBytesPerSequence(await readGgufHeader(model.path), contextSize);
  const free = Math.max(0, memory.freeBytes - model.bytes);
  const value = chooseParallelSequences({ kvBytesPerSequence: kv, freeMemoryBytes: free, gpu, usableCpus: cpus });
  const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  return {
    value,
    exact: true,
    reason: `${where}, ${model.label}: ${gib(free)} free once its ${gib(model.bytes)} are loaded, ${(kv / 1024 ** 2).toFixed(0)} MiB KV cache per sequence of ${contextSize} tokens (compute allows ${bound})`
  };
}

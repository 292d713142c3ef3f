import os from 'node:os';
import type { GpuOption } from '../../core/RunOptions.js';
import { detectNvidiaGpus, hasNvidiaDevice, type NvidiaGpu } from '../detectGpu.js';

/** What the default model is chosen from. */
export interface HardwareFacts {
  /** The gpu input: `cpu` rules the GPU model out whatever is installed. */
  gpu: GpuOption;
  nvidiaGpus: readonly NvidiaGpu[];
  platform: NodeJS.Platform;
  arch: string;
  totalMemoryBytes: number;
}

export interface DefaultModelChoice {
  /** A model input value. */
  model: string;
  /** One sentence for the log: why this model on this machine. */
  reason: string;
}

/**
 * Qwen2.5-Coder 7B Instruct at Q5_K_M (bartowski's single-file quantization, about 5.4 GB): the
 * best code model of this size class that fits, with an 8k context per sequence, in 8 GiB of VRAM.
 */
export const GPU_DEFAULT_MODEL = 'hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q5_K_M';

/** Qwen2.5-Coder 1.5B Instruct at Q4_K_M (about 1 GB): writes usable tests at a usable speed on 4 CPU cores. */
export const CPU_DEFAULT_MODEL = 'hf:bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M';

/** 7B Q5_K_M weights, an 8k context per sequence and compute buffers take about 7 GiB; cards sold as "8 GB" report 7.6 to 8 GiB. */
export const GPU_MODEL_MIN_VRAM_MIB = 7.5 * 1024;

/** Apple Silicon shares RAM with its GPU; below this much the 7B model and the test runs compete for it. */
export const GPU_MODEL_MIN_UNIFIED_MEMORY_BYTES = 16 * 1024 ** 3;

/** The model used when the model input is empty: the 7B model where a GPU can run it, else the 1.5B one. */
export function chooseDefaultModel(facts: HardwareFacts): DefaultModelChoice {
  if (facts.gpu !== 'cpu') {
    const gpu = [...facts.nvidiaGpus].sort((a, b) => b.vramMiB - a.vramMiB)[0];
    if (gpu && gpu.vramMiB >= GPU_MODEL_MIN_VRAM_MIB) {
      return { model: GPU_DEFAULT_MODEL, reason: `${gpu.name} has ${gib(gpu.vramMiB * 1024 ** 2)} GiB of VRAM, enough for the 7B model` };
    }
    if (facts.platform === 'darwin' && facts.arch === 'arm64' && facts.gpu !== 'vulkan' && facts.totalMemoryBytes >= GPU_MODEL_MIN_UNIFIED_MEMORY_BYTES) {
      return { model: GPU_DEFAULT_MODEL, reason: `Apple Silicon with ${gib(facts.totalMemoryBytes)} GiB of unified memory runs the 7B model on Metal` };
    }
  }
  const why =
    facts.gpu === 'cpu'
      ? 'gpu is set to cpu'
      : facts.nvidiaGpus.length > 0
        ? `the largest GPU has ${gib(Math.max(...facts.nvidiaGpus.map((g) => g.vramMiB)) * 1024 ** 2)} GiB of VRAM, less than the 8 GiB the 7B model needs`
        : 'no GPU with 8 GiB of VRAM was found';
  return { model: CPU_DEFAULT_MODEL, reason: `${why}, so the 1.5B model that runs on CPU cores was chosen` };
}

/** The facts of this machine (nvidia-smi is asked only where an NVIDIA device exists). */
export async function readHardwareFacts(gpu: GpuOption): Promise<HardwareFacts> {
  const nvidiaGpus = gpu !== 'cpu' && hasNvidiaDevice() ? await detectNvidiaGpus() : [];
  return { gpu, nvidiaGpus, platform: process.platform, arch: process.arch, totalMemoryBytes: os.totalmem() };
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '');
}

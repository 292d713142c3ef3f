import { existsSync } from 'node:fs';
import { runProcess } from '../process/runProcess.js';

export interface NvidiaGpu {
  name: string;
  driver: string;
  vramMiB: number;
}

/** NVIDIA GPUs as nvidia-smi reports them; empty when there is none or the tool is missing or failing. */
export async function detectNvidiaGpus(timeoutMs = 15_000): Promise<NvidiaGpu[]> {
  try {
    const result = await runProcess({
      command: 'nvidia-smi',
      args: ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'],
      cwd: process.cwd(),
      timeoutMs
    });
    if (result.exitCode !== 0) return [];
    return result.stdout
      .split('\n')
      .map((line) => line.split(',').map((s) => s.trim()))
      .filter((cols) => cols.length >= 3 && cols[0] !== '')
      .map(([name, driver, mem]) => ({ name: name!, driver: driver!, vramMiB: Number(mem) || 0 }));
  } catch {
    return [];
  }
}

export function hasNvidiaDevice(): boolean {
  return existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl');
}

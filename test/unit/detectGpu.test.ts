import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectNvidiaGpus } from '../../src/inference/detectGpu.js';

/** detectNvidiaGpus with a fake nvidia-smi first on PATH: present, absent and failing. */
describe('detectNvidiaGpus', () => {
  const originalPath = process.env.PATH;
  const dirs: string[] = [];
  afterEach(() => {
    process.env.PATH = originalPath;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function fakeNvidiaSmi(script: string): void {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aqe-smi-'));
    dirs.push(dir);
    const file = path.join(dir, 'nvidia-smi');
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
    process.env.PATH = `${dir}:${originalPath}`;
  }

  it('reads name, driver and VRAM of every GPU', async () => {
    fakeNvidiaSmi(
      `case "$*" in *--query-gpu=name,driver_version,memory.total*) printf 'NVIDIA H100 80GB HBM3, 550.54.15, 81559\\nNVIDIA L4, 550.54.15, 23034\\n';; *) exit 9;; esac`
    );
    expect(await detectNvidiaGpus()).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', driver: '550.54.15', vramMiB: 81559 },
      { name: 'NVIDIA L4', driver: '550.54.15', vramMiB: 23034 }
    ]);
  });

  it('finds none when nvidia-smi fails (driver not loaded)', async () => {
    fakeNvidiaSmi(`echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." >&2; exit 9`);
    expect(await detectNvidiaGpus()).toEqual([]);
  });

  it('finds none when nvidia-smi is not installed', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'aqe-nosmi-'));
    dirs.push(empty);
    process.env.PATH = empty;
    expect(await detectNvidiaGpus()).toEqual([]);
  });

  it('finds none when nvidia-smi hangs past its limit', async () => {
    fakeNvidiaSmi('sleep 60');
    const started = Date.now();
    expect(await detectNvidiaGpus(500)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

/**
 * The GPU sampler against a fake `nvidia-smi` put first on PATH: a real process that prints the CSV lines the real
 * one prints under `-lms` and then waits like it, so the figures, the failure cases and the stopping are those of
 * the real code path. (This machine has no GPU; the real nvidia-smi is only on the CUDA runners.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseReading, startGpuTelemetry, type GpuTelemetry, type GpuTelemetryFigures } from '../../src/inference/gpuTelemetry.js';
import { runProcess } from '../../src/process/runProcess.js';
import { inferenceFigures } from '../../src/reporting/buildRunReport.js';
import { isAlive, processesStillAlive } from '../support/processesGone.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const MIB = 1024 ** 2;

/** utilization.gpu, memory.used, memory.total (MiB) of two devices, as nvidia-smi prints one interval after another. */
const READINGS = ['35, 10240, 81559', '0, 512, 24576', '97, 30001, 81559', '88, 29000, 81559', '[N/A], [N/A], 24576', '60, 700, 24576'];

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-gpu-telemetry-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A directory holding an executable `nvidia-smi` that records its pid and arguments, prints `readings`, then
 * exits with `exitCode` or, without one, waits for its signal the way `-lms` does.
 */
async function fakeNvidiaSmi(name: string, readings: readonly string[], exitCode?: number): Promise<{ env: NodeJS.ProcessEnv; dir: string }> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await writeFile(path.join(dir, 'readings'), readings.map((r) => `${r}\n`).join(''));
  const script = [
    '#!/bin/sh',
    'dir=$(dirname "$0")',
    'echo $$ > "$dir/pid"',
    'echo "$@" > "$dir/args"',
    'cat "$dir/readings"',
    exitCode === undefined ? 'touch "$dir/printed"; exec sleep 600' : `exit ${exitCode}`,
    ''
  ].join('\n');
  await writeFile(path.join(dir, 'nvidia-smi'), script);
  await chmod(path.join(dir, 'nvidia-smi'), 0o755);
  return { dir, env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` } };
}

async function until(check: () => boolean | Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const exists = (file: string) => () =>
  readFile(file).then(
    () => true,
    () => false
  );

describe('startGpuTelemetry', () => {
  it('gives the peak and mean utilisation and the peak memory of the busiest device, and stops nvidia-smi', async () => {
    const fake = await fakeNvidiaSmi('ok', READINGS);
    const telemetry = startGpuTelemetry({ env: fake.env, intervalMs: 250 });
    try {
      await until(exists(path.join(fake.dir, 'printed')), 'the fake nvidia-smi to print its readings');
      await until(() => telemetry.figures()?.samples === 5, 'five usable readings');
      const expected: GpuTelemetryFigures = {
        samples: 5, // the [N/A] line (a MIG slice) is no reading
        intervalMs: 250,
        peakUtilizationPercent: 97,
        meanUtilizationPercent: Math.round(((35 + 0 + 97 + 88 + 60) / 5) * 10) / 10,
        peakMemoryUsedBytes: 30001 * MIB,
        memoryTotalBytes: 81559 * MIB
      };
      expect(telemetry.figures()).toEqual(expected);
      expect((await readFile(path.join(fake.dir, 'args'), 'utf8')).trim()).toBe(
        '--query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits -lms 250'
      );
      const pid = Number(await readFile(path.join(fake.dir, 'pid'), 'utf8'));
      expect(isAlive(pid)).toBe(true);
      await telemetry.stop();
      expect(await processesStillAlive([pid])).toEqual([]);
      // What was sampled stays readable after the stop, and goes into the report's inference section as it is.
      expect(telemetry.figures()).toEqual(expected);
      const info = {
        provider: 'local',
        model: 'm.gguf',
        backend: 'cuda',
        hardware: 'CUDA',
        threads: 4,
        parallelSequences: 2,
        contextSize: 8192,
        modelLoadMs: 900,
        gpuLayers: 33
      };
      expect(inferenceFigures({ ...info, gpuTelemetry: telemetry.figures()! }, { promptTokens: 1, completionTokens: 1 }, 1000).gpuTelemetry).toEqual(expected);
      expect(inferenceFigures(info, { promptTokens: 1, completionTokens: 1 }, 1000)).not.toHaveProperty('gpuTelemetry');
      await telemetry.stop();
    } finally {
      await telemetry.stop();
    }
  });

  it('leaves no figures when nvidia-smi fails, even after printing readings', async () => {
    const fake = await fakeNvidiaSmi('crash', READINGS.slice(0, 3), 9);
    const telemetry = startGpuTelemetry({ env: fake.env });
    await telemetry.ended;
    await telemetry.stop();
    expect(telemetry.figures()).toBeUndefined();
  });

  it('leaves no figures, and no error, without nvidia-smi on PATH', async () => {
    const empty = path.join(root, 'empty-path');
    await mkdir(empty);
    const telemetry: GpuTelemetry = startGpuTelemetry({ env: { ...process.env, PATH: empty } });
    await telemetry.ended;
    expect(telemetry.figures()).toBeUndefined();
    await telemetry.stop();
  });

  it('never keeps the process alive, and nvidia-smi dies with it when stop() is never called', async () => {
    const fake = await fakeNvidiaSmi('orphan', READINGS.slice(0, 2));
    // The two modules as plain ESM, run by a bare node that starts the sampler and returns from its script.
    const out = path.join(root, 'compiled');
    for (const file of ['inference/gpuTelemetry.ts', 'process/cancellation.ts']) {
      const text = await readFile(path.join(SRC, file), 'utf8');
      const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      await mkdir(path.join(out, path.dirname(file)), { recursive: true });
      await writeFile(path.join(out, file.replace(/\.ts$/, '.js')), js);
    }
    const main = path.join(out, 'main.mjs');
    await writeFile(
      main,
      [
        "import { existsSync } from 'node:fs';",
        "import { startGpuTelemetry } from './inference/gpuTelemetry.js';",
        'const telemetry = startGpuTelemetry();',
        // Polls until the readings arrived, prints them and clears its timer: then nothing of the script holds the loop.
        `const printed = ${JSON.stringify(path.join(fake.dir, 'printed'))};`,
        'const poll = setInterval(() => { const f = telemetry.figures(); if (existsSync(printed) && f?.samples === 2) { clearInterval(poll); console.log(JSON.stringify(f)); } }, 20);',
        ''
      ].join('\n')
    );
    const run = await runProcess({ command: process.execPath, args: [main], cwd: out, env: fake.env, timeoutMs: 20_000 });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ samples: 2, peakUtilizationPercent: 35 });
    const pid = Number(await readFile(path.join(fake.dir, 'pid'), 'utf8'));
    expect(await processesStillAlive([pid])).toEqual([]);
  });
});

describe('parseReading', () => {
  it('reads nvidia-smi CSV lines and nothing else', () => {
    expect(parseReading(' 42, 1024, 8192')).toEqual({ utilizationPercent: 42, memoryUsedMiB: 1024, memoryTotalMiB: 8192 });
    for (const line of ['', '[N/A], 100, 200', 'utilization.gpu, memory.used, memory.total', '1, 2', '101, 1, 2', '1, 2, 3, 4'])
      expect(parseReading(line)).toBeUndefined();
  });
});

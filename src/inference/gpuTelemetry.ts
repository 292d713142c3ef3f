import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { KILL_GRACE_MS, runCancelledBy, trackProcess } from '../process/cancellation.js';

/** What the GPU did while the model was loaded, from nvidia-smi's samples; per device, so the busiest one shows. */
export interface GpuTelemetryFigures {
  /** Readings taken (one per device per interval). */
  samples: number;
  intervalMs: number;
  peakUtilizationPercent: number;
  meanUtilizationPercent: number;
  /** The highest memory.used of any device, and that device's memory.total. */
  peakMemoryUsedBytes: number;
  memoryTotalBytes: number;
}

export interface GpuTelemetry {
  /** The figures so far; undefined when nothing was sampled or nvidia-smi failed. */
  figures(): GpuTelemetryFigures | undefined;
  /** Stops sampling; resolves once nvidia-smi has exited. Safe to call more than once. */
  stop(): Promise<void>;
  /** Settles when nvidia-smi has exited for whatever reason (stopped, failed, never started). */
  readonly ended: Promise<void>;
}

export interface GpuTelemetryOptions {
  /** Default 500 ms: fine enough to see a decode burst, coarse enough to cost nothing. */
  intervalMs?: number;
  /** Where nvidia-smi is looked up (PATH); default process.env. */
  env?: NodeJS.ProcessEnv;
}

const QUERY = ['--query-gpu=utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];
const MIB = 1024 ** 2;

/**
 * Samples GPU utilisation and memory with one long-lived `nvidia-smi -lms` (one process for the
 * whole run, not one per reading). Never an error: a missing nvidia-smi, one that fails or
 * prints nothing usable gives no figures. The process never keeps aqe alive, is stopped with a
 * cancelled run like every other child, and dies with aqe even when stop() is never reached.
 */
export function startGpuTelemetry(options: GpuTelemetryOptions = {}): GpuTelemetry {
  const intervalMs = Math.max(100, Math.round(options.intervalMs ?? 500));
  const totals = new Aggregate();
  let failed = false;
  let stopping = false;
  // A missing nvidia-smi is reported as an 'error' event, not thrown.
  const child = spawn('nvidia-smi', [...QUERY, '-lms', String(intervalMs)], {
    env: options.env ?? process.env,
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'ignore']
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const untrack = trackProcess({ killGroup, closed });
  // An exit without stop() (process.exit, an uncaught error) must not leave an orphan sampling forever.
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);
  const finish = (): void => {
    process.removeListener('exit', onExit);
    untrack();
    markClosed();
  };
  child.unref();
  // The pipe is a socket handle of its own; left referenced, it alone would keep the event loop running.
  (child.stdout as unknown as Socket).unref();
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) totals.add(parseReading(line));
  });
  child.on('error', () => {
    failed = true; // ENOENT: no nvidia-smi on PATH
    finish();
  });
  child.on('close', (code, signal) => {
    // Our own stop, or the run's cancellation, is no failure; any other end is (its figures may be garbage).
    if (!stopping && runCancelledBy() === undefined && (code !== 0 || signal !== null)) failed = true;
    finish();
  });

  return {
    ended: closed,
    figures: () => (failed ? undefined : totals.figures(intervalMs)),
    stop: async () => {
      if (!stopping) {
        stopping = true;
        killGroup('SIGTERM');
        const escalate = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
        escalate.unref();
        await closed;
        clearTimeout(escalate);
      }
      await closed;
    }
  };
}

interface Reading {
  utilizationPercent: number;
  memoryUsedMiB: number;
  memoryTotalMiB: number;
}

/** One CSV line; undefined for anything else ("[N/A]" under MIG, a header, a warning). */
export function parseReading(line: string): Reading | undefined {
  const cols = line.split(',').map((c) => c.trim());
  if (cols.length !== 3 || cols.some((c) => !/^\d+(\.\d+)?$/.test(c))) return undefined;
  const [utilizationPercent, memoryUsedMiB, memoryTotalMiB] = cols.map(Number) as [number, number, number];
  if (utilizationPercent > 100) return undefined;
  return { utilizationPercent, memoryUsedMiB, memoryTotalMiB };
}

/** Running totals: a model server may keep the sampler going for days, so no reading is kept. */
class Aggregate {
  private count = 0;
  private utilizationSum = 0;
  private peakUtilization = 0;
  private peakMemoryMiB = -1;
  private peakMemoryTotalMiB = 0;

  add(reading: Reading | undefined): void {
    if (!reading) return;
    this.count++;
    this.utilizationSum += reading.utilizationPercent;
    this.peakUtilization = Math.max(this.peakUtilization, reading.utilizationPercent);
    if (reading.memoryUsedMiB > this.peakMemoryMiB) {
      this.peakMemoryMiB = reading.memoryUsedMiB;
      this.peakMemoryTotalMiB = reading.memoryTotalMiB;
    }
  }

  figures(intervalMs: number): GpuTelemetryFigures | undefined {
    if (this.count === 0) return undefined;
    return {
      samples: this.count,
      intervalMs,
      peakUtilizationPercent: this.peakUtilization,
      meanUtilizationPercent: Math.round((this.utilizationSum / this.count) * 10) / 10,
      peakMemoryUsedBytes: this.peakMemoryMiB * MIB,
      memoryTotalBytes: this.peakMemoryTotalMiB * MIB
    };
  }
}

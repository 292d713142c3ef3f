import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ThreadMeasurement } from './threadCalibration.js';

/** What a calibration holds for: the same CPU, CPU limit, model file, llama.cpp build and back end. */
export interface CalibrationCacheKey {
  cpu: string;
  usableCpus: number;
  /** See modelIdentity. */
  model: string;
  nodeLlamaCpp: string;
  backend: string;
}

export interface CachedCalibration {
  threads: number;
  measurements: ThreadMeasurement[];
  calibratedAt: string;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CachedCalibration>;
}

export const CALIBRATION_CACHE_FILE = 'aqe-thread-calibration.json';

/**
 * Calibrations by machine and model in one small JSON file (the tool cache on self-hosted runners, else the temp
 * dir), so a run on a known machine skips the measurement. Any unreadable or foreign content counts as empty: the
 * cache only ever saves time.
 */
export class CalibrationCache {
  constructor(
    readonly file: string,
    private readonly options: { maxAgeMs: number; maxEntries: number; now: () => number } = { maxAgeMs: 7 * 24 * 3600_000, maxEntries: 32, now: Date.now }
  ) {}

  async get(key: CalibrationCacheKey): Promise<CachedCalibration | undefined> {
    const entry = (await this.read()).entries[keyString(key)];
    if (!entry) return undefined;
    const age = this.options.now() - Date.parse(entry.calibratedAt);
    return Number.isFinite(age) && age >= 0 && age <= this.options.maxAgeMs ? entry : undefined;
  }

  /** Written to a temporary file and renamed, so a concurrent run never reads half a file. */
  async set(key: CalibrationCacheKey, calibration: Omit<CachedCalibration, 'calibratedAt'>): Promise<void> {
    const content = await this.read();
    content.entries[keyString(key)] = { ...calibration, calibratedAt: new Date(this.options.now()).toISOString() };
    const newestFirst = Object.entries(content.entries).sort(([, a], [, b]) => Date.parse(b.calibratedAt) - Date.parse(a.calibratedAt));
    content.entries = Object.fromEntries(newestFirst.slice(0, this.options.maxEntries));
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`);
    await rename(temp, this.file);
  }

  private async read(): Promise<CacheFile> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return { version: 1, entries: {} };
    }
    if (!isRecord(parsed) || parsed.version !== 1 || !isRecord(parsed.entries)) return { version: 1, entries: {} };
    const entries: Record<string, CachedCalibration> = {};
    for (const [k, v] of Object.entries(parsed.entries)) if (isCachedCalibration(v)) entries[k] = v;
    return { version: 1, entries };
  }
}

function keyString(key: CalibrationCacheKey): string {
  return JSON.stringify([key.cpu, key.usableCpus, key.model, key.nodeLlamaCpp, key.backend]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCachedCalibration(value: unknown): value is CachedCalibration {
  if (!isRecord(value) || !Number.isInteger(value.threads) || (value.threads as number) < 1 || typeof value.calibratedAt !== 'string') return false;
  return (
    Array.isArray(value.measurements) &&
    value.measurements.every(
      (m: unknown) =>
        isRecord(m) && Number.isInteger(m.threads) && typeof m.tokensPerSecond === 'number' && typeof m.tokens === 'number' && typeof m.ms === 'number'
    )
  );
}

/**
 * A model file's identity that survives a re-download to another path: its name, size and a hash of its first MiB
 * (the GGUF header and metadata, which differ between models and quantizations).
 */
export async function modelIdentity(modelPath: string): Promise<string> {
  const handle = await open(modelPath, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 1024 * 1024));
    await handle.read(head, 0, head.length, 0);
    return `${path.basename(modelPath)}:${size}:${createHash('sha256').update(head).digest('hex').slice(0, 16)}`;
  } finally {
    await handle.close();
  }
}

import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GgufError } from '../../gguf/errors.js';
import { readGgufHeader } from '../../gguf/readGgufHeader.js';
import { sha256OfFile } from './hashFile.js';
import { ENTRY_RECORD, entryDirectory, MODELS_FOLDER, readModelRecord, type ModelRecord } from './ModelCache.js';

/**
 * Beside the model and its record in a cache entry: when a run last used it. Kept out of the
 * record, which describes the verified file and never changes once written.
 */
export const LAST_USED_FILE = '.aqe-last-used';

/** One complete entry of a directory model cache. */
export interface CachedModel {
  key: string;
  /** The model file. */
  path: string;
  record: ModelRecord;
  /** The expected sha256 the entry was saved under; undefined for an entry of an unpinned source. */
  pinnedSha256?: string;
  /** When the entry was saved (its record's time). */
  savedAt: Date;
  /** When a run last took the model from the cache; undefined when none has yet. */
  lastUsedAt?: Date;
}

export interface CacheListing {
  entries: CachedModel[];
  /** Entry folders without a readable record or model file: a save cut short, or not ours. */
  incomplete: string[];
}

/** The entries under `root` (`<root>/aqe-models/<key>/`), most recently used first. */
export async function listCachedModels(root: string): Promise<CacheListing> {
  const folder = path.join(root, MODELS_FOLDER);
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.endsWith('.tmp')).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], incomplete: [] };
    throw error;
  }
  const entries: CachedModel[] = [];
  const incomplete: string[] = [];
  for (const key of names.sort()) {
    const entry = await readEntry(root, key);
    if (entry) entries.push(entry);
    else incomplete.push(entryDirectory(root, key));
  }
  const recency = (e: CachedModel): number => (e.lastUsedAt ?? e.savedAt).getTime();
  entries.sort((a, b) => recency(b) - recency(a) || a.key.localeCompare(b.key));
  return { entries, incomplete };
}

async function readEntry(root: string, key: string): Promise<CachedModel | undefined> {
  const dir = entryDirectory(root, key);
  const record = await readModelRecord(dir);
  if (!record) return undefined;
  const modelPath = path.join(dir, record.file);
  try {
    if (!(await stat(modelPath)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const savedAt = (await stat(path.join(dir, ENTRY_RECORD))).mtime;
  const lastUsedAt = await readLastUsed(dir);
  const pinned = /-([0-9a-f]{64})$/.exec(key)?.[1];
  return { key, path: modelPath, record, savedAt, ...(pinned ? { pinnedSha256: pinned } : {}), ...(lastUsedAt ? { lastUsedAt } : {}) };
}

async function readLastUsed(dir: string): Promise<Date | undefined> {
  try {
    const when = new Date((await readFile(path.join(dir, LAST_USED_FILE), 'utf8')).trim());
    return Number.isNaN(when.getTime()) ? undefined : when;
  } catch {
    return undefined;
  }
}

/**
 * Notes that a run used the entry `key`. Never throws: a cache that cannot be written only
 * loses the date in `aqe model list`.
 */
export async function markModelUsed(root: string, key: string, when: Date = new Date()): Promise<void> {
  const dir = entryDirectory(root, key);
  try {
    if ((await stat(dir)).isDirectory()) await writeFile(path.join(dir, LAST_USED_FILE), `${when.toISOString()}\n`);
  } catch {
    // no entry (it was discarded) or a read-only cache
  }
}

/** A figure that is not what it should be. */
export interface Mismatch {
  what: 'sha256' | 'size';
  /** Where the expected value comes from: "--sha256", "the cache record". */
  expectedBy: string;
  expected: string;
  found: string;
}

export interface ModelFileCheck {
  path: string;
  bytes: number;
  sha256: string;
  mismatches: Mismatch[];
  /** Why the file is no GGUF model (truncated, wrong magic), when it is not. */
  ggufProblem?: string;
}

export interface Expectations {
  sha256?: { value: string; by: string };
  /** A second sha256 the file must also have (the record's, when --sha256 is given too). */
  recordSha256?: { value: string; by: string };
  bytes?: { value: number; by: string };
}

/** Hashes the file again and compares it with what it should be; reads its GGUF header too. */
export async function verifyModelFile(modelPath: string, expected: Expectations): Promise<ModelFileCheck> {
  const bytes = (await stat(modelPath)).size;
  const sha256 = await sha256OfFile(modelPath);
  const mismatches: Mismatch[] = [];
  if (expected.bytes && expected.bytes.value !== bytes)
    mismatches.push({ what: 'size', expectedBy: expected.bytes.by, expected: `${expected.bytes.value} bytes`, found: `${bytes} bytes` });
  for (const want of [expected.sha256, expected.recordSha256]) {
    if (want && want.value !== sha256) mismatches.push({ what: 'sha256', expectedBy: want.by, expected: want.value, found: sha256 });
  }
  let ggufProblem: string | undefined;
  try {
    await readGgufHeader(modelPath);
  } catch (error) {
    if (!(error instanceof GgufError)) throw error;
    ggufProblem = error.message;
  }
  return { path: modelPath, bytes, sha256, mismatches, ...(ggufProblem ? { ggufProblem } : {}) };
}

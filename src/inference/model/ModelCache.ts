import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A store of verified model files kept between runs. An entry is a directory holding the model
 * and its record (ENTRY_RECORD); keys are immutable, so saving a key that exists does nothing.
 */
export interface ModelCache {
  /** For log lines: "the GitHub Actions cache", "the tool cache in /opt/hostedtoolcache". */
  readonly description: string;
  /** Path of the cached model file, or undefined on a miss. The caller verifies it before use. */
  restore(key: string): Promise<string | undefined>;
  /** Stores the model at `modelPath`, whose directory holds its record, under `key`. */
  save(key: string, modelPath: string): Promise<void>;
  /** Forgets a local copy that failed verification, so the download can take its place. */
  discard(key: string): Promise<void>;
}

/** What was verified about a cached model: a restored file must hash to `sha256` again before use. */
export interface ModelRecord {
  /** The source as sourceId() writes it. */
  source: string;
  url: string;
  /** The model's file name inside the entry directory. */
  file: string;
  bytes: number;
  sha256: string;
}

export const ENTRY_RECORD = 'aqe-model.json';

/** The folder under a cache root that holds the entries: `<root>/aqe-models/<key>/<file>`. */
export const MODELS_FOLDER = 'aqe-models';

/**
 * `aqe-model-<sha256 of the source id>-<expected sha256, or "unpinned">`. A pinned key names one
 * exact file; an unpinned one names "whatever this source gave when it was first cached".
 */
export function modelCacheKey(sourceId: string, expectedSha256?: string): string {
  const id = createHash('sha256').update(sourceId).digest('hex');
  return `aqe-model-${id}-${expectedSha256 ?? 'unpinned'}`;
}

export function entryDirectory(root: string, key: string): string {
  return path.join(root, MODELS_FOLDER, key);
}

export async function writeModelRecord(dir: string, record: ModelRecord): Promise<void> {
  const temporary = path.join(dir, `.${ENTRY_RECORD}.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, path.join(dir, ENTRY_RECORD));
}

/** The entry's record, or undefined when it is missing or not one of ours. */
export async function readModelRecord(dir: string): Promise<ModelRecord | undefined> {
  let parsed: Partial<ModelRecord>;
  try {
    parsed = JSON.parse(await readFile(path.join(dir, ENTRY_RECORD), 'utf8')) as Partial<ModelRecord>;
  } catch {
    return undefined;
  }
  const { source, url, file, bytes, sha256 } = parsed;
  if (typeof source !== 'string' || typeof url !== 'string' || typeof file !== 'string' || typeof bytes !== 'number' || typeof sha256 !== 'string')
    return undefined;
  if (file !== path.basename(file) || file.startsWith('.') || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  return { source, url, file, bytes, sha256 };
}

/** The model file of the entry in `dir`, when the entry is complete (record and file both there). */
export async function entryModelPath(dir: string): Promise<string | undefined> {
  const record = await readModelRecord(dir);
  if (!record) return undefined;
  const modelPath = path.join(dir, record.file);
  try {
    return (await stat(modelPath)).isFile() ? modelPath : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes `toDir` a complete copy of the entry whose model is `modelPath`: the files are hard-linked
 * (instant on one disk) or copied into a temporary folder that is renamed at the end, so a
 * reader never sees half an entry. Does nothing when `toDir` already exists.
 */
export async function copyEntry(modelPath: string, toDir: string): Promise<void> {
  const fromDir = path.dirname(modelPath);
  if (path.resolve(fromDir) === path.resolve(toDir) || (await exists(toDir))) return;
  await mkdir(path.dirname(toDir), { recursive: true });
  const temporary = `${toDir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(temporary);
  try {
    for (const name of [path.basename(modelPath), ENTRY_RECORD]) {
      const from = path.join(fromDir, name);
      const to = path.join(temporary, name);
      await link(from, to).catch(() => copyFile(from, to));
    }
    await rename(temporary, toDir).catch(async (error: NodeJS.ErrnoException) => {
      // Another job saved the same key first; keys are immutable, so theirs stands.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST' && error.code !== 'EPERM') throw error;
    });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * A cache in a directory that outlives jobs: a self-hosted runner's tool cache
 * (RUNNER_TOOL_CACHE) or a user's cache folder for the CLI.
 */
export class DirectoryModelCache implements ModelCache {
  readonly description: string;

  constructor(readonly root: string) {
    this.description = `the model cache in ${entryDirectory(root, '')}`;
  }

  async restore(key: string): Promise<string | undefined> {
    return entryModelPath(entryDirectory(this.root, key));
  }

  async save(key: string, modelPath: string): Promise<void> {
    await copyEntry(modelPath, entryDirectory(this.root, key));
  }

  async discard(key: string): Promise<void> {
    await rm(entryDirectory(this.root, key), { recursive: true, force: true });
  }
}

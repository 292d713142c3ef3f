import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../core/InputError.js';
import { GgufError } from '../../gguf/errors.js';
import { readGgufHeader } from '../../gguf/readGgufHeader.js';
import { checkModelFile } from '../modelFile.js';
import { downloadModel, formatBytes, type DownloadRequest } from './downloadModel.js';
import { sha256OfFile } from './hashFile.js';
import { modelCacheKey, readModelRecord, writeModelRecord, type ModelCache, type ModelRecord } from './ModelCache.js';
import { parseModelSource, sourceId, type ModelSource, type RemoteModelSource } from './ModelSource.js';
import { huggingFaceSettings, resolveHuggingFace } from './resolveHuggingFace.js';

export interface ResolveModelRequest {
  /** The model input as RunOptions holds it: an absolute local path, or a remote form (https://…, hf:…). */
  model: string;
  /** Lowercase hex sha256 the file must have (the model-sha256 input). */
  expectedSha256?: string;
  /** Where verified models are kept between runs; none = download every time. */
  cache?: ModelCache;
  /** Downloads go to `<downloadDir>/<cache key>/<file>`. */
  downloadDir: string;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** HF_ENDPOINT and HF_TOKEN are read from here. */
  env?: NodeJS.ProcessEnv;
  /** Retry and progress tuning of the transfer (tests shorten the waits). */
  transfer?: Pick<DownloadRequest, 'retries' | 'retryDelayMs' | 'stallTimeoutMs' | 'progressIntervalMs' | 'freeBytes'>;
}

/** What the post step needs to put a freshly downloaded model into the cache. */
export interface PendingModelSave {
  key: string;
  path: string;
}

export interface ResolvedModel {
  path: string;
  bytes: number;
  /** Known for downloaded and cached files; a local file is hashed only when a sha256 was expected. */
  sha256?: string;
  source: ModelSource;
  cacheHit: boolean;
  cacheKey?: string;
  /** Set on a cache miss with a cache: save it with saveModelToCache once the model has been used. */
  toSave?: PendingModelSave;
}

/**
 * The model file a run will load: a local file checked in place, or a remote model taken from
 * the cache (re-verified) or downloaded and verified. Nothing unverified is returned.
 */
export async function resolveModel(request: ResolveModelRequest): Promise<ResolvedModel> {
  const source = parseModelSource(request.model, process.cwd());
  if (source.kind === 'local') return resolveLocal(source.path, source, request.expectedSha256);

  const id = sourceId(source);
  const key = modelCacheKey(id, request.expectedSha256);
  const cached = await restoreFromCache(request, key);
  if (cached) return { ...cached, source, cacheHit: true, cacheKey: key };

  const remote = await locateRemote(source, request);
  const expectedSha256 = request.expectedSha256 ?? remote.publishedSha256;
  const destination = path.join(request.downloadDir, key, remote.fileName);
  request.log(`Downloading ${remote.url}${remote.bytes ? ` (${formatBytes(remote.bytes)})` : ''}`);
  const downloaded = await downloadModel({
    url: remote.url,
    destination,
    headers: remote.headers,
    ...(expectedSha256 !== undefined ? { expectedSha256 } : {}),
    ...(remote.bytes !== undefined ? { expectedBytes: remote.bytes } : {}),
    ...(remote.notFoundHint !== undefined ? { notFoundHint: remote.notFoundHint } : {}),
    log: request.log,
    ...request.transfer
  });
  await writeModelRecord(path.dirname(destination), { source: id, url: remote.url, file: remote.fileName, bytes: downloaded.bytes, sha256: downloaded.sha256 });
  return {
    path: downloaded.path,
    bytes: downloaded.bytes,
    sha256: downloaded.sha256,
    source,
    cacheHit: false,
    cacheKey: key,
    ...(request.cache ? { toSave: { key, path: downloaded.path } } : {})
  };
}

/**
 * Saves a model downloaded by resolveModel into the cache, after the run has used it, and only
 * if the file still verifies. Never throws: a cache that cannot be written costs the next run a
 * download, not this run its result.
 */
export async function saveModelToCache(
  cache: ModelCache,
  pending: PendingModelSave,
  log: (line: string) => void,
  warn: (line: string) => void
): Promise<boolean> {
  try {
    const record = await readModelRecord(path.dirname(pending.path));
    const problem = record ? await verifyAgainstRecord(pending.path, record) : 'its record is missing';
    if (problem) {
      warn(`The model was not cached: ${pending.path} no longer verifies (${problem}).`);
      return false;
    }
    log(`Saving ${path.basename(pending.path)} (${formatBytes(record!.bytes)}) to ${cache.description} under ${pending.key}`);
    await cache.save(pending.key, pending.path);
    return true;
  } catch (error) {
    warn(`The model was not cached in ${cache.description}: ${(error as Error).message}`);
    return false;
  }
}

async function resolveLocal(modelPath: string, source: ModelSource, expectedSha256: string | undefined): Promise<ResolvedModel> {
  const facts = await checkModelFile(modelPath);
  if (expectedSha256 === undefined) return { path: facts.path, bytes: facts.bytes, source, cacheHit: false };
  const sha256 = await sha256OfFile(facts.path);
  if (sha256 !== expectedSha256) {
    throw new InputError(
      'model-sha256',
      `${facts.path} has the sha256 ${sha256}, not ${expectedSha256}`,
      'Check that the model input names the file the checksum belongs to, or correct model-sha256'
    );
  }
  return { path: facts.path, bytes: facts.bytes, sha256, source, cacheHit: false };
}

async function restoreFromCache(request: ResolveModelRequest, key: string): Promise<{ path: string; bytes: number; sha256: string } | undefined> {
  const cache = request.cache;
  if (!cache) return undefined;
  let cachedPath: string | undefined;
  try {
    cachedPath = await cache.restore(key);
  } catch (error) {
    request.warn(`Could not read ${cache.description} (${(error as Error).message}); downloading the model instead.`);
    return undefined;
  }
  if (!cachedPath) {
    request.log(`The model is not in ${cache.description} yet (key ${key}).`);
    return undefined;
  }
  const record = await readModelRecord(path.dirname(cachedPath));
  const problem = record ? await verifyAgainstRecord(cachedPath, record, request.expectedSha256) : 'its record is missing';
  if (problem || !record) {
    request.warn(`The cached model ${cachedPath} failed verification (${problem}); it is discarded and downloaded again.`);
    await cache.discard(key).catch(() => undefined);
    return undefined;
  }
  request.log(`Using ${record.file} (${formatBytes(record.bytes)}) from ${cache.description}; sha256 ${record.sha256} verified.`);
  return { path: cachedPath, bytes: record.bytes, sha256: record.sha256 };
}

/** Why the file is not the one its record describes, or undefined when it is. */
async function verifyAgainstRecord(modelPath: string, record: ModelRecord, expectedSha256?: string): Promise<string | undefined> {
  if (expectedSha256 !== undefined && record.sha256 !== expectedSha256)
    return `it was recorded with sha256 ${record.sha256}, not the expected ${expectedSha256}`;
  let bytes: number;
  try {
    bytes = (await stat(modelPath)).size;
  } catch {
    return 'the file is missing';
  }
  if (bytes !== record.bytes) return `it has ${bytes} bytes, ${record.bytes} were recorded`;
  const sha256 = await sha256OfFile(modelPath);
  if (sha256 !== record.sha256) return `its sha256 is ${sha256}, ${record.sha256} was recorded`;
  try {
    await readGgufHeader(modelPath);
  } catch (error) {
    if (error instanceof GgufError) return error.message;
    throw error;
  }
  return undefined;
}

interface RemoteFile {
  url: string;
  fileName: string;
  headers: Record<string, string>;
  bytes?: number;
  publishedSha256?: string;
  notFoundHint?: string;
}

async function locateRemote(source: RemoteModelSource, request: ResolveModelRequest): Promise<RemoteFile> {
  if (source.kind === 'url') return { url: source.url, fileName: source.fileName, headers: {} };
  const settings = huggingFaceSettings(request.env);
  const file = await resolveHuggingFace(source, settings, { retries: request.transfer?.retries, retryDelayMs: request.transfer?.retryDelayMs });
  if (request.expectedSha256 !== undefined && file.sha256 !== undefined && file.sha256 !== request.expectedSha256) {
    throw new InputError(
      'model-sha256',
      `it is ${request.expectedSha256}, but Hugging Face lists ${file.file} in ${source.repo} with the sha256 ${file.sha256}`,
      'Check that model-sha256 belongs to this file; if the repository replaced the file, update the checksum after checking the new file'
    );
  }
  request.log(`${sourceId(source)} is ${file.file} in ${source.repo}${file.sha256 ? ` (sha256 ${file.sha256})` : ''}.`);
  return {
    url: file.url,
    fileName: path.posix.basename(file.file),
    headers: file.headers,
    notFoundHint: file.notFoundHint,
    ...(file.bytes !== undefined ? { bytes: file.bytes } : {}),
    ...(file.sha256 !== undefined ? { publishedSha256: file.sha256 } : {})
  };
}

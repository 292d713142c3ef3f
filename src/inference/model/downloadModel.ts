import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, statfs, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../../core/formatNumbers.js';
import { GgufError } from '../../gguf/errors.js';
import { readGgufHeader } from '../../gguf/readGgufHeader.js';
import { ModelNotFoundError } from '../errors.js';
import { ModelChecksumError, ModelDownloadError, NotEnoughDiskSpaceError } from './errors.js';
import { hashFileInto } from './hashFile.js';

export interface DownloadRequest {
  url: string;
  /** Final path. Bytes arrive in `<destination>.part`, which is renamed only once the file is verified. */
  destination: string;
  headers?: Readonly<Record<string, string>>;
  /** Lowercase hex sha256 the file must have; on a mismatch the file is deleted. */
  expectedSha256?: string;
  /** Size the file must have, when a listing published it. */
  expectedBytes?: number;
  /** Said after "answered 404 Not Found." and the like: what to check for this kind of source. */
  notFoundHint?: string;
  /** Progress and retry lines. */
  log?: (line: string) => void;
  /** Failed attempts in a row, each without a single new byte, after which the download gives up (default 5). */
  retries?: number;
  /** Wait before the first retry; it doubles each time, up to 30 s (default 2 s). */
  retryDelayMs?: number;
  /** An attempt that receives nothing for this long is abandoned and retried (default 60 s). */
  stallTimeoutMs?: number;
  /** Longest gap between progress lines; a line is also written at every 10% (default 15 s). */
  progressIntervalMs?: number;
  /** Bytes free for an unprivileged writer in `dir`; defaults to statfs. */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface DownloadedModel {
  path: string;
  bytes: number;
  sha256: string;
  /** Bytes that were already in a `.part` file when the download started. */
  resumedFromBytes: number;
  /** HTTP requests made, including retries. */
  requests: number;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** A transfer cut short in a way a later request may get past (network error, stall, 5xx). */
class TransferInterrupted extends Error {
  constructor(
    readonly reason: string,
    readonly receivedBytes: number
  ) {
    super(reason);
  }
}

/** What survives between attempts: the hash of the `.part` bytes so far, and what the server told us. */
interface TransferState {
  hash: Hash;
  hashedBytes: number;
  totalBytes?: number;
  /** A strong ETag (or Last-Modified) of the file, sent as If-Range so a changed file is never spliced onto old bytes. */
  validator?: string;
  diskChecked: boolean;
  requests: number;
}

/**
 * Downloads a model file: resumable (an existing `.part` continues with a Range request),
 * retried with backoff on network errors, stalls and 5xx, checked for disk space before the
 * body arrives, hashed while streaming, and verified (sha256 when expected, then the GGUF
 * header) before the atomic rename. Nothing unverified is ever left under `destination`.
 */
export async function downloadModel(request: DownloadRequest): Promise<DownloadedModel> {
  const partPath = `${request.destination}.part`;
  const label = path.basename(request.destination);
  const log = request.log ?? (() => undefined);
  const retries = request.retries ?? 5;
  const retryDelayMs = request.retryDelayMs ?? 2000;
  await mkdir(path.dirname(request.destination), { recursive: true });

  const resumedFromBytes = await sizeOf(partPath);
  if (resumedFromBytes > 0) log(`Resuming ${label} from ${formatBytes(resumedFromBytes)} already downloaded.`);
  const state: TransferState = { hash: createHash('sha256'), hashedBytes: 0, totalBytes: request.expectedBytes, diskChecked: false, requests: 0 };
  const progress = new ProgressLines(label, log, request.progressIntervalMs ?? 15_000);
  let failuresInARow = 0;
  for (;;) {
    const partBytes = await syncHashWithPart(state, partPath);
    if (state.totalBytes !== undefined && partBytes === state.totalBytes) break;
    try {
      await transfer(request, state, partPath, partBytes, progress);
      break;
    } catch (error) {
      if (!(error instanceof TransferInterrupted)) throw error;
      failuresInARow = error.receivedBytes > 0 ? 0 : failuresInARow + 1;
      if (failuresInARow > retries) {
        throw new ModelDownloadError(
          `Downloading ${request.url} failed ${failuresInARow} times in a row without progress; the last error: ${error.reason}. ` +
            'Check that the runner can reach the host (proxy, firewall), or download the file in an earlier step and pass its path.'
        );
      }
      const delay = error.receivedBytes > 0 ? Math.min(retryDelayMs, 1000) : Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2 ** (failuresInARow - 1));
      const done = await sizeOf(partPath);
      log(`${label}: transfer interrupted (${error.reason}) at ${formatBytes(done)}; retrying in ${formatDuration(delay)}, resuming from there.`);
      await sleep(delay);
    }
  }

  const bytes = await syncHashWithPart(state, partPath);
  const sha256 = state.hash.digest('hex');
  try {
    if (state.totalBytes !== undefined && bytes !== state.totalBytes) {
      throw new ModelDownloadError(
        `${request.url} delivered ${bytes} bytes where ${state.totalBytes} were announced. Run again; if it repeats, the server is serving a broken file.`
      );
    }
    if (request.expectedSha256 !== undefined && sha256 !== request.expectedSha256) {
      throw new ModelChecksumError(
        `${label} (downloaded from ${request.url})`,
        request.expectedSha256,
        sha256,
        "The file was deleted. Check model-sha256 against the publisher's checksum; if it is right, the server delivered a different file."
      );
    }
    await readGgufHeader(partPath);
  } catch (error) {
    await rm(partPath, { force: true });
    if (error instanceof GgufError) {
      throw new ModelDownloadError(`${request.url} did not deliver a usable GGUF model, so it was deleted and not cached: ${error.message}`);
    }
    throw error;
  }
  await rename(partPath, request.destination);
  progress.finished(bytes, resumedFromBytes);
  return { path: request.destination, bytes, sha256, resumedFromBytes, requests: state.requests };
}

/** One request: appends what arrives to the `.part`; resolves once the file is complete. */
async function transfer(request: DownloadRequest, state: TransferState, partPath: string, partBytes: number, progress: ProgressLines): Promise<void> {
  const headers: Record<string, string> = { 'accept-encoding': 'identity', ...request.headers };
  if (partBytes > 0) {
    headers.range = `bytes=${partBytes}-`;
    if (state.validator) headers['if-range'] = state.validator;
  }
  const controller = new AbortController();
  const stallMs = request.stallTimeoutMs ?? 60_000;
  let stallTimer = setTimeout(() => controller.abort(), stallMs);
  const keepAlive = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => controller.abort(), stallMs);
  };
  let received = 0;
  let handle: FileHandle | undefined;
  try {
    state.requests++;
    let response: Response;
    try {
      response = await fetch(request.url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw new TransferInterrupted(describeNetworkError(error, controller, stallMs), 0);
    }
    const start = await acceptResponse(request, state, partPath, partBytes, response, progress).catch(async (error: unknown) => {
      await response.body?.cancel().catch(() => undefined);
      throw error;
    });
    if (start === 'complete') return;

    handle = await open(partPath, start === 0 ? 'w' : 'a');
    if (start === 0) {
      state.hash = createHash('sha256');
      state.hashedBytes = 0;
    }
    progress.started(state.hashedBytes);
    if (response.body) {
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          keepAlive();
          await writeAll(handle, chunk, request.destination);
          state.hash.update(chunk);
          state.hashedBytes += chunk.length;
          received += chunk.length;
          progress.update(state.hashedBytes, state.totalBytes);
        }
      } catch (error) {
        if (error instanceof NotEnoughDiskSpaceError) throw error;
        throw new TransferInterrupted(describeNetworkError(error, controller, stallMs), received);
      }
    }
    if (state.totalBytes !== undefined && state.hashedBytes < state.totalBytes) {
      throw new TransferInterrupted(`the connection closed at ${formatBytes(state.hashedBytes)} of ${formatBytes(state.totalBytes)}`, received);
    }
  } finally {
    clearTimeout(stallTimer);
    await handle?.close();
  }
}

/**
 * Reads the status and headers of a response: the byte offset its body starts at, or
 * 'complete' when the `.part` already holds the whole file (416 with our size).
 */
async function acceptResponse(
  request: DownloadRequest,
  state: TransferState,
  partPath: string,
  partBytes: number,
  response: Response,
  progress: ProgressLines
): Promise<number | 'complete'> {
  if (response.status === 416 && partBytes > 0) {
    const total = Number(response.headers.get('content-range')?.match(/^bytes \*\/(\d+)$/)?.[1]);
    await response.body?.cancel();
    if (total === partBytes) {
      state.totalBytes = total;
      return 'complete';
    }
    await truncate(partPath, 0);
    throw new TransferInterrupted(`the server refused to resume at byte ${partBytes}; starting over`, 0);
  }
  if (!response.ok) throw httpFailure(request, response);
  let start = partBytes;
  if (response.status === 206) {
    const range = response.headers.get('content-range')?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
    if (!range || Number(range[1]) !== partBytes) {
      await truncate(partPath, 0);
      throw new TransferInterrupted(
        `the server answered the resume request with another range (${response.headers.get('content-range') ?? 'none'}); starting over`,
        0
      );
    }
    if (range[3] !== '*') noteTotal(request, state, Number(range[3]));
  } else {
    // 200: a fresh start, or the server ignored the Range (or the If-Range no longer matched).
    if (partBytes > 0) progress.note('the server sent the whole file instead of the rest; starting over');
    start = 0;
    const length = response.headers.get('content-length');
    if (length !== null && /^\d+$/.test(length)) noteTotal(request, state, Number(length));
  }
  state.validator ??= strongValidator(response);
  await checkDiskSpace(request, state, start);
  return start;
}

function noteTotal(request: DownloadRequest, state: TransferState, total: number): void {
  if (request.expectedBytes !== undefined && total !== request.expectedBytes) {
    throw new ModelDownloadError(
      `${request.url} announces ${total} bytes but the file is listed with ${request.expectedBytes}. The server is serving another file; check the model input.`
    );
  }
  state.totalBytes = total;
}

/** If-Range needs a strong validator; a weak ETag would let a changed file be spliced. */
function strongValidator(response: Response): string | undefined {
  const etag = response.headers.get('etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return response.headers.get('last-modified') ?? undefined;
}

async function checkDiskSpace(request: DownloadRequest, state: TransferState, start: number): Promise<void> {
  if (state.diskChecked || state.totalBytes === undefined) return;
  state.diskChecked = true;
  const dir = path.dirname(request.destination);
  const needed = state.totalBytes - start;
  const free = await (request.freeBytes ?? freeBytesOnDisk)(dir);
  if (needed > free) {
    throw new NotEnoughDiskSpaceError(
      `Downloading ${path.basename(request.destination)} needs ${formatGiB(needed)} GiB, but only ${formatGiB(free)} GiB are free in ${dir}. ` +
        'Free disk space (on GitHub-hosted runners, remove unused toolchains first), or run where RUNNER_TEMP (model-cache: actions or none) or RUNNER_TOOL_CACHE (model-cache: tool-cache) is on a larger disk, or use a smaller quantization.'
    );
  }
}

export async function freeBytesOnDisk(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, destination: string): Promise<void> {
  try {
    let offset = 0;
    while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new NotEnoughDiskSpaceError(
        `The disk filled up while downloading ${path.basename(destination)} into ${path.dirname(destination)}. Free disk space or use a smaller quantization.`
      );
    }
    throw error;
  }
}

function httpFailure(request: DownloadRequest, response: Response): Error {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 404 || response.status === 410 || response.status === 401 || response.status === 403) {
    const hint =
      request.notFoundHint ??
      (response.status === 401 || response.status === 403
        ? 'The file needs credentials this run does not have; download it in an earlier step and pass its path.'
        : 'Check the URL: it must point at the .gguf file itself.');
    return new ModelNotFoundError(`${request.url} answered ${status}. ${hint}`);
  }
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    return new TransferInterrupted(`HTTP ${status}`, 0);
  }
  return new ModelDownloadError(`${request.url} answered ${status}. Check the URL; it must point at the .gguf file itself.`);
}

function describeNetworkError(error: unknown, controller: AbortController, stallMs: number): string {
  if (controller.signal.aborted) return `no data for ${formatDuration(stallMs)}`;
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

/** Makes the running hash cover exactly the bytes in the `.part` (after a failed write or at a resume from disk). */
async function syncHashWithPart(state: TransferState, partPath: string): Promise<number> {
  const partBytes = await sizeOf(partPath);
  if (state.totalBytes !== undefined && partBytes > state.totalBytes) {
    await truncate(partPath, 0);
    return syncHashWithPart(state, partPath);
  }
  if (partBytes !== state.hashedBytes) {
    state.hash = createHash('sha256');
    state.hashedBytes = await hashFileInto(state.hash, partPath, partBytes);
  }
  return partBytes;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function formatGiB(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(2);
}

/** Progress lines no more often than every 10% or every interval, so a 5 GB download stays readable in a CI log. */
class ProgressLines {
  private startedAt = 0;
  private startBytes = 0;
  private lastAt = 0;
  private lastTenth = -1;

  constructor(
    private readonly label: string,
    private readonly log: (line: string) => void,
    private readonly intervalMs: number
  ) {}

  started(bytesAlready: number): void {
    if (this.startedAt === 0) {
      this.startedAt = performance.now();
      this.startBytes = bytesAlready;
      this.lastAt = this.startedAt;
    }
  }

  note(message: string): void {
    this.log(`${this.label}: ${message}`);
  }

  update(done: number, total: number | undefined): void {
    const now = performance.now();
    const tenth = total ? Math.floor((done / total) * 10) : -1;
    if (tenth <= this.lastTenth && now - this.lastAt < this.intervalMs) return;
    if (total !== undefined && done >= total) return; // the final line says it
    this.lastAt = now;
    this.lastTenth = Math.max(this.lastTenth, tenth);
    const rate = this.rate(done, now);
    const parts = [total ? `${formatBytes(done)} of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)` : formatBytes(done)];
    if (rate > 0) {
      parts.push(`${(rate / 1e6).toFixed(1)} MB/s`);
      if (total) parts.push(`about ${formatDuration(((total - done) / rate) * 1000)} left`);
    }
    this.log(`${this.label}: ${parts.join(', ')}`);
  }

  finished(bytes: number, resumedFromBytes: number): void {
    const elapsed = this.startedAt === 0 ? 0 : performance.now() - this.startedAt;
    const rate = this.rate(bytes, performance.now());
    const resumed = resumedFromBytes > 0 ? `, resumed from ${formatBytes(resumedFromBytes)}` : '';
    this.log(
      `${this.label}: downloaded ${formatBytes(bytes)} in ${formatDuration(elapsed)}${rate > 0 ? ` (${(rate / 1e6).toFixed(1)} MB/s)` : ''}${resumed}, verified.`
    );
  }

  /** Bytes per second over this run's transfer only, not counting bytes resumed from disk. */
  private rate(done: number, now: number): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? (done - this.startBytes) / seconds : 0;
  }
}

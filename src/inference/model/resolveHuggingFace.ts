import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelNotFoundError } from '../errors.js';
import { ModelDownloadError } from './errors.js';
import { isAllowedUrl, type ModelSource } from './ModelSource.js';

export type HuggingFaceSource = Extract<ModelSource, { kind: 'hf' }>;

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** The Hub to talk to: HF_ENDPOINT (a mirror, or a loopback server in tests) and HF_TOKEN for gated or private models. */
export interface HuggingFaceSettings {
  endpoint: string;
  token?: string;
}

/** A file on the Hub, ready to download. */
export interface HuggingFaceFile {
  url: string;
  /** Path of the file in the repository. */
  file: string;
  /** Request headers the download needs (the token). */
  headers: Record<string, string>;
  /** Published by the Hub's listing for LFS files; lets the download check size and hash without being told. */
  sha256?: string;
  bytes?: number;
  /** What to say after a 401/403/404 on the download. */
  notFoundHint: string;
}

/** Quantization picked when `hf:<owner>/<repo>` names none and the repository has several: the usual size/quality balance. */
export const DEFAULT_QUANT = 'Q4_K_M';

const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/i;

export function huggingFaceSettings(env: NodeJS.ProcessEnv = process.env): HuggingFaceSettings {
  const endpoint = (env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ModelDownloadError(
      `HF_ENDPOINT "${endpoint}" is not a URL. Set it to the Hub or mirror address, for example https://huggingface.co, or unset it.`
    );
  }
  if (!isAllowedUrl(url)) {
    throw new ModelDownloadError(`HF_ENDPOINT "${endpoint}" is plain http, which anyone on the network path can alter. Use the mirror's https:// address.`);
  }
  const token = env.HF_TOKEN?.trim();
  return token ? { endpoint, token } : { endpoint };
}

/**
 * Turns an `hf:` source into a download. The repository is listed (`GET /api/models/<repo>?blobs=true`);
 * a named file is looked up in it, a quantization picks the one .gguf of that quantization.
 */
export async function resolveHuggingFace(
  source: HuggingFaceSource,
  settings: HuggingFaceSettings,
  retry: { retries?: number; retryDelayMs?: number } = {}
): Promise<HuggingFaceFile> {
  const headers: Record<string, string> = settings.token ? { authorization: `Bearer ${settings.token}` } : {};
  const notFoundHint = accessHint(source.repo, settings);
  // Listed even when the file is named: a wrong name fails here with the repository's real
  // files in the message, and the listing gives the size and sha256 the download is checked against.
  const siblings = await listRepository(source.repo, settings, headers, retry);
  const names = siblings.map((s) => s.rfilename);
  const file = source.file !== undefined ? findNamedFile(names, source.file, source.repo) : chooseGgufFile(names, source.quant, source.repo);
  const sibling = siblings.find((s) => s.rfilename === file);
  const sha256 = sibling?.lfs?.sha256;
  const bytes = sibling?.lfs?.size ?? sibling?.size;
  return {
    url: resolveUrl(settings.endpoint, source.repo, file),
    file,
    headers,
    notFoundHint,
    ...(typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) ? { sha256 } : {}),
    ...(typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes > 0 ? { bytes } : {})
  };
}

/**
 * The one .gguf in `files` for `quant` (case-insensitive): first as a whole word of the file
 * name (so Q4_0 does not take Q4_0_4_4, nor Q4_K_M take IQ4_K_M), else anywhere in it. A
 * quantization published only as a split set (-00001-of-0000N.gguf) is refused for now.
 */
export function chooseGgufFile(files: readonly string[], quant: string | undefined, repo: string): string {
  const models = files.filter((f) => /\.gguf$/i.test(f) && !/mmproj/i.test(path.posix.basename(f)));
  if (models.length === 0) {
    throw new ModelNotFoundError(
      `The Hugging Face repository ${repo} has no .gguf files. Use a repository that publishes GGUF quantizations (their names usually end in -GGUF).`
    );
  }
  let wanted = quant;
  if (wanted === undefined) {
    const singles = models.filter((f) => !SPLIT_PART.test(f));
    if (singles.length === 1 && models.length === 1) return singles[0]!;
    wanted = DEFAULT_QUANT;
  }
  const candidates = matching(models, wanted);
  const singles = candidates.filter((f) => !SPLIT_PART.test(f));
  if (singles.length === 1) return singles[0]!;
  if (singles.length > 1) {
    throw new ModelNotFoundError(
      `"${wanted}" matches ${singles.length} files in ${repo}: ${singles.join(', ')}. Give the file itself: hf:${repo}/<file>.gguf, or a longer quantization name.`
    );
  }
  if (candidates.length > 0) throw splitModelError(repo, candidates[0]!);
  const available = summarize(models);
  throw new ModelNotFoundError(
    `${repo} has no .gguf file for the quantization "${wanted}"${quant === undefined ? ' (used when the model input names none)' : ''}. ` +
      `Its GGUF files: ${available}. Name one of these quantizations (hf:${repo}:<quant>) or the file (hf:${repo}/<file>.gguf).`
  );
}

function findNamedFile(files: readonly string[], file: string, repo: string): string {
  // The Hub's paths are case-sensitive; forgive the case when it is unambiguous.
  const sameLetters = files.filter((f) => f.toLowerCase() === file.toLowerCase());
  const found = files.includes(file) ? file : sameLetters.length === 1 ? sameLetters[0] : undefined;
  if (found !== undefined) {
    if (SPLIT_PART.test(found)) throw splitModelError(repo, found);
    return found;
  }
  const models = files.filter((f) => /\.gguf$/i.test(f));
  throw new ModelNotFoundError(
    `${repo} has no file ${file}. ${models.length > 0 ? `Its GGUF files: ${summarize(models)}.` : 'It has no .gguf files at all; use a repository that publishes GGUF quantizations.'}`
  );
}

function splitModelError(repo: string, firstPart: string): ModelNotFoundError {
  const parts = Number(firstPart.match(SPLIT_PART)?.[2]);
  return new ModelNotFoundError(
    `${firstPart} in ${repo} is one part of a model split into ${parts} files, and split models are not supported yet. ` +
      "Pick a quantization published as one file, or join the parts in an earlier step (llama-gguf-split --merge) and pass the merged file's path."
  );
}

function matching(models: readonly string[], quant: string): string[] {
  const escaped = quant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const word = new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`, 'i');
  const byWord = models.filter((f) => word.test(path.posix.basename(f)));
  if (byWord.length > 0) return byWord;
  const lower = quant.toLowerCase();
  return models.filter((f) => path.posix.basename(f).toLowerCase().includes(lower));
}

/** File names for an error message: split sets shown once, at most 20 names. */
function summarize(models: readonly string[]): string {
  const names = [...new Set(models.map((f) => f.replace(SPLIT_PART, '-*-of-$2.gguf')))];
  return names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', ');
}

export function resolveUrl(endpoint: string, repo: string, file: string): string {
  return `${endpoint}/${repo}/resolve/main/${file.split('/').map(encodeURIComponent).join('/')}`;
}

interface Sibling {
  rfilename: string;
  size?: number;
  lfs?: { sha256?: string; size?: number };
}

async function listRepository(
  repo: string,
  settings: HuggingFaceSettings,
  headers: Record<string, string>,
  retry: { retries?: number; retryDelayMs?: number }
): Promise<Sibling[]> {
  const url = `${settings.endpoint}/api/models/${repo}?blobs=true`;
  const retries = retry.retries ?? 3;
  const delayMs = retry.retryDelayMs ?? 2000;
  for (let attempt = 0; ; attempt++) {
    let failure: string;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(60_000) });
      if (response.ok) {
        const body = (await response.json()) as { siblings?: unknown };
        if (!Array.isArray(body.siblings)) {
          throw new ModelDownloadError(`${url} answered without a file list (no "siblings"). Check HF_ENDPOINT: it must be the Hub or a mirror of its API.`);
        }
        return body.siblings.filter((s): s is Sibling => typeof (s as Sibling)?.rfilename === 'string');
      }
      await response.body?.cancel();
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        throw new ModelNotFoundError(`Hugging Face answered ${response.status} for the repository ${repo} (${url}). ${accessHint(repo, settings)}`);
      }
      if (response.status < 500 && response.status !== 429 && response.status !== 408) {
        throw new ModelDownloadError(`${url} answered ${response.status} ${response.statusText}. Check HF_ENDPOINT and the model input.`);
      }
      failure = `HTTP ${response.status}`;
    } catch (error) {
      if (error instanceof ModelNotFoundError || error instanceof ModelDownloadError) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      failure = `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
    }
    if (attempt >= retries) {
      throw new ModelDownloadError(
        `Listing the files of ${repo} at ${url} failed ${attempt + 1} times; the last error: ${failure}. Check that the runner can reach ${settings.endpoint} (or set HF_ENDPOINT to a reachable mirror).`
      );
    }
    await sleep(Math.min(30_000, delayMs * 2 ** attempt));
  }
}

function accessHint(repo: string, settings: HuggingFaceSettings): string {
  const page = `${settings.endpoint}/${repo}`;
  return settings.token
    ? `Check the spelling of ${repo} and the file, that HF_TOKEN can read the repository, and, for a gated model, that its license was accepted at ${page}.`
    : `Check the spelling of ${repo} and the file. A private or gated model needs HF_TOKEN (a read token of an account that accepted the license at ${page}).`;
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../core/InputError.js';

/** Where a model comes from, as the `model` input names it. */
export type ModelSource =
  { kind: 'local'; path: string } | { kind: 'url'; url: string; fileName: string } | { kind: 'hf'; repo: string; quant?: string; file?: string };

export type RemoteModelSource = Exclude<ModelSource, { kind: 'local' }>;

const FORMS =
  'Use a local path to a .gguf file, an https:// URL of one, hf:<owner>/<repo>:<quant> (for example hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q5_K_M) or hf:<owner>/<repo>/<file>.gguf';

/** One part of a Hugging Face repository id ("owner" or "repo"): what the Hub accepts. */
const REPO_PART = /^[A-Za-z0-9][\w.-]*$/;

/** A quantization name as it appears in GGUF file names: Q4_K_M, IQ4_XS, Q8_0, F16, BF16, UD-Q4_K_XL. */
const QUANT = /^[A-Za-z0-9][\w.-]*$/;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Reads the `model` input. Local paths are resolved against `cwd`; remote forms are checked for
 * shape only (whether the file exists is only known on download).
 */
export function parseModelSource(model: string, cwd: string): ModelSource {
  const text = model.trim();
  if (text === '') throw new InputError('model', 'it is empty', FORMS);
  if (/^hf:/i.test(text)) return parseHuggingFace(text, text.slice(3));
  const scheme = text.match(/^([A-Za-z][A-Za-z0-9+.-]*):/)?.[1];
  // One letter before the colon is a Windows drive (C:\models\m.gguf), not a scheme.
  if (scheme === undefined || scheme.length === 1) return { kind: 'local', path: path.resolve(cwd, text) };
  const lower = scheme.toLowerCase();
  if (lower === 'file') return { kind: 'local', path: fileUrlPath(text) };
  if (lower === 'http' || lower === 'https') return parseUrl(text);
  throw new InputError('model', `"${text}" uses the unknown scheme "${scheme}:"`, FORMS);
}

/** The same source written the one way the cache key is made from, so equal models share a key. */
export function sourceId(source: RemoteModelSource): string {
  if (source.kind === 'url') return source.url;
  if (source.file !== undefined) return `hf:${source.repo}/${source.file}`;
  return source.quant === undefined ? `hf:${source.repo}` : `hf:${source.repo}:${source.quant.toUpperCase()}`;
}

/** True for http(s) URLs this action may fetch: https anywhere, plain http only on this machine. */
export function isAllowedUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

function parseUrl(text: string): ModelSource {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError('model', `"${text}" is not a valid URL`, FORMS);
  }
  if (!isAllowedUrl(url)) {
    throw new InputError(
      'model',
      `"${text}" is a plain http:// URL, which anyone on the network path can alter`,
      'Use the https:// address of the file (plain http is only accepted for 127.0.0.1 and localhost)'
    );
  }
  const fileName = safeDecode(url.pathname.split('/').pop() ?? '');
  if (!/\.gguf$/i.test(fileName)) {
    throw new InputError('model', `the URL "${text}" does not name a .gguf file`, 'Give the address of the .gguf file itself, not of a page or folder');
  }
  if (/[\\/\0]/.test(fileName) || fileName.startsWith('.')) {
    throw new InputError('model', `the URL "${text}" ends in an unusable file name "${fileName}"`, 'Give a URL whose last path segment is the .gguf file name');
  }
  return { kind: 'url', url: url.href, fileName };
}

function parseHuggingFace(text: string, rest: string): ModelSource {
  // hf:<owner>/<repo>:<quant>  or  hf:<owner>/<repo>/<path/to/file>.gguf  or  hf:<owner>/<repo>
  const colon = rest.indexOf(':');
  const repoAndFile = colon === -1 ? rest : rest.slice(0, colon);
  const quant = colon === -1 ? undefined : rest.slice(colon + 1);
  const [owner, repoName, ...fileParts] = repoAndFile.split('/');
  if (!owner || !repoName || !REPO_PART.test(owner) || !REPO_PART.test(repoName)) {
    throw new InputError('model', `"${text}" does not name a Hugging Face repository as <owner>/<repo>`, FORMS);
  }
  const repo = `${owner}/${repoName}`;
  if (fileParts.length > 0) {
    const file = fileParts.join('/');
    if (quant !== undefined)
      throw new InputError('model', `"${text}" gives both a file and a quantization`, 'Give either hf:<owner>/<repo>:<quant> or hf:<owner>/<repo>/<file>.gguf');
    if (!/\.gguf$/i.test(file) || fileParts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new InputError('model', `"${file}" in "${text}" is not the path of a .gguf file in the repository`, FORMS);
    }
    return { kind: 'hf', repo, file };
  }
  if (quant !== undefined) {
    if (!QUANT.test(quant))
      throw new InputError(
        'model',
        `"${quant}" in "${text}" is not a quantization name`,
        `${FORMS}; the quantization is the part of the file name such as Q4_K_M or Q8_0`
      );
    return { kind: 'hf', repo, quant };
  }
  return { kind: 'hf', repo };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function fileUrlPath(text: string): string {
  try {
    return fileURLToPath(text);
  } catch (error) {
    throw new InputError(
      'model',
      `"${text}" is not a usable file: URL (${(error as Error).message})`,
      'Give the path of the .gguf file, for example models/model.gguf'
    );
  }
}

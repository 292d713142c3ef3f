import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActionRunner } from '../../src/action/ActionRunner.js';
import { State } from '../../src/action/constants.js';
import { runPost } from '../../src/action/runPost.js';
import { InputError } from '../../src/core/InputError.js';
import { writeGgufFile } from '../../src/gguf/GgufWriter.js';
import { ModelNotFoundError } from '../../src/inference/errors.js';
import { downloadModel } from '../../src/inference/model/downloadModel.js';
import { ModelChecksumError, ModelDownloadError, NotEnoughDiskSpaceError } from '../../src/inference/model/errors.js';
import { DirectoryModelCache, ENTRY_RECORD, entryDirectory, modelCacheKey } from '../../src/inference/model/ModelCache.js';
import { resolveModel, saveModelToCache, type ResolveModelRequest } from '../../src/inference/model/resolveModel.js';
import { etagOf, startFakeModelServer, type FakeModelServer } from '../support/fakeModelServer.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const fast = { retries: 2, retryDelayMs: 10, stallTimeoutMs: 5000 };

let server: FakeModelServer;
let root: string;
let model: Buffer;
let lines: string[];
let warnings: string[];

/** A small but complete GGUF (header, metadata and 256 KiB of tensor data), so a cut copy is detectably truncated. */
async function writeSmallModel(file: string): Promise<Buffer> {
  const data = Float32Array.from({ length: 64 * 1024 }, (_, i) => Math.sin(i));
  await writeGgufFile(file, {
    metadata: { 'general.architecture': 'llama', 'general.name': 'download test' },
    tensors: [{ name: 'weights', shape: [256, 256], type: 'F32', data }]
  });
  return readFile(file);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-download-'));
  model = await writeSmallModel(path.join(root, 'source.gguf'));
  server = await startFakeModelServer();
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

let dir: string;
beforeEach(async () => {
  server.requests.length = 0;
  lines = [];
  warnings = [];
  dir = await mkdtemp(path.join(root, 'case-'));
});

const log = (l: string): void => void lines.push(l);

describe('downloadModel', () => {
  it('downloads, hashes and verifies a model, leaving only the final file', async () => {
    server.route('/m/model.gguf', { kind: 'file', body: model });
    const destination = path.join(dir, 'model.gguf');
    const result = await downloadModel({ url: `${server.url}/m/model.gguf`, destination, log, ...fast });
    expect(result).toEqual({ path: destination, bytes: model.length, sha256: sha256(model), resumedFromBytes: 0, requests: 1 });
    expect((await readFile(destination)).equals(model)).toBe(true);
    expect(await readdir(dir)).toEqual(['model.gguf']);
    expect(server.requests[0]!.headers['accept-encoding']).toBe('identity');
    expect(lines.at(-1)).toMatch(/^model\.gguf: downloaded 2\d\d\.\d KiB in .*, verified\.$/);
  });

  it('resumes with a Range request after the server cuts the connection mid-body', async () => {
    server.route('/m/cut.gguf', { kind: 'cut', body: model, cutAt: 100_000 });
    const destination = path.join(dir, 'cut.gguf');
    const result = await downloadModel({ url: `${server.url}/m/cut.gguf`, destination, log, ...fast });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.headers.range).toBeUndefined();
    const resumedAt = Number(server.requests[1]!.headers.range?.match(/^bytes=(\d+)-$/)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(server.requests[1]!.headers['if-range']).toBe(etagOf(model));
    expect(result.sha256).toBe(sha256(model));
    expect((await readFile(destination)).equals(model)).toBe(true);
    expect(lines.some((l) => /transfer interrupted .* retrying/.test(l))).toBe(true);
  });

  it('continues a .part left by an earlier run, hashing the bytes already there', async () => {
    server.route('/m/part.gguf', { kind: 'file', body: model });
    const destination = path.join(dir, 'part.gguf');
    await writeFile(`${destination}.part`, model.subarray(0, 50_000));
    const result = await downloadModel({ url: `${server.url}/m/part.gguf`, destination, log, ...fast });
    expect(server.requests.map((r) => r.headers.range)).toEqual(['bytes=50000-']);
    expect(result).toMatchObject({ bytes: model.length, sha256: sha256(model), resumedFromBytes: 50_000 });
    expect(existsSync(`${destination}.part`)).toBe(false);
  });

  it('starts over when the server ignores the Range and sends the whole file (200)', async () => {
    server.route('/m/norange.gguf', { kind: 'file', body: model, ignoreRange: true });
    const destination = path.join(dir, 'norange.gguf');
    await writeFile(`${destination}.part`, Buffer.alloc(30_000, 7));
    const result = await downloadModel({ url: `${server.url}/m/norange.gguf`, destination, log, ...fast });
    expect(server.requests[0]!.headers.range).toBe('bytes=30000-');
    expect(result.sha256).toBe(sha256(model));
    expect((await readFile(destination)).equals(model)).toBe(true);
  });

  it('takes a 416 for a .part that is already complete as done, without a body', async () => {
    server.route('/m/done.gguf', { kind: 'file', body: model });
    const destination = path.join(dir, 'done.gguf');
    await writeFile(`${destination}.part`, model);
    const result = await downloadModel({ url: `${server.url}/m/done.gguf`, destination, log, ...fast });
    expect(server.requests.map((r) => r.headers.range)).toEqual([`bytes=${model.length}-`]);
    expect(result).toMatchObject({ bytes: model.length, sha256: sha256(model) });
  });

  it('retries a 503 and then succeeds', async () => {
    server.route('/m/busy.gguf', { kind: 'status', status: 503, times: 2, body: model });
    const result = await downloadModel({ url: `${server.url}/m/busy.gguf`, destination: path.join(dir, 'busy.gguf'), log, ...fast });
    expect(server.requests).toHaveLength(3);
    expect(result.sha256).toBe(sha256(model));
  });

  it('gives up after the retries when the server keeps failing, naming the last error', async () => {
    server.route('/m/down.gguf', { kind: 'status', status: 502 });
    const attempt = downloadModel({ url: `${server.url}/m/down.gguf`, destination: path.join(dir, 'down.gguf'), log, ...fast });
    await expect(attempt).rejects.toThrow(/failed 3 times in a row without progress; the last error: HTTP 502/);
    expect(server.requests).toHaveLength(3);
  });

  it('turns a 404 into ModelNotFoundError that says what to check, without retrying', async () => {
    const attempt = downloadModel({ url: `${server.url}/m/missing.gguf`, destination: path.join(dir, 'missing.gguf'), log, ...fast });
    await expect(attempt).rejects.toThrow(ModelNotFoundError);
    await expect(downloadModel({ url: `${server.url}/m/missing.gguf`, destination: path.join(dir, 'missing.gguf'), ...fast })).rejects.toThrow(
      /missing\.gguf answered 404 Not Found\. Check the URL/
    );
    expect(server.requests).toHaveLength(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('deletes a file whose sha256 is not the expected one', async () => {
    server.route('/m/sum.gguf', { kind: 'file', body: model });
    const destination = path.join(dir, 'sum.gguf');
    const wrong = 'a'.repeat(64);
    const attempt = downloadModel({ url: `${server.url}/m/sum.gguf`, destination, expectedSha256: wrong, ...fast });
    await expect(attempt).rejects.toThrow(ModelChecksumError);
    await expect(downloadModel({ url: `${server.url}/m/sum.gguf`, destination, expectedSha256: wrong, ...fast })).rejects.toThrow(
      new RegExp(`sha256 of sum\\.gguf .* is ${sha256(model)}, not the expected ${wrong}\\. The file was deleted`)
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a truncated GGUF served with a consistent Content-Length, and keeps nothing', async () => {
    server.route('/m/short.gguf', { kind: 'file', body: model.subarray(0, 150_000) });
    const destination = path.join(dir, 'short.gguf');
    const attempt = downloadModel({ url: `${server.url}/m/short.gguf`, destination, ...fast });
    await expect(attempt).rejects.toThrow(ModelDownloadError);
    await expect(downloadModel({ url: `${server.url}/m/short.gguf`, destination, ...fast })).rejects.toThrow(
      /did not deliver a usable GGUF model.*truncated GGUF file/
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a page that is not GGUF at all', async () => {
    server.route('/m/page.gguf', { kind: 'file', body: Buffer.from('<!DOCTYPE html><html><body>Sign in</body></html>') });
    await expect(downloadModel({ url: `${server.url}/m/page.gguf`, destination: path.join(dir, 'page.gguf'), ...fast })).rejects.toThrow(
      /not a GGUF model \(it is an HTML/
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('checks free disk space against Content-Length before writing the body', async () => {
    server.route('/m/big.gguf', { kind: 'file', body: model });
    const attempt = downloadModel({ url: `${server.url}/m/big.gguf`, destination: path.join(dir, 'big.gguf'), freeBytes: async () => 1000, ...fast });
    await expect(attempt).rejects.toThrow(NotEnoughDiskSpaceError);
    await expect(
      downloadModel({ url: `${server.url}/m/big.gguf`, destination: path.join(dir, 'big.gguf'), freeBytes: async () => 1000, ...fast })
    ).rejects.toThrow(new RegExp(`needs 0\\.00 GiB, but only 0\\.00 GiB are free in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*RUNNER_TEMP`));
  });

  it('writes progress lines with size, percent, speed and time left', async () => {
    server.route('/m/slow.gguf', { kind: 'cut', body: model, cutAt: 200_000 });
    await downloadModel({ url: `${server.url}/m/slow.gguf`, destination: path.join(dir, 'slow.gguf'), log, ...fast, progressIntervalMs: 0 });
    const progress = lines.filter((l) => / of 2\d\d\.\d KiB \(\d+%\)/.test(l));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((l) => /MB\/s, about .* left$/.test(l))).toBe(true);
  });
});

describe('resolveModel', () => {
  const repo = 'test-org/Coder-GGUF';
  const file = 'Coder-Q4_K_M.gguf';

  function listing(extra: object[] = [], lfsSha = sha256(model)): unknown {
    return {
      id: repo,
      siblings: [
        { rfilename: 'README.md' },
        { rfilename: 'Coder-Q4_K_S.gguf', size: 10 },
        { rfilename: file, size: model.length, lfs: { sha256: lfsSha, size: model.length } },
        { rfilename: 'Coder-Q8_0-00001-of-00002.gguf' },
        { rfilename: 'Coder-Q8_0-00002-of-00002.gguf' },
        { rfilename: 'mmproj-Coder-f16.gguf' },
        ...extra
      ]
    };
  }

  function request(overrides: Partial<ResolveModelRequest>): ResolveModelRequest {
    return {
      model: `hf:${repo}:q4_k_m`,
      downloadDir: path.join(dir, 'downloads'),
      log,
      warn: (l) => void warnings.push(l),
      env: { HF_ENDPOINT: server.url, HF_TOKEN: 'hf_secret' },
      transfer: fast,
      ...overrides
    };
  }

  beforeEach(() => {
    server.route(`/api/models/${repo}`, { kind: 'json', value: listing() });
    server.route(`/${repo}/resolve/main/${file}`, { kind: 'file', body: model });
  });

  it('resolves hf:<repo>:<quant> through the listing API, downloads with the token, and restores the second time without any request', async () => {
    const cache = new DirectoryModelCache(path.join(dir, 'tool-cache'));
    const first = await resolveModel(request({ cache }));
    const key = modelCacheKey(`hf:${repo}:Q4_K_M`);
    expect(first).toEqual({
      path: path.join(dir, 'downloads', key, file),
      bytes: model.length,
      sha256: sha256(model),
      source: { kind: 'hf', repo, quant: 'q4_k_m' },
      cacheHit: false,
      cacheKey: key,
      toSave: { key, path: path.join(dir, 'downloads', key, file) }
    });
    expect(server.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      [`/api/models/${repo}?blobs=true`, 'Bearer hf_secret'],
      [`/${repo}/resolve/main/${file}`, 'Bearer hf_secret']
    ]);
    expect(JSON.parse(await readFile(path.join(dir, 'downloads', key, ENTRY_RECORD), 'utf8'))).toEqual({
      source: `hf:${repo}:Q4_K_M`,
      url: `${server.url}/${repo}/resolve/main/${file}`,
      file,
      bytes: model.length,
      sha256: sha256(model)
    });

    expect(await saveModelToCache(cache, first.toSave!, log, (l) => void warnings.push(l))).toBe(true);
    expect(warnings).toEqual([]);
    server.requests.length = 0;
    const second = await resolveModel(request({ cache, model: `HF:${repo}:Q4_K_M`, downloadDir: path.join(dir, 'other') }));
    expect(server.requests).toEqual([]);
    expect(second).toMatchObject({
      path: path.join(entryDirectory(path.join(dir, 'tool-cache'), key), file),
      cacheHit: true,
      cacheKey: key,
      sha256: sha256(model)
    });
    expect(second.toSave).toBeUndefined();
    expect(lines.some((l) => l.includes(`sha256 ${sha256(model)} verified`))).toBe(true);
  });

  it('re-verifies a restored file and downloads again when it was altered', async () => {
    const cache = new DirectoryModelCache(path.join(dir, 'tool-cache'));
    const first = await resolveModel(request({ cache }));
    await saveModelToCache(cache, first.toSave!, log, (l) => void warnings.push(l));
    const cached = path.join(entryDirectory(path.join(dir, 'tool-cache'), first.cacheKey!), file);
    const altered = Buffer.from(model);
    altered[altered.length - 1] ^= 0xff;
    await rm(cached);
    await writeFile(cached, altered);
    server.requests.length = 0;
    const again = await resolveModel(request({ cache, downloadDir: path.join(dir, 'again') }));
    expect(again.cacheHit).toBe(false);
    expect(again.sha256).toBe(sha256(model));
    expect(warnings.some((w) => /failed verification \(its sha256 is .*; it is discarded and downloaded again/.test(w))).toBe(true);
    expect(server.requests.map((r) => r.path)).toEqual([`/api/models/${repo}?blobs=true`, `/${repo}/resolve/main/${file}`]);
  });

  it('downloads hf:<repo>/<file>.gguf, checked against the listing', async () => {
    const resolved = await resolveModel(request({ model: `hf:${repo}/${file}` }));
    expect(resolved).toMatchObject({ source: { kind: 'hf', repo, file }, cacheHit: false, sha256: sha256(model) });
    expect(resolved.toSave).toBeUndefined();
  });

  it('verifies the download against the sha256 the Hub lists, even without model-sha256', async () => {
    server.route(`/api/models/${repo}`, { kind: 'json', value: listing([], 'b'.repeat(64)) });
    await expect(resolveModel(request({}))).rejects.toThrow(ModelChecksumError);
    expect(existsSync(path.join(dir, 'downloads', modelCacheKey(`hf:${repo}:Q4_K_M`), file))).toBe(false);
  });

  it('refuses a model-sha256 that contradicts the listing before downloading', async () => {
    const attempt = resolveModel(request({ expectedSha256: 'c'.repeat(64) }));
    await expect(attempt).rejects.toThrow(InputError);
    expect(server.requests.map((r) => r.path)).toEqual([`/api/models/${repo}?blobs=true`]);
  });

  it('says split models are not supported yet', async () => {
    await expect(resolveModel(request({ model: `hf:${repo}:Q8_0` }))).rejects.toThrow(/split into 2 files, and split models are not supported yet/);
  });

  it('lists the quantizations there are when the asked one is missing', async () => {
    await expect(resolveModel(request({ model: `hf:${repo}:Q6_K` }))).rejects.toThrow(
      /no \.gguf file for the quantization "Q6_K"\. Its GGUF files: Coder-Q4_K_S\.gguf, Coder-Q4_K_M\.gguf, Coder-Q8_0-\*-of-00002\.gguf\./
    );
  });

  it('turns a 401 from the listing into ModelNotFoundError that mentions HF_TOKEN', async () => {
    server.route(`/api/models/${repo}`, { kind: 'json', status: 401, value: { error: 'Invalid credentials' } });
    const attempt = resolveModel(request({ env: { HF_ENDPOINT: server.url } }));
    await expect(attempt).rejects.toThrow(ModelNotFoundError);
    await expect(resolveModel(request({ env: { HF_ENDPOINT: server.url } }))).rejects.toThrow(/answered 401 .*needs HF_TOKEN/);
  });

  it('downloads an https-style URL source (loopback http) and keeps a truncated one out of the cache', async () => {
    server.route('/files/short.gguf', { kind: 'file', body: model.subarray(0, 100_000) });
    const cache = new DirectoryModelCache(path.join(dir, 'tool-cache'));
    await expect(resolveModel(request({ model: `${server.url}/files/short.gguf`, cache }))).rejects.toThrow(/truncated GGUF file/);
    const key = modelCacheKey(`${server.url}/files/short.gguf`);
    expect(await readdir(path.join(dir, 'downloads', key))).toEqual([]);
    expect(await cache.restore(key)).toBeUndefined();
  });

  it('checks a local file in place, and its sha256 when one is expected', async () => {
    const local = path.join(dir, 'local.gguf');
    await writeFile(local, model);
    expect(await resolveModel(request({ model: local }))).toEqual({
      path: local,
      bytes: model.length,
      source: { kind: 'local', path: local },
      cacheHit: false
    });
    await expect(resolveModel(request({ model: local, expectedSha256: 'd'.repeat(64) }))).rejects.toThrow(/Input "model-sha256": .*local\.gguf has the sha256/);
    expect(server.requests).toEqual([]);
  });
});

describe('post step', () => {
  function fakeRunner(state: Record<string, string>): ActionRunner & { infos: string[]; warnings: string[] } {
    const infos: string[] = [];
    const warns: string[] = [];
    return {
      infos,
      warnings: warns,
      getInput: () => '',
      setSecret: () => undefined,
      setOutput: () => undefined,
      saveState: () => undefined,
      getState: (name) => state[name] ?? '',
      info: (m) => void infos.push(m),
      warning: (m) => void warns.push(m),
      notice: () => undefined,
      group: (_n, task) => task(),
      appendSummary: async () => undefined,
      setFailed: (m) => void warns.push(`failed: ${m}`)
    };
  }

  it('saves a model downloaded by the main step into the tool cache, and not one that changed since', async () => {
    server.route('/files/post.gguf', { kind: 'file', body: model });
    // Where the action downloads: <RUNNER_TEMP>/aqe-models, the one place the post step saves from.
    const runnerTemp = path.join(dir, 'runner-temp');
    const downloaded = await resolveModel({
      model: `${server.url}/files/post.gguf`,
      downloadDir: path.join(runnerTemp, 'aqe-models'),
      log,
      warn: log,
      cache: new DirectoryModelCache(path.join(dir, 'unused')),
      transfer: fast
    });
    const toolCache = path.join(dir, 'tool-cache');
    await mkdir(toolCache);
    const state = { [State.ModelCacheKind]: 'tool-cache', [State.ModelCacheKey]: downloaded.toSave!.key, [State.ModelPath]: downloaded.toSave!.path };

    const runner = fakeRunner(state);
    await runPost(runner, { RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: runnerTemp });
    expect(runner.warnings).toEqual([]);
    const cached = await new DirectoryModelCache(toolCache).restore(downloaded.toSave!.key);
    expect(cached && (await readFile(cached)).equals(model)).toBe(true);

    await writeFile(downloaded.toSave!.path, Buffer.concat([model, Buffer.from('extra')]));
    const otherCache = path.join(dir, 'other-cache');
    await mkdir(otherCache);
    const second = fakeRunner(state);
    await runPost(second, { RUNNER_TOOL_CACHE: otherCache, RUNNER_TEMP: runnerTemp });
    expect(second.warnings).toEqual([expect.stringMatching(/^The model was not cached: .* no longer verifies \(it has \d+ bytes, \d+ were recorded\)\.$/)]);
    expect(await new DirectoryModelCache(otherCache).restore(downloaded.toSave!.key)).toBeUndefined();
  });

  it('does nothing when the main step recorded no download', async () => {
    const runner = fakeRunner({});
    await runPost(runner, {});
    expect([runner.infos, runner.warnings]).toEqual([[], []]);
  });
});

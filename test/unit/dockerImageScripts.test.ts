import { afterEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { binaryPackageName, NODE_LLAMA_CPP_VERSION } from '../../src/inference/nodeLlamaCppRuntime.js';

// The two scripts docker/Dockerfile runs at build time: what the image installs, and the baked-in model's check.
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNTIME_PACKAGES = path.join(PROJECT_ROOT, 'docker', 'runtime-packages.mjs');
const FETCH_MODEL = path.join(PROJECT_ROOT, 'docker', 'fetch-model.mjs');

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

function node(script: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const temps: string[] = [];
const servers: Server[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'aqe-docker-'));
  temps.push(d);
  return d;
}
afterEach(async () => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** Serves `body` at /models/tiny.gguf on 127.0.0.1, 404 elsewhere. */
async function modelServer(body: Buffer): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/models/tiny.gguf') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    else res.writeHead(404).end('no such model');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('docker/runtime-packages.mjs', () => {
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const example = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'examples', 'ts-lib', 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };

  it('installs the pinned node-llama-cpp with the CPU binary the action would install', async () => {
    const result = await node(RUNTIME_PACKAGES, ['cpu']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`,
      `${binaryPackageName('cpu', 'linux', 'x64')}@${NODE_LLAMA_CPP_VERSION}`
    ]);
  });

  it("installs the example's test tools for the demo at their locked versions", async () => {
    const result = await node(RUNTIME_PACKAGES, ['demo']);
    expect(result.code).toBe(0);
    const tools = Object.keys(example.devDependencies).map((name) => `${name}@${lock.packages[`node_modules/${name}`]?.version}`);
    expect(tools).toContain('jest@' + lock.packages['node_modules/jest']?.version);
    expect(result.stdout.trim().split('\n')).toEqual(tools);
  });

  it('installs both CUDA binary packages for cuda, as the action does', async () => {
    const result = await node(RUNTIME_PACKAGES, ['cuda']);
    expect(result.code).toBe(0);
    const cuda = binaryPackageName('cuda', 'linux', 'x64');
    expect(result.stdout.trim().split('\n')).toEqual([
      `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`,
      `${cuda}@${NODE_LLAMA_CPP_VERSION}`,
      `${cuda}-ext@${NODE_LLAMA_CPP_VERSION}`
    ]);
  });

  it('refuses an unknown list, naming it', async () => {
    const result = await node(RUNTIME_PACKAGES, ['vulkan']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"vulkan"');
    expect(result.stdout).toBe('');
  });
});

describe('docker/fetch-model.mjs', () => {
  const model = Buffer.from('GGUF\u0003 a stand-in for a model, checked by its bytes only');

  it('downloads MODEL_URL and keeps it when the SHA-256 matches', async () => {
    const out = path.join(tempDir(), 'models');
    const result = await node(FETCH_MODEL, [out], { MODEL_URL: `${await modelServer(model)}/models/tiny.gguf`, MODEL_SHA256: sha256(model).toUpperCase() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toEqual(['tiny.gguf']);
    expect(readFileSync(path.join(out, 'tiny.gguf')).equals(model)).toBe(true);
  });

  it('fails the build on a SHA-256 mismatch and keeps nothing', async () => {
    const out = path.join(tempDir(), 'models');
    const wrong = sha256('another model');
    const result = await node(FETCH_MODEL, [out], { MODEL_URL: `${await modelServer(model)}/models/tiny.gguf`, MODEL_SHA256: wrong });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`has SHA-256 ${sha256(model)}, not MODEL_SHA256 ${wrong}`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('fails on an HTTP error, naming the address', async () => {
    const out = path.join(tempDir(), 'models');
    const url = `${await modelServer(model)}/models/missing.gguf`;
    const result = await node(FETCH_MODEL, [out], { MODEL_URL: url, MODEL_SHA256: sha256(model) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${JSON.stringify(url)} answered HTTP 404`);
  });

  it('copies MODEL_FILE from the context folder after checking it', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'context'));
    writeFileSync(path.join(dir, 'context', 'local.gguf'), model);
    const out = path.join(dir, 'models');
    const env = { MODELS_CONTEXT: path.join(dir, 'context'), MODEL_FILE: 'local.gguf' };
    expect((await node(FETCH_MODEL, [out], { ...env, MODEL_SHA256: sha256('not it') })).code).toBe(1);
    expect(readdirSync(out)).toEqual([]);
    expect((await node(FETCH_MODEL, [out], { ...env, MODEL_SHA256: sha256(model) })).code).toBe(0);
    expect(readdirSync(out)).toEqual(['local.gguf']);
  });

  it('requires a checksum with a source, and a source with a checksum', async () => {
    const out = path.join(tempDir(), 'models');
    const noSum = await node(FETCH_MODEL, [out], { MODEL_URL: 'https://example.invalid/m.gguf' });
    expect(noSum.code).toBe(1);
    expect(noSum.stderr).toContain('is not a SHA-256');
    const noSource = await node(FETCH_MODEL, [out], { MODEL_SHA256: sha256(model) });
    expect(noSource.code).toBe(1);
    expect(noSource.stderr).toContain('neither MODEL_URL nor MODEL_FILE');
    const path_ = await node(FETCH_MODEL, [out], { MODEL_FILE: '../package.json', MODEL_SHA256: sha256(model) });
    expect(path_.code).toBe(1);
    expect(path_.stderr).toContain('must be a file name in docker/models/');
  });

  it('bakes in nothing, successfully, when no model is asked for', async () => {
    const out = path.join(tempDir(), 'models');
    const result = await node(FETCH_MODEL, [out]);
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toEqual([]);
  });
});

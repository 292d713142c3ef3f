/**
 * The runtime install path for real: npm installs the pinned node-llama-cpp and this machine's CPU binary package
 * into a tool-cache style directory, and the result loads llama.cpp. npm runs offline from its cache (filled by the
 * `npm ci` that installed this project), so the test needs no network and proves the same command the action runs.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  binaryPackageName,
  importNodeLlamaCpp,
  installNodeLlamaCpp,
  locateNodeLlamaCpp,
  NODE_LLAMA_CPP_VERSION
} from '../../src/inference/nodeLlamaCppRuntime.js';
import { findRuntime, runtimeCacheKey, type RuntimeCache } from '../../src/inference/loadLocalProvider.js';
import type { Logger } from '../../src/pipeline/Logger.js';

const roots: string[] = [];
const offline = process.env.npm_config_offline;
afterAll(async () => {
  if (offline === undefined) delete process.env.npm_config_offline;
  else process.env.npm_config_offline = offline;
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('installNodeLlamaCpp', () => {
  it('installs the pinned runtime with only the binary package this machine needs, and it loads', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-runtime-install-'));
    roots.push(root);
    const installDir = path.join(root, 'aqe-node-llama-cpp', NODE_LLAMA_CPP_VERSION, `${process.platform}-${process.arch}-cpu`);
    process.env.npm_config_offline = 'true';
    const log: string[] = [];
    const location = await installNodeLlamaCpp(installDir, 'cpu', (l) => log.push(l));
    expect(location.version).toBe(NODE_LLAMA_CPP_VERSION);
    expect(location.packageDir).toBe(path.join(installDir, 'node_modules', 'node-llama-cpp'));
    expect(log[0]).toBe(`Installing node-llama-cpp@${NODE_LLAMA_CPP_VERSION} ${binaryPackageName('cpu')}@${NODE_LLAMA_CPP_VERSION} into ${installDir}`);
    // A later run finds it there instead of installing again.
    expect(locateNodeLlamaCpp([installDir])).toEqual(location);

    const runtime = await importNodeLlamaCpp(location);
    const llama = await runtime.getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: runtime.LlamaLogLevel.error, maxThreads: 1 });
    try {
      expect(llama.gpu).toBe(false);
      expect(llama.cpuMathCores).toBeGreaterThan(0);
    } finally {
      await llama.dispose();
    }
  }, 600_000);

  it('restores an installed runtime from the runtime cache instead of installing it again', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-runtime-cache-'));
    roots.push(root);
    process.env.npm_config_offline = 'true';
    // Stands in for the Actions cache service (which only runs on GitHub): entries are directory copies.
    const store = path.join(root, 'store');
    const saved: string[] = [];
    const cache: RuntimeCache = {
      restore: async (dir, key) => {
        if (!saved.includes(key)) return false;
        await cp(path.join(store, key), dir, { recursive: true });
        return true;
      },
      installed: (_dir, key) => {
        saved.push(key);
      }
    };
    const lines: string[] = [];
    const logger: Logger = { info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`), group: async (n, task) => (lines.push(`== ${n}`), task()) };
    const search = { searchFrom: [] as string[], installRoot: path.join(root, 'toolcache'), runtimeCache: cache };

    const first = await findRuntime({ llamaRuntime: '' }, search, 'cpu', logger);
    expect(saved).toEqual([runtimeCacheKey('cpu')]);
    expect(lines).toContain(`== Installing node-llama-cpp ${NODE_LLAMA_CPP_VERSION} (cpu)`);
    // The job ends: the post step saves the directory, and the next job's disk is new.
    const installDir = path.dirname(path.dirname(first.packageDir));
    await cp(installDir, path.join(store, runtimeCacheKey('cpu')), { recursive: true });
    await rm(installDir, { recursive: true, force: true });

    lines.length = 0;
    const second = await findRuntime({ llamaRuntime: '' }, search, 'cpu', logger);
    expect(second).toEqual(first);
    expect(lines).toEqual([`node-llama-cpp ${NODE_LLAMA_CPP_VERSION} (cpu) restored from the cache.`]);
    expect(saved).toHaveLength(1);
    const runtime = await importNodeLlamaCpp(second);
    expect(typeof runtime.getLlama).toBe('function');
  }, 600_000);

  it('fails with what to do instead when npm cannot install', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-runtime-install-'));
    roots.push(root);
    process.env.npm_config_offline = 'true';
    // A registry that does not exist and an empty cache: nothing can be fetched.
    process.env.npm_config_registry = 'http://127.0.0.1:9/';
    const cache = process.env.npm_config_cache;
    process.env.npm_config_cache = path.join(root, 'empty-cache');
    try {
      await expect(installNodeLlamaCpp(path.join(root, 'install'), 'cpu', () => undefined)).rejects.toThrow(/Installing node-llama-cpp into .* failed .*Use the container image, or install it yourself and pass the directory as the llama-runtime input/s);
    } finally {
      delete process.env.npm_config_registry;
      if (cache === undefined) delete process.env.npm_config_cache;
      else process.env.npm_config_cache = cache;
    }
  }, 300_000);
});

/**
 * The runtime install path for real: npm installs the pinned node-llama-cpp and this machine's CPU binary package
 * into a tool-cache style directory, and the result loads llama.cpp. npm fetches everything from a registry the test
 * starts on 127.0.0.1, serving the packages this project's own `npm ci` installed, with an npm cache of its own that
 * starts empty: no network, nothing an earlier install left behind, and the same command the action runs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  binaryPackageName,
  importNodeLlamaCpp,
  installNodeLlamaCpp,
  locateNodeLlamaCpp,
  NODE_LLAMA_CPP_VERSION
} from '../../src/inference/nodeLlamaCppRuntime.js';
import { findRuntime, runtimeCacheKey, type RuntimeCache } from '../../src/inference/loadLocalProvider.js';
import type { Logger } from '../../src/core/Logger.js';
import { startLocalNpmRegistry, type LocalNpmRegistry } from '../support/localNpmRegistry.js';

const projectNodeModules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules');
const roots: string[] = [];
let registry: LocalNpmRegistry;

// npm reads these from the environment installNodeLlamaCpp passes on; offline modes would send it to a cache that is empty.
const NPM_SETTINGS = ['npm_config_registry', 'npm_config_cache', 'npm_config_offline', 'npm_config_prefer_offline'] as const;
const savedSettings = new Map(NPM_SETTINGS.map((k) => [k, process.env[k]]));

/** Sends npm to `registryUrl` with a new, empty cache under `root`. */
async function useRegistry(registryUrl: string, root: string): Promise<void> {
  const cache = path.join(root, 'npm-cache');
  await mkdir(cache);
  for (const k of NPM_SETTINGS) delete process.env[k];
  process.env.npm_config_registry = registryUrl;
  process.env.npm_config_cache = cache;
}

/** Paths of the tarballs the registry served. */
function fetched(requests: LocalNpmRegistry['requests']): string[] {
  return requests.filter((r) => r.path.endsWith('.tgz') && r.status === 200).map((r) => r.path);
}

beforeAll(async () => {
  registry = await startLocalNpmRegistry({ nodeModules: projectNodeModules });
});

afterAll(async () => {
  for (const [k, v] of savedSettings) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await registry?.close();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('installNodeLlamaCpp', () => {
  it('installs the pinned runtime with only the binary package this machine needs, and it loads', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-runtime-install-'));
    roots.push(root);
    const installDir = path.join(root, 'aqe-node-llama-cpp', NODE_LLAMA_CPP_VERSION, `${process.platform}-${process.arch}-cpu`);
    await useRegistry(registry.url, root);
    const before = registry.requests.length;
    const log: string[] = [];
    const location = await installNodeLlamaCpp(installDir, 'cpu', (l) => log.push(l));
    expect(location.version).toBe(NODE_LLAMA_CPP_VERSION);
    expect(location.packageDir).toBe(path.join(installDir, 'node_modules', 'node-llama-cpp'));
    expect(log[0]).toBe(`Installing node-llama-cpp@${NODE_LLAMA_CPP_VERSION} ${binaryPackageName('cpu')}@${NODE_LLAMA_CPP_VERSION} into ${installDir}`);
    // A later run finds it there instead of installing again.
    expect(locateNodeLlamaCpp([installDir])).toEqual(location);
    // Through the local registry, and of the binary packages only this machine's: the other platforms' are optional and left out.
    const binary = binaryPackageName('cpu');
    const downloads = fetched(registry.requests.slice(before));
    expect(downloads).toContain(new URL(registry.tarballUrl('node-llama-cpp', NODE_LLAMA_CPP_VERSION)).pathname);
    expect(downloads).toContain(new URL(registry.tarballUrl(binary, NODE_LLAMA_CPP_VERSION)).pathname);
    expect(downloads.filter((p) => p.startsWith('/@node-llama-cpp/'))).toHaveLength(1);
    expect(await readdir(path.join(installDir, 'node_modules', '@node-llama-cpp'))).toEqual([binary.split('/')[1]]);

    const runtime = await importNodeLlamaCpp(location);
    const llama = await runtime.getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      logLevel: runtime.LlamaLogLevel.error,
      maxThreads: 1
    });
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
    await useRegistry(registry.url, root);
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
    const logger: Logger = {
      info: (m) => void lines.push(m),
      warn: (m) => void lines.push(`warning: ${m}`),
      group: async (n, task) => (lines.push(`== ${n}`), task())
    };
    const search = { searchFrom: [] as string[], installRoot: path.join(root, 'toolcache'), runtimeCache: cache };

    const first = await findRuntime({ llamaRuntime: '' }, search, 'cpu', logger);
    expect(saved).toEqual([runtimeCacheKey('cpu')]);
    expect(lines).toContain(`== Installing node-llama-cpp ${NODE_LLAMA_CPP_VERSION} (cpu)`);
    // The job ends: the post step saves the directory, and the next job's disk is new.
    const installDir = path.dirname(path.dirname(first.packageDir));
    await cp(installDir, path.join(store, runtimeCacheKey('cpu')), { recursive: true });
    await rm(installDir, { recursive: true, force: true });

    lines.length = 0;
    const downloadsBefore = fetched(registry.requests).length;
    const second = await findRuntime({ llamaRuntime: '' }, search, 'cpu', logger);
    expect(second).toEqual(first);
    expect(lines).toEqual([`node-llama-cpp ${NODE_LLAMA_CPP_VERSION} (cpu) restored from the cache.`]);
    expect(saved).toHaveLength(1);
    expect(fetched(registry.requests)).toHaveLength(downloadsBefore);
    const runtime = await importNodeLlamaCpp(second);
    expect(typeof runtime.getLlama).toBe('function');
  }, 600_000);

  it('fails with what to do instead when npm cannot install', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-runtime-install-'));
    roots.push(root);
    // A registry that has none of the packages: npm's own error has to reach the message, with what to do.
    const emptyModules = path.join(root, 'no-packages');
    await mkdir(emptyModules);
    const empty = await startLocalNpmRegistry({ nodeModules: emptyModules });
    try {
      await useRegistry(empty.url, root);
      await expect(installNodeLlamaCpp(path.join(root, 'install'), 'cpu', () => undefined)).rejects.toThrow(
        /Installing node-llama-cpp into .* failed \(exit \d+\): .*E404.*Use the container image, or install it yourself and pass the directory as the llama-runtime input/s
      );
      expect(empty.requests).toContainEqual({ method: 'GET', path: '/node-llama-cpp', status: 404 });
    } finally {
      await empty.close();
    }
  }, 300_000);
});

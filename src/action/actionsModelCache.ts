import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import * as actionsCache from '@actions/cache';
import type { ModelCacheOption } from '../core/RunOptions.js';
import { copyEntry, DirectoryModelCache, entryDirectory, entryModelPath, MODELS_FOLDER, type ModelCache } from '../inference/model/ModelCache.js';

/**
 * Models in the GitHub Actions cache. An entry is restored to and saved from
 * `<root>/aqe-models/<key>`: the cache version hashes the paths, so save and restore must use
 * the same one, and downloads land there already (no copy before the upload).
 */
export class ActionsModelCache implements ModelCache {
  readonly description = 'the GitHub Actions cache';

  constructor(private readonly root: string) {}

  async restore(key: string): Promise<string | undefined> {
    const dir = entryDirectory(this.root, key);
    // Only the exact key: a prefix match could restore another model.
    const hit = await actionsCache.restoreCache([dir], key);
    return hit === key ? entryModelPath(dir) : undefined;
  }

  async save(key: string, modelPath: string): Promise<void> {
    const dir = entryDirectory(this.root, key);
    await copyEntry(modelPath, dir);
    // saveCache reports a key that exists or a refused reservation itself (as info or warning) and returns -1.
    const id = await actionsCache.saveCache([dir], key);
    if (id === -1) throw new Error(`the cache service did not store ${key} (its reason is logged above; a key that already exists is kept as it is)`);
  }

  async discard(key: string): Promise<void> {
    await rm(entryDirectory(this.root, key), { recursive: true, force: true });
  }
}

export type ModelCacheKind = 'actions' | 'tool-cache' | 'none';

export interface ModelCacheChoice {
  kind: ModelCacheKind;
  /** Why an explicitly requested cache is not used. */
  warning?: string;
}

/**
 * The cache a run uses. `auto` takes the Actions cache on GitHub-hosted runners (their disks are
 * new every job) and the tool cache on self-hosted ones (their disk persists, uploads cost time).
 */
export function chooseModelCacheKind(option: ModelCacheOption, env: NodeJS.ProcessEnv, actionsCacheAvailable: boolean): ModelCacheChoice {
  const toolCache = !!env.RUNNER_TOOL_CACHE;
  switch (option) {
    case 'none':
      return { kind: 'none' };
    case 'actions':
      return actionsCacheAvailable
        ? { kind: 'actions' }
        : {
            kind: 'none',
            warning:
              'model-cache is actions, but the Actions cache service is not available to this job (GitHub Enterprise Server without it, or a local runner); the model is not cached'
          };
    case 'tool-cache':
      return toolCache
        ? { kind: 'tool-cache' }
        : { kind: 'none', warning: 'model-cache is tool-cache, but RUNNER_TOOL_CACHE is not set; the model is not cached' };
    case 'auto':
      if (env.RUNNER_ENVIRONMENT === 'self-hosted') return { kind: toolCache ? 'tool-cache' : 'none' };
      if (actionsCacheAvailable) return { kind: 'actions' };
      // A GitHub-hosted runner's disk is gone after the job: its tool cache keeps nothing.
      return { kind: env.RUNNER_ENVIRONMENT === 'github-hosted' || !toolCache ? 'none' : 'tool-cache' };
  }
}

export function createModelCache(kind: ModelCacheKind, env: NodeJS.ProcessEnv): ModelCache | undefined {
  if (kind === 'actions') return new ActionsModelCache(runnerTemp(env));
  if (kind === 'tool-cache' && env.RUNNER_TOOL_CACHE) return new DirectoryModelCache(env.RUNNER_TOOL_CACHE);
  return undefined;
}

export interface ModelCacheSetup extends ModelCacheChoice {
  cache?: ModelCache;
  /** Where models are downloaded: for the Actions cache, exactly where its entries live. */
  downloadDir: string;
}

export function setUpModelCache(option: ModelCacheOption, env: NodeJS.ProcessEnv): ModelCacheSetup {
  const choice = chooseModelCacheKind(option, env, actionsCache.isFeatureAvailable());
  const cache = createModelCache(choice.kind, env);
  return { ...choice, ...(cache ? { cache } : {}), downloadDir: modelDownloadDir(env) };
}

/** Where the action downloads models; the post step accepts a model to save only from here. */
export function modelDownloadDir(env: NodeJS.ProcessEnv): string {
  return path.join(runnerTemp(env), MODELS_FOLDER);
}

/** The runner's temp directory, as the main step uses it (RUNNER_TEMP, else the system's). */
export function runnerTemp(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TEMP || os.tmpdir();
}

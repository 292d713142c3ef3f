import * as actionsCache from '@actions/cache';
import type { RuntimeCache } from '../inference/loadLocalProvider.js';
import { runnerTemp } from './actionsModelCache.js';

/**
 * The installed node-llama-cpp in the GitHub Actions cache, for runners whose tool cache is gone
 * after the job. Restore happens in the main step; a fresh install is saved by the post step
 * (keys are immutable, so only on a miss).
 */
export class ActionsRuntimeCache implements RuntimeCache {
  constructor(private readonly onInstalled: (dir: string, key: string) => void) {}

  async restore(dir: string, key: string): Promise<boolean> {
    // Only the exact key: another version's or back end's runtime must not be restored here.
    return (await actionsCache.restoreCache([dir], key)) === key;
  }

  installed(dir: string, key: string): void {
    this.onInstalled(dir, key);
  }
}

/** Saves an installed runtime; a refused or duplicate save is a warning, never a failure. */
export async function saveRuntimeToActionsCache(dir: string, key: string, warn: (m: string) => void): Promise<void> {
  try {
    const id = await actionsCache.saveCache([dir], key);
    if (id === -1) warn(`node-llama-cpp was not saved to the Actions cache as ${key} (the reason is logged above); the next job installs it again.`);
  } catch (error) {
    warn(`Saving node-llama-cpp to the Actions cache failed: ${(error as Error).message}; the next job installs it again.`);
  }
}

/** Where the action installs node-llama-cpp: the tool cache, else the runner's temp directory. */
export function runtimeInstallRoot(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TOOL_CACHE || runnerTemp(env);
}

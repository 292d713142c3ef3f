import { existsSync } from 'node:fs';
import { saveModelToCache } from '../inference/model/resolveModel.js';
import type { ActionRunner } from './ActionRunner.js';
import { createModelCache } from './actionsModelCache.js';
import { saveRuntimeToActionsCache } from './actionsRuntimeCache.js';
import { State } from './constants.js';

/**
 * The post phase runs after the job's other steps, even when they failed. It confirms where the
 * report is and saves a model the main step downloaded (a cache miss) into the model cache,
 * once, after use, and only if the file still verifies; and node-llama-cpp, when the main step
 * had to install it and models go to the Actions cache.
 */
export async function runPost(runner: ActionRunner, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const reportPath = runner.getState(State.ReportPath);
    if (reportPath && existsSync(reportPath)) runner.info(`aqe report: ${reportPath}`);
    await saveDownloadedModel(runner, env);
    await saveInstalledRuntime(runner);
  } catch (error) {
    runner.warning(`Post step: ${(error as Error).message}`);
  }
}

async function saveInstalledRuntime(runner: ActionRunner): Promise<void> {
  const key = runner.getState(State.RuntimeCacheKey);
  const dir = runner.getState(State.RuntimeDir);
  if (!key || !dir || !existsSync(dir)) return;
  runner.info(`Saving node-llama-cpp to the Actions cache as ${key}`);
  await saveRuntimeToActionsCache(dir, key, (m) => runner.warning(m));
}

async function saveDownloadedModel(runner: ActionRunner, env: NodeJS.ProcessEnv): Promise<void> {
  const kind = runner.getState(State.ModelCacheKind);
  const key = runner.getState(State.ModelCacheKey);
  const modelPath = runner.getState(State.ModelPath);
  if (!key || !modelPath || (kind !== 'actions' && kind !== 'tool-cache')) return;
  const cache = createModelCache(kind, env);
  if (!cache) return;
  await saveModelToCache(cache, { key, path: modelPath }, (m) => runner.info(m), (m) => runner.warning(m));
}

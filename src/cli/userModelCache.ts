import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../core/Logger.js';
import type { RuntimeSearch } from '../inference/loadLocalProvider.js';
import { DirectoryModelCache } from '../inference/model/ModelCache.js';
import { markModelUsed } from '../inference/model/modelCacheEntries.js';
import { saveModelToCache } from '../inference/model/resolveModel.js';

/** The user's model cache, the one `aqe run`, `aqe demo`, `aqe serve` and `aqe model` keep downloads in. */
export function userModelCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'aqe');
}

/**
 * Outside CI a model is downloaded once per machine: it is kept in the user's cache directory ($XDG_CACHE_HOME/aqe,
 * ~/.cache/aqe) and saved there as soon as it has been verified.
 */
export function userModelCache(logger: Logger, env: NodeJS.ProcessEnv = process.env): Pick<RuntimeSearch, 'modelCache' | 'downloadDir' | 'onModelResolved'> {
  const root = userModelCacheRoot(env);
  const cache = new DirectoryModelCache(root);
  return {
    modelCache: cache,
    downloadDir: path.join(root, 'downloads'),
    onModelResolved: async (model) => {
      if (model.toSave)
        await saveModelToCache(
          cache,
          model.toSave,
          (m) => logger.info(m),
          (m) => logger.warn(m)
        );
      // For aqe model list's "last use"; nothing when the model is not (or could not be) in the cache.
      if (model.cacheKey) await markModelUsed(root, model.cacheKey);
    }
  };
}

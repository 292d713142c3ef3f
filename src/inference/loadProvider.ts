import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import type { LoadedProvider } from './LoadedProvider.js';
import { loadLocalProvider, type RuntimeSearch } from './loadLocalProvider.js';
import { parseModelSource } from './model/ModelSource.js';
import { checkModelFile } from './modelFile.js';
import { RecordingProvider, ReplayProvider } from './ReplayProvider.js';

/** The provider a run asked for: answers replayed from a file, or a local model (recorded when asked). */
export async function loadProvider(options: RunOptions, search: RuntimeSearch, logger: Logger): Promise<LoadedProvider> {
  if (options.replay?.mode === 'replay') {
    logger.info(`Answering from the replay file ${options.replay.file}; no model is loaded.`);
    const provider = await ReplayProvider.open(options.replay.file, options.contextSize);
    return { provider, targetsWarning: (targets) => provider.otherTargetsWarning(targets) };
  }
  const loaded = await loadLocalProvider(options, search, logger);
  if (options.replay?.mode === 'record') {
    logger.info(`Recording every model answer to ${options.replay.file}.`);
    return { ...loaded, provider: new RecordingProvider(loaded.provider, options.replay.file) };
  }
  return loaded;
}

/**
 * Checks a local model file before the long stages start, so a bad path fails in the first
 * second. Remote models (and the default, chosen by hardware) are checked as they download.
 */
export async function checkModelInput(options: RunOptions): Promise<void> {
  if (options.replay?.mode === 'replay' || options.model === 'demo' || options.model === '') return;
  const source = parseModelSource(options.model, process.cwd());
  if (source.kind === 'local') await checkModelFile(source.path);
}

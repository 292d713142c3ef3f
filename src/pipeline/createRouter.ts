import path from 'node:path';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import type { LoadedProvider } from '../inference/LoadedProvider.js';
import { RecordingProvider } from '../inference/ReplayProvider.js';
import type { AuditLog } from '../privacy/AuditLog.js';
import type { TextProvider } from '../inference/TextProvider.js';
import type { RoutingResults } from '../reporting/buildRunReport.js';
import { createRemoteProvider } from '../routing/createRemoteProvider.js';
import { HybridRouter } from '../routing/HybridRouter.js';
import type { PackageWork } from '../targets/groupByPackage.js';

/**
 * The router over this run's providers: the local one (or the replay file) as the face loads it,
 * and the remote one when one is configured. Answers from a replay file stand in for both tiers,
 * so a replayed run sends nothing anywhere; a recorded run records both tiers' answers.
 */
/** What the router is made from: the run's options, its log, and the face's way of loading the local model. */
export interface RouterContext {
  options: RunOptions;
  logger: Logger;
  loadProvider: () => Promise<LoadedProvider>;
  /** Every model request gets its line here. */
  audit?: AuditLog;
  /** Under a shard: every shard's targets, which one replay file shared by the jobs answers. */
  runTargets?: readonly string[];
}

export function createRouter(ctx: RouterContext, packages: readonly PackageWork[], warn: (message: string) => void): HybridRouter {
  const { options, logger } = ctx;
  const targets = packages.flatMap((p) => p.targets.map((t) => (p.packageDir === '' ? t : path.posix.join(p.packageDir, t))));
  const local = async (): Promise<LoadedProvider> => {
    const loaded = await logger.group('Loading the model', ctx.loadProvider);
    const info = loaded.provider.info();
    logger.info(
      `Model ${info.model} on ${info.hardware}; ${info.parallelSequences} parallel sequence(s) of ${info.contextSize} tokens; loaded in ${info.modelLoadMs} ms.`
    );
    if (loaded.demoNotice) logger.warn(loaded.demoNotice);
    const targetsWarning = loaded.targetsWarning?.(ctx.runTargets ?? targets);
    if (targetsWarning) warn(targetsWarning);
    return loaded;
  };
  const remoteOptions = options.routing.remote;
  const replaying = options.replay?.mode === 'replay';
  if (remoteOptions && replaying) logger.info('Answering from the replay file: the remote provider is not contacted, and every task is answered locally.');
  const remote =
    remoteOptions && !replaying
      ? async (): Promise<TextProvider> => {
          const provider = await createRemoteProvider(remoteOptions, options.contextSize, Math.max(1, targets.length));
          return options.replay?.mode === 'record' ? new RecordingProvider(provider, options.replay.file) : provider;
        }
      : undefined;
  // The router's warnings (a provider that cannot start, a fallback) belong in the report, not only in the log.
  return new HybridRouter(options.routing, { local, ...(remote ? { remote } : {}) }, { ...logger, warn }, ctx.audit);
}

/** What the router did, for the report's routing and cost sections. */
export function routingResults(options: RunOptions, router: HybridRouter): RoutingResults {
  const configFile = options.routing.configFile;
  return {
    options: options.routing,
    ...(configFile ? { configFile: path.relative(options.repoDir, configFile).split(path.sep).join('/') } : {}),
    decisions: router.decisions(),
    telemetry: router.telemetry(),
    budget: router.budget,
    fallbacks: router.fallbacks()
  };
}

import type { Logger } from '../core/Logger.js';
import { shardLabel, type ShardSpec } from '../core/Shard.js';
import type { ChangedFile, PullRequestHost } from '../repo/ChangedFile.js';
import { scopeToWorkingDirectory } from './scopeToWorkingDirectory.js';
import { selectTargets } from './selectTargets.js';
import { shardTargets } from './shardTargets.js';

export interface FoundTargets {
  /** Every changed file of the pull request, repo-relative, those outside working-directory included. */
  changedFiles: string[];
  /** The changed files inside working-directory, with their changed lines. */
  changed: ChangedFile[];
  /** Changed sources worth a test, sorted; under a shard, only this shard's part (the others' are neither here nor skipped). */
  targets: string[];
  /** Every other changed file, with why it was left out. */
  skipped: Array<{ file: string; reason: string }>;
  /** Under a shard: the targets of the whole run, this shard's and the others' (a replay file answers them all). */
  allTargets?: string[];
}

/** The targets stage: the pull request's changed files, scoped to working-directory, and which of them get a test. */
export async function findTargets(host: PullRequestHost, repoDir: string, logger: Logger, shard: ShardSpec | null = null): Promise<FoundTargets> {
  const { inside: changed, outside } = await scopeToWorkingDirectory(repoDir, await host.listChangedFiles());
  const selection = selectTargets(repoDir, changed);
  const { skipped } = selection;
  for (const file of outside) skipped.push({ file, reason: 'outside working-directory' });
  const targets = shard ? shardTargets(selection.targets, shard) : selection.targets;
  const share = shard ? ` (shard ${shardLabel(shard)}: ${targets.length} of the run's ${selection.targets.length}; the other shards have the rest)` : '';
  logger.info(`${changed.length} changed file(s); ${targets.length} to generate tests for${share}${targets.length ? `: ${targets.join(', ')}` : ''}.`);
  for (const s of skipped) logger.info(`  skipped ${s.file}: ${s.reason}`);
  return {
    changedFiles: [...changed.map((c) => c.filename), ...outside],
    changed,
    targets,
    skipped,
    ...(shard ? { allTargets: selection.targets } : {})
  };
}

import type { Logger } from '../core/Logger.js';
import type { ChangedFile, PullRequestHost } from '../repo/ChangedFile.js';
import { scopeToWorkingDirectory } from './scopeToWorkingDirectory.js';
import { selectTargets } from './selectTargets.js';

export interface FoundTargets {
  /** Every changed file of the pull request, repo-relative, those outside working-directory included. */
  changedFiles: string[];
  /** The changed files inside working-directory, with their changed lines. */
  changed: ChangedFile[];
  /** Changed sources worth a test, sorted. */
  targets: string[];
  /** Every other changed file, with why it was left out. */
  skipped: Array<{ file: string; reason: string }>;
}

/** The targets stage: the pull request's changed files, scoped to working-directory, and which of them get a test. */
export async function findTargets(host: PullRequestHost, repoDir: string, logger: Logger): Promise<FoundTargets> {
  const { inside: changed, outside } = await scopeToWorkingDirectory(repoDir, await host.listChangedFiles());
  const { targets, skipped } = selectTargets(repoDir, changed);
  for (const file of outside) skipped.push({ file, reason: 'outside working-directory' });
  logger.info(`${changed.length} changed file(s); ${targets.length} to generate tests for${targets.length ? `: ${targets.join(', ')}` : ''}.`);
  for (const s of skipped) logger.info(`  skipped ${s.file}: ${s.reason}`);
  return { changedFiles: [...changed.map((c) => c.filename), ...outside], changed, targets, skipped };
}

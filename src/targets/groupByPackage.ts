import path from 'node:path';
import type { Logger } from '../core/Logger.js';
import type { ChangedFile } from '../repo/ChangedFile.js';
import { detectProject, ProjectDetectionError } from '../repo/detectProject.js';
import { createTestRunner } from '../validation/runners/createTestRunner.js';
import type { TestRunner } from '../validation/runners/TestRunner.js';
import { TestRunnerNotFoundError } from '../validation/runners/TestRunnerNotFoundError.js';
import type { TargetSelection } from './selectTargets.js';

/** One package of the repository (the root, or a workspace package) with the targets it owns. */
export interface PackageWork {
  /** Repo-relative directory ('' = root); tests run there with its own runner and config. */
  packageDir: string;
  runner: TestRunner;
  /** Targets, package-relative. */
  targets: string[];
  /** Changed lines per target (package-relative keys); undefined = the whole file. */
  changedLines: Map<string, number[] | undefined>;
}

/**
 * Targets grouped by the package whose test setup runs them (the root, or a workspace package),
 * each with its own runner. A target no runner can be found for is skipped with the reason;
 * when that leaves no package at all, the run fails with the runner's error: nothing could be
 * measured, and installing the runner is what to do, not reading a warning on a green run.
 */
export function groupByPackage(
  repoDir: string,
  targets: readonly string[],
  changed: readonly ChangedFile[],
  logger: Logger
): { packages: PackageWork[]; skipped: TargetSelection['skipped'] } {
  const groups = new Map<string, PackageWork>();
  const lines = new Map(changed.map((c) => [c.filename, c.changedLines]));
  const skipped: TargetSelection['skipped'] = [];
  const skip = (target: string, reason: string): void => {
    skipped.push({ file: target, reason });
    logger.warn(`${target}: ${reason}`);
  };
  const noRunner: Array<{ target: string; error: TestRunnerNotFoundError }> = [];
  for (const target of targets) {
    let work: PackageWork | undefined;
    try {
      const project = detectProject(repoDir, target);
      work = groups.get(project.packageDir);
      if (!work) {
        work = { packageDir: project.packageDir, runner: createTestRunner(project, repoDir), targets: [], changedLines: new Map() };
        groups.set(project.packageDir, work);
        logger.info(
          `Package ${project.packageDir || '(root)'}: ${project.framework} (from ${project.frameworkSource}), ${project.language}, ${project.moduleSystem}.`
        );
      }
    } catch (error) {
      if (error instanceof TestRunnerNotFoundError) noRunner.push({ target, error });
      else if (error instanceof ProjectDetectionError) skip(target, error.message);
      else throw error;
      continue;
    }
    const local = path.posix.relative(work.packageDir, target);
    work.targets.push(local);
    work.changedLines.set(local, lines.get(target));
  }
  if (groups.size === 0 && noRunner.length > 0) {
    const reasons = [...new Set(noRunner.map((n) => n.error.message))];
    throw reasons.length === 1 ? noRunner[0]!.error : new TestRunnerNotFoundError(reasons.join(' '));
  }
  for (const { target, error } of noRunner) skip(target, error.message);
  return { packages: [...groups.values()], skipped };
}

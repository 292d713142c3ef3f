import path from 'node:path';
import { ANNOTATION_LIMITS, buildAnnotations, omittedAnnotationsLine } from '../reporting/annotations.js';
import type { RunReport } from '../reporting/RunReport.js';
import type { ActionRunner } from './ActionRunner.js';

/**
 * Puts the report on the pull request's diff: a notice on each file that got accepted tests, a warning
 * on each changed range still uncovered. The report's paths are relative to working-directory, and
 * GitHub places annotations by path from the workspace root, so they are prefixed with the way between.
 */
export async function annotate(
  runner: ActionRunner,
  report: RunReport,
  dirs: { workspace: string; repoDir: string },
  /** Warnings this step has already written: GitHub counts them against the same per-step limit. */
  warningsShown = 0
): Promise<void> {
  const between = path.relative(path.resolve(dirs.workspace), path.resolve(dirs.repoDir));
  if (between.startsWith('..') || path.isAbsolute(between)) {
    runner.info('No annotations: working-directory lies outside the workspace, so GitHub could not place them on its files.');
    return;
  }
  const limits = { notices: ANNOTATION_LIMITS.notices, warnings: Math.max(0, ANNOTATION_LIMITS.warnings - warningsShown) };
  const { annotations, omitted } = buildAnnotations(report, { pathPrefix: between.split(path.sep).join('/'), limits });
  for (const a of annotations) {
    const place = { file: a.file, title: a.title, ...(a.startLine !== undefined ? { startLine: a.startLine, endLine: a.endLine ?? a.startLine } : {}) };
    if (a.level === 'notice') runner.notice(a.message, place);
    else runner.warning(a.message, place);
  }
  const line = omittedAnnotationsLine(omitted);
  if (line !== '') await runner.appendSummary(line);
}

import { formatCount } from '../core/formatNumbers.js';
import type { RunReport } from './RunReport.js';

/**
 * GitHub shows at most 10 warning and 10 error annotations per step (and 50 per job); the rest
 * are dropped without a word (community discussion #68471, "Extremely low annotation limit",
 * github.com/orgs/community/discussions/68471). Notices are capped alike here so a large pull
 * request cannot crowd out the run's own warnings, and what does not fit is counted in the summary.
 */
export const ANNOTATION_LIMITS = { notices: 10, warnings: 10 } as const;

export interface FileAnnotation {
  level: 'notice' | 'warning';
  /** Path from the workspace root, forward slashes: where GitHub places the annotation. */
  file: string;
  /** 1-based and inclusive; absent for an annotation on the whole file. */
  startLine?: number;
  endLine?: number;
  title: string;
  /** Plain text: the runner's toolkit escapes it for the workflow-command syntax. */
  message: string;
}

export interface RunAnnotations {
  annotations: FileAnnotation[];
  /** What the limits left out, by kind. */
  omitted: { notices: number; warnings: number };
}

export interface AnnotationOptions {
  /** Where the report's repo-relative paths lie from the workspace root ('' when they are the same), forward slashes. */
  pathPrefix: string;
  limits?: { notices: number; warnings: number };
}

/** [3,4,5,9] → [[3,5],[9,9]]; expects ascending lines, tolerates repeats. */
export function lineRanges(lines: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const line of lines) {
    const last = ranges.at(-1);
    if (last && line <= last[1] + 1) last[1] = Math.max(last[1], line);
    else ranges.push([line, line]);
  }
  return ranges;
}

/**
 * A notice on each target file that received accepted tests, naming them, and a warning on each
 * range of changed lines that no test covers after them. Targets come in the report's order (sorted),
 * so a capped list is the same from run to run.
 */
export function buildAnnotations(report: RunReport, options: AnnotationOptions): RunAnnotations {
  const limits = options.limits ?? ANNOTATION_LIMITS;
  const at = (file: string): string => (options.pathPrefix === '' ? file : `${options.pathPrefix.replace(/\/+$/, '')}/${file}`);

  const testsByTarget = new Map<string, string[]>();
  for (const c of report.candidates) {
    if (c.status !== 'accepted') continue;
    testsByTarget.set(c.targetFile, [...(testsByTarget.get(c.targetFile) ?? []), c.testFile]);
  }
  const notices: FileAnnotation[] = [...testsByTarget].map(([target, tests]) => ({
    level: 'notice',
    file: at(target),
    title: 'aqe: tests generated',
    message: `Accepted generated ${tests.length === 1 ? 'test' : 'tests'} for this file: ${tests.join(', ')}`
  }));

  const warnings: FileAnnotation[] = (report.uncoveredChangedLines ?? []).flatMap(({ file, lines }) =>
    lineRanges(lines).map(([startLine, endLine]): FileAnnotation => ({
      level: 'warning',
      file: at(file),
      startLine,
      endLine,
      title: 'aqe: changed lines not covered',
      message:
        startLine === endLine
          ? `Changed line ${startLine} is run by no test, the accepted generated tests included.`
          : `Changed lines ${startLine}-${endLine} are run by no test, the accepted generated tests included.`
    }))
  );

  return {
    annotations: [...notices.slice(0, limits.notices), ...warnings.slice(0, limits.warnings)],
    omitted: { notices: Math.max(0, notices.length - limits.notices), warnings: Math.max(0, warnings.length - limits.warnings) }
  };
}

/** The summary's line for what the limits left out; '' when everything was annotated. */
export function omittedAnnotationsLine(omitted: RunAnnotations['omitted']): string {
  const parts: string[] = [];
  if (omitted.warnings > 0) parts.push(`${formatCount(omitted.warnings)} more uncovered ${omitted.warnings === 1 ? 'range' : 'ranges'}`);
  if (omitted.notices > 0) parts.push(`${formatCount(omitted.notices)} more ${omitted.notices === 1 ? 'file' : 'files'} with accepted tests`);
  return parts.length === 0
    ? ''
    : `\n_Annotations stop at GitHub's limit per step: and ${parts.join(', and ')} not annotated (the JSON report has them all)._\n`;
}

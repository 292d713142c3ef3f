import { InputError } from '../core/InputError.js';

/**
 * generate: the pull_request run (generate, validate, report). comment-from-artifact: the second
 * workflow of the fork setup, which only posts the report a pull_request run uploaded.
 */
export const ACTION_MODES = ['generate', 'comment-from-artifact'] as const;
export type ActionMode = (typeof ACTION_MODES)[number];

/** `mergeReports` is the merge-reports input: a merge job reads its reports from files, not from an artifact of another run. */
export function parseActionMode(input: string, text: string, mergeReports = ''): ActionMode {
  const value = text.trim().toLowerCase() || 'generate';
  if (value === 'comment-from-artifact' && mergeReports.trim() !== '') {
    throw new InputError(
      input,
      'comment-from-artifact is set together with merge-reports',
      'Leave merge-reports empty in the workflow_run workflow: it reads every aqe-report-* artifact of the run it follows and merges the shards itself'
    );
  }
  if ((ACTION_MODES as readonly string[]).includes(value)) return value as ActionMode;
  throw new InputError(
    input,
    `"${text.trim().slice(0, 40)}" is not a mode`,
    'Use generate (the default: generate and validate tests for the pull request) or comment-from-artifact (in a workflow_run workflow: post the sticky comment from the report artifact a pull_request run uploaded; see README "Fork pull requests")'
  );
}

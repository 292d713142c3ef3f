import { readFile } from 'node:fs/promises';
import { field, isObject, str } from './payloadFields.js';
import { EventError } from './PullRequestEvent.js';

/** The parts of a workflow_run payload the comment-from-artifact mode needs. */
export interface WorkflowRunInfo {
  /** The repository the workflows run in, where the comment goes. */
  owner: string;
  repo: string;
  /** The pull_request run whose artifacts hold the report. */
  runId: number;
  headSha: string;
  headBranch: string;
  /** The head branch's repository: a fork's owner/name for a fork pull request. */
  headOwner: string;
  headRepoFullName: string;
}

const SETUP =
  'Use mode: comment-from-artifact only in a second workflow triggered by `on: workflow_run` (workflows: [the name of the pull_request workflow], types: [completed]); see README "Fork pull requests"';

/**
 * Reads the workflow_run payload of GITHUB_EVENT_PATH. Only a run triggered by pull_request is
 * accepted: that is the run whose token was read-only, so its artifact is the one to comment from;
 * pull_request_target and push runs have no report artifact of this kind to trust.
 */
export async function readWorkflowRunEvent(eventPath: string | undefined, eventName: string | undefined): Promise<WorkflowRunInfo> {
  if (eventName !== 'workflow_run') {
    throw new EventError(
      `This job was triggered by "${eventName ?? '(no GITHUB_EVENT_NAME)'}", but mode comment-from-artifact reads a workflow_run event. ${SETUP}.`
    );
  }
  if (!eventPath) throw new EventError(`GITHUB_EVENT_PATH is not set, so there is no workflow_run event to read. ${SETUP}.`);
  let payload: unknown;
  try {
    payload = JSON.parse(await readFile(eventPath, 'utf8'));
  } catch (error) {
    throw new EventError(`The event file ${eventPath} (GITHUB_EVENT_PATH) cannot be read as JSON (${(error as Error).message}). ${SETUP}.`);
  }
  return parseWorkflowRunPayload(payload, eventPath);
}

export function parseWorkflowRunPayload(payload: unknown, source: string): WorkflowRunInfo {
  const run = field(payload, 'workflow_run');
  if (!isObject(run)) throw new EventError(`The event in ${source} has no "workflow_run" object. ${SETUP}.`);
  const triggeredBy = str(field(run, 'event'));
  if (triggeredBy !== 'pull_request') {
    throw new EventError(
      `The workflow run this job follows was triggered by "${triggeredBy ?? '(unknown)'}", not pull_request, so it has no pull request report to comment from. ` +
        "Limit the workflow_run workflow to pull request runs: `if: github.event.workflow_run.event == 'pull_request'`"
    );
  }
  const fullName = str(field(field(payload, 'repository'), 'full_name')) ?? str(field(field(run, 'repository'), 'full_name'));
  const runId = field(run, 'id');
  const headSha = str(field(run, 'head_sha'));
  const headBranch = str(field(run, 'head_branch'));
  const headRepo = field(run, 'head_repository');
  const headRepoFullName = str(field(headRepo, 'full_name'));
  const headOwner = str(field(field(headRepo, 'owner'), 'login')) ?? headRepoFullName?.split('/')[0];
  if (
    !fullName?.includes('/') ||
    typeof runId !== 'number' ||
    !Number.isInteger(runId) ||
    runId <= 0 ||
    !headSha ||
    !headBranch ||
    !headOwner ||
    !headRepoFullName
  ) {
    throw new EventError(
      `The workflow_run event in ${source} lacks repository.full_name, workflow_run.id, head_sha, head_branch or head_repository. Use the payload GitHub sends for workflow_run events.`
    );
  }
  if (!/^[0-9a-f]{40}$/i.test(headSha))
    throw new EventError(`The workflow_run event in ${source} has head_sha ${JSON.stringify(headSha.slice(0, 64))}, which is not a commit sha.`);
  const [owner, repo] = fullName.split('/') as [string, string];
  return { owner, repo, runId, headSha: headSha.toLowerCase(), headBranch, headOwner, headRepoFullName };
}

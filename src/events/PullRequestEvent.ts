import { readFile } from 'node:fs/promises';
import { field, isObject, str } from './payloadFields.js';

/** The parts of a pull_request webhook payload a run needs. */
export interface PullRequestInfo {
  owner: string;
  repo: string;
  number: number;
  title: string;
  url?: string;
  baseSha: string;
  headSha: string;
  baseRef: string;
  headRef: string;
  /** True when the head lives in another repository: its token is read-only. */
  fromFork: boolean;
  /**
   * owner/name of the repository holding the head branch; absent when the event does not say
   * (a deleted fork). Pushing to the head branch is safe only when it equals owner/repo.
   */
  headRepoFullName?: string;
}

export class EventError extends Error {
  override readonly name = 'EventError';
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);

export interface EventPolicy {
  /** The allow-pull-request-target input: run on pull_request_target although it is dangerous. */
  allowPullRequestTarget?: boolean;
}

/**
 * Reads the event payload the runner wrote to GITHUB_EVENT_PATH. A run needs a pull request to
 * know what changed, so any other event ends with an explanation of how to trigger it instead.
 * pull_request_target is refused unless the policy allows it (see PULL_REQUEST_TARGET_REFUSAL).
 */
export async function readPullRequestEvent(eventPath: string | undefined, eventName: string | undefined, policy: EventPolicy = {}): Promise<PullRequestInfo> {
  if (!eventPath) {
    throw new EventError(
      'GITHUB_EVENT_PATH is not set, so there is no event to read. Run this action from a workflow triggered by `on: pull_request`, or use the `aqe run --base <ref>` CLI outside GitHub Actions.'
    );
  }
  let text: string;
  try {
    text = await readFile(eventPath, 'utf8');
  } catch (error) {
    throw new EventError(
      `The event file ${eventPath} (GITHUB_EVENT_PATH) cannot be read: ${(error as Error).message}. The runner writes it for every job; if you set GITHUB_EVENT_PATH yourself, point it at a pull_request payload.`
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new EventError(`The event file ${eventPath} (GITHUB_EVENT_PATH) is not valid JSON. Point it at a pull_request webhook payload.`);
  }
  if (eventName && !PR_EVENTS.has(eventName)) {
    throw new EventError(
      `This workflow was triggered by "${eventName}", but test generation works on a pull request's changes. Trigger the workflow with \`on: pull_request\` (types: opened, synchronize, reopened).`
    );
  }
  if (eventName === 'pull_request_target' && !policy.allowPullRequestTarget) throw new EventError(PULL_REQUEST_TARGET_REFUSAL);
  return parsePullRequestPayload(payload, eventPath);
}

/**
 * aqe executes the pull request's code (its tests and the changed sources run under jest or
 * vitest). Under pull_request_target that code would run with a token that can write to the
 * repository and with its secrets, whoever opened the pull request: a fork can take them.
 */
export const PULL_REQUEST_TARGET_REFUSAL =
  'This workflow was triggered by "pull_request_target", which aqe refuses by default: that event gives the job a token that can write to the repository and the repository\'s secrets, ' +
  "and aqe runs the pull request's code (its tests and changed sources), so any pull request, one from a fork too, could use that token and read those secrets. " +
  "Trigger the workflow with `on: pull_request` instead (a fork's pull request then gets a read-only token; on-accepted: artifact works with it). " +
  'Only if nothing but trusted code can reach this job (for example an environment with required reviewers) set the input `allow-pull-request-target: true`.';

export function parsePullRequestPayload(payload: unknown, source: string): PullRequestInfo {
  const pr = field(payload, 'pull_request');
  if (!isObject(pr)) {
    throw new EventError(
      `The event in ${source} has no "pull_request" object, so it is not a pull request event. Trigger the workflow with \`on: pull_request\`.`
    );
  }
  const base = field(pr, 'base');
  const head = field(pr, 'head');
  const baseRepo = field(base, 'repo');
  const headRepo = field(head, 'repo');
  const fullName = str(field(baseRepo, 'full_name')) ?? str(field(field(payload, 'repository'), 'full_name'));
  const number = field(pr, 'number') ?? field(payload, 'number');
  const baseSha = str(field(base, 'sha'));
  const headSha = str(field(head, 'sha'));
  if (!fullName || !fullName.includes('/') || typeof number !== 'number' || !baseSha || !headSha) {
    throw new EventError(
      `The pull_request event in ${source} lacks repository full_name, number, base.sha or head.sha. Use the payload GitHub sends for pull_request events.`
    );
  }
  const [owner, repo] = fullName.split('/') as [string, string];
  const headFullName = str(field(headRepo, 'full_name'));
  return {
    owner,
    repo,
    number,
    title: str(field(pr, 'title')) ?? '',
    url: str(field(pr, 'html_url')),
    baseSha,
    headSha,
    baseRef: str(field(base, 'ref')) ?? '',
    headRef: str(field(head, 'ref')) ?? '',
    fromFork: headFullName !== undefined && headFullName !== fullName,
    ...(headFullName !== undefined ? { headRepoFullName: headFullName } : {})
  };
}

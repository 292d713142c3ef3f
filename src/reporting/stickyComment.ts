/**
 * One PR comment per pull request, edited in place on every run, so a PR that is pushed to
 * ten times does not collect ten reports. The GitHub client is behind CommentApi so the core
 * never depends on @actions/* and the logic can be tested without a network.
 */

import { STICKY_COMMENT_MARKER } from './renderMarkdown.js';

/** The three issue-comment calls this module needs, already bound to one repository and PR. */
export interface CommentApi {
  /** Every comment on the PR (all pages), oldest first as GitHub returns them; `authorType` is GitHub's user.type (Bot, User). */
  listComments(): Promise<Array<{ id: number; body: string; authorType?: string }>>;
  createComment(body: string): Promise<{ id: number; url?: string }>;
  updateComment(id: number, body: string): Promise<{ id: number; url?: string }>;
}

export type StickyCommentResult = { action: 'created' | 'updated'; id: number; url?: string } | { action: 'skipped'; warning: string };

/** Which call failed, for a message a reader can act on; the client's error is the `cause`. */
export type StickyCommentStep = 'listing the comments' | 'creating the comment' | 'updating the comment';

/** A failure other than missing access (a 5xx after retries, a timeout, the network). */
export class StickyCommentError extends Error {
  override readonly name = 'StickyCommentError';
  /** The status GitHub answered with; undefined when no answer came (timeout, network). */
  readonly status: number | undefined;
  constructor(
    readonly step: StickyCommentStep,
    cause: unknown
  ) {
    super(`${step} failed (${describeError(cause)})`, { cause });
    this.status = answeredStatus(cause);
  }
}

export async function upsertStickyComment(api: CommentApi, body: string, marker: string = STICKY_COMMENT_MARKER): Promise<StickyCommentResult> {
  if (marker === '') throw new Error('upsertStickyComment needs a non-empty marker');
  // Without the marker in the body, the next run could not find this comment and would add another.
  const bodyWithMarker = body.includes(marker) ? body : `${marker}\n${body}`;
  let step: StickyCommentStep = 'listing the comments';
  try {
    const existing = await findStickyComment(api, marker);
    if (existing) {
      step = 'updating the comment';
      try {
        const updated = await api.updateComment(existing.id, bodyWithMarker);
        return withUrl({ action: 'updated', id: updated.id }, updated.url);
      } catch (error) {
        // Deleted between listing and editing (by a person, or a run racing this one): post anew. A 403 is
        // someone else's comment carrying the marker (this token may not edit it): post ours; if the token
        // may not write at all, the create answers 403 too and that becomes the warning.
        const status = statusOf(error);
        if (status !== 404 && status !== 403) throw error;
      }
    }
    step = 'creating the comment';
    const created = await api.createComment(bodyWithMarker);
    return withUrl({ action: 'created', id: created.id }, created.url);
  } catch (error) {
    const skipped = accessWarning(error);
    if (skipped !== undefined) return { action: 'skipped', warning: skipped };
    throw new StickyCommentError(step, error);
  }
}

/**
 * The newest comment carrying the marker. Several can exist when two runs raced or an older
 * version of the tool did not update in place; the newest is the one readers are looking at.
 * Anyone can paste the marker into a comment of their own, and a fork's author would like the
 * report to land in theirs: a bot's comment (the workflow token's identity) wins over any person's,
 * which counts only where no bot's exists (a person's token posts as that person).
 */
async function findStickyComment(api: CommentApi, marker: string): Promise<{ id: number } | undefined> {
  const marked = (await api.listComments()).filter((c) => typeof c.body === 'string' && c.body.includes(marker));
  const byBots = marked.filter((c) => c.authorType === 'Bot');
  // GitHub comment ids only grow, so the highest id is the newest whatever order the list came in.
  return (byBots.length > 0 ? byBots : marked).reduce<{ id: number } | undefined>((newest, c) => (!newest || c.id > newest.id ? c : newest), undefined);
}

function withUrl(result: { action: 'created' | 'updated'; id: number }, url: string | undefined): StickyCommentResult {
  return url === undefined ? result : { ...result, url };
}

const NOT_ACCESSIBLE = 'resource not accessible by integration';

/**
 * GitHub answers 403 "Resource not accessible by integration" when the token may not write
 * (always so for pull_request runs from forks), and 404 when a restricted token cannot even see
 * the PR. Neither is a failure of the run: the tests were generated and the summary has them.
 * (A 404 on editing the found comment never gets here: that comment was deleted, and is replaced.)
 */
function accessWarning(error: unknown): string | undefined {
  const status = statusOf(error);
  if (status === 404) return cannotSeeWarning(error);
  if (status === 403 || messageOf(error).toLowerCase().includes(NOT_ACCESSIBLE)) return noWriteAccessWarning(error);
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { status?: unknown }).status;
  if (typeof direct === 'number') return direct;
  // Some clients keep the HTTP status only on the attached response.
  const response = (error as { response?: { status?: unknown } }).response;
  return typeof response?.status === 'number' ? response.status : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

function describeError(error: unknown): string {
  const status = answeredStatus(error);
  return `${status !== undefined ? `HTTP ${status}: ` : ''}${messageOf(error)}`;
}

/**
 * The status as an HTTP answer. Octokit gives failures that got no answer (network, timeout)
 * status 500 so they are retried; they carry the request but no response, and "HTTP 500" would mislead.
 */
function answeredStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'request' in error && !('response' in error && (error as { response?: unknown }).response)) {
    return undefined;
  }
  return statusOf(error);
}

function cannotSeeWarning(error: unknown): string {
  return (
    `Could not post the PR comment (${describeError(error)}). The workflow token cannot see this pull request: ` +
    'a token limited to other repositories, or with no `pull-requests` permission, gets 404 here. ' +
    'Grant `permissions: pull-requests: write` to the job, or pass a token that can read and write this repository. ' +
    'The job summary still has the full report.'
  );
}

function noWriteAccessWarning(error: unknown): string {
  return (
    `Could not post the PR comment (${describeError(error)}). The workflow token cannot write pull-request comments; ` +
    'pull requests from forks always get a read-only GITHUB_TOKEN. ' +
    'Grant `permissions: pull-requests: write` to the job; for forks, post the comment from a second workflow ' +
    '(on: workflow_run, mode: comment-from-artifact; see README "Fork pull requests"). ' +
    'The job summary still has the full report.'
  );
}

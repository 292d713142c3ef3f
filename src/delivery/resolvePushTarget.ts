import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import { gitValue } from './deliveryGit.js';

/** Where commit mode pushes its commit. */
export interface PushTarget {
  /**
   * event: the event's repository, at a URL built from the event alone, pushed to from aqe's own
   * git directory with no git configuration at all (the checkout's .git/config was writable by
   * the generated tests). upstream (the CLI): the checked-out branch's upstream remote, pushed to
   * from the checkout with the user's own git configuration and credentials.
   */
  kind: 'event' | 'upstream';
  /** What `git push` is given: the URL (event) or the remote's name (upstream). */
  remote: string;
  /** Its push URL: the token header is scoped to it. */
  remoteUrl: string;
  /** For messages: owner/repo, or the remote's name. */
  label: string;
  /** The branch on the remote that receives the commit. */
  branch: string;
  /**
   * The commit the checkout must be at. The commit is made on top of HEAD, and a pull request
   * checkout is by default GitHub's merge commit: pushing that would merge the base branch into
   * the pull request's branch.
   */
  expectedHead?: string;
  token?: string;
}

export type PushTargetResolution = { target: PushTarget } | { refusal: string };

export const DEFAULT_SERVER_URL = 'https://github.com';

const ARTIFACT_ADVICE = 'Use `on-accepted: artifact` to hand the tests over as a workflow artifact instead';

/** GitHub's owner and repository names: letters, digits and `-`, `_`, `.` (never just dots). */
const NAME = /^(?!\.+$)[A-Za-z0-9_.-]+$/;

/**
 * In the action the target is the pull request's head branch, and only when that branch lives in
 * this repository: a fork's branch cannot be pushed to with the workflow's token. Its URL is
 * `<serverUrl>/<owner>/<repo>` from the event and GITHUB_SERVER_URL, never from the checkout.
 * Without a pull request (the CLI) it is the upstream of the branch that is checked out.
 */
export async function resolvePushTarget(
  repoDir: string,
  pullRequest: PullRequestInfo | null | undefined,
  token?: string,
  serverUrl?: string
): Promise<PushTargetResolution> {
  return pullRequest ? pullRequestTarget(pullRequest, token, serverUrl ?? DEFAULT_SERVER_URL) : upstreamTarget(repoDir, token);
}

function pullRequestTarget(pr: PullRequestInfo, token: string | undefined, serverUrl: string): PushTargetResolution {
  const baseRepo = `${pr.owner}/${pr.repo}`;
  if (!pr.headRepoFullName) {
    return {
      refusal: `the event does not name the pull request's head repository (a deleted fork?), so there is no branch known to be safe to push to. ${ARTIFACT_ADVICE}.`
    };
  }
  if (pr.headRepoFullName.toLowerCase() !== baseRepo.toLowerCase()) {
    return {
      refusal: `the pull request comes from the fork ${pr.headRepoFullName}, and a workflow in ${baseRepo} cannot push to a fork's branch. ${ARTIFACT_ADVICE}; the contributor can then add them to the pull request.`
    };
  }
  if (!pr.headRef) return { refusal: `the event does not name the pull request's head branch. ${ARTIFACT_ADVICE}.` };
  // The commit goes on top of exactly this commit: a HEAD moved by anything during the run is caught by comparing the two.
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(pr.headSha)) return { refusal: `the event does not name the pull request's head commit. ${ARTIFACT_ADVICE}.` };
  if (!NAME.test(pr.owner) || !NAME.test(pr.repo))
    return { refusal: `the event names the repository ${JSON.stringify(baseRepo)}, which is not an owner/name GitHub gives out. ${ARTIFACT_ADVICE}.` };
  const base = serverBase(serverUrl);
  if (!base) return { refusal: `GITHUB_SERVER_URL is ${JSON.stringify(serverUrl)}, not the http(s) address of a GitHub server. ${ARTIFACT_ADVICE}.` };
  const remoteUrl = `${base}/${pr.owner}/${pr.repo}`;
  return {
    target: { kind: 'event', remote: remoteUrl, remoteUrl, label: baseRepo, branch: pr.headRef, expectedHead: pr.headSha, ...(token ? { token } : {}) }
  };
}

/** The server's address without a trailing slash, or undefined when it is no plain http(s) URL. */
function serverBase(serverUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

async function upstreamTarget(repoDir: string, token: string | undefined): Promise<PushTargetResolution> {
  const branch = await gitValue(repoDir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (!branch) return { refusal: "HEAD is detached, so there is no branch to commit to. Check out the pull request's branch first." };
  const remote = await gitValue(repoDir, ['config', '--get', `branch.${branch}.remote`]);
  const merge = await gitValue(repoDir, ['config', '--get', `branch.${branch}.merge`]);
  if (!remote || remote === '.' || !merge?.startsWith('refs/heads/')) {
    return { refusal: `the branch ${branch} has no upstream branch to push to. Push it once with \`git push -u <remote> ${branch}\`.` };
  }
  // branch.<name>.remote may hold a URL instead of a remote's name.
  const remoteUrl = (await gitValue(repoDir, ['remote', 'get-url', '--push', remote])) ?? (/[:/]/.test(remote) ? remote : undefined);
  if (!remoteUrl) return { refusal: `the upstream remote "${remote}" of ${branch} has no URL.` };
  return { target: { kind: 'upstream', remote, remoteUrl, label: remote, branch: merge.slice('refs/heads/'.length), ...(token ? { token } : {}) } };
}

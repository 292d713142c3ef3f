import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import { gitValue } from './deliveryGit.js';

/** Where commit mode pushes its commit. */
export interface PushTarget {
  /** The remote's name in the checkout. */
  remote: string;
  /** Its push URL: the token header is scoped to it. */
  remoteUrl: string;
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

const ARTIFACT_ADVICE = 'Use `on-accepted: artifact` to hand the tests over as a workflow artifact instead';

/**
 * In the action the target is the pull request's head branch, and only when that branch lives in
 * this repository: a fork's branch cannot be pushed to with the workflow's token. Without a pull
 * request (the CLI) it is the upstream of the branch that is checked out.
 */
export async function resolvePushTarget(repoDir: string, pullRequest: PullRequestInfo | null | undefined, token?: string): Promise<PushTargetResolution> {
  return pullRequest ? pullRequestTarget(repoDir, pullRequest, token) : upstreamTarget(repoDir, token);
}

async function pullRequestTarget(repoDir: string, pr: PullRequestInfo, token: string | undefined): Promise<PushTargetResolution> {
  const baseRepo = `${pr.owner}/${pr.repo}`;
  if (!pr.headRepoFullName) {
    return { refusal: `the event does not name the pull request's head repository (a deleted fork?), so there is no branch known to be safe to push to. ${ARTIFACT_ADVICE}.` };
  }
  if (pr.headRepoFullName.toLowerCase() !== baseRepo.toLowerCase()) {
    return {
      refusal: `the pull request comes from the fork ${pr.headRepoFullName}, and a workflow in ${baseRepo} cannot push to a fork's branch. ${ARTIFACT_ADVICE}; the contributor can then add them to the pull request.`
    };
  }
  if (!pr.headRef) return { refusal: `the event does not name the pull request's head branch. ${ARTIFACT_ADVICE}.` };
  const remoteUrl = await gitValue(repoDir, ['remote', 'get-url', '--push', 'origin']);
  if (!remoteUrl) return { refusal: 'the checkout has no remote named origin to push to. Check the repository out with actions/checkout.' };
  return { target: { remote: 'origin', remoteUrl, branch: pr.headRef, expectedHead: pr.headSha, ...(token ? { token } : {}) } };
}

async function upstreamTarget(repoDir: string, token: string | undefined): Promise<PushTargetResolution> {
  const branch = await gitValue(repoDir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (!branch) return { refusal: 'HEAD is detached, so there is no branch to commit to. Check out the pull request\'s branch first.' };
  const remote = await gitValue(repoDir, ['config', '--get', `branch.${branch}.remote`]);
  const merge = await gitValue(repoDir, ['config', '--get', `branch.${branch}.merge`]);
  if (!remote || remote === '.' || !merge?.startsWith('refs/heads/')) {
    return { refusal: `the branch ${branch} has no upstream branch to push to. Push it once with \`git push -u <remote> ${branch}\`.` };
  }
  // branch.<name>.remote may hold a URL instead of a remote's name.
  const remoteUrl = (await gitValue(repoDir, ['remote', 'get-url', '--push', remote])) ?? (/[:/]/.test(remote) ? remote : undefined);
  if (!remoteUrl) return { refusal: `the upstream remote "${remote}" of ${branch} has no URL.` };
  return { target: { remote, remoteUrl, branch: merge.slice('refs/heads/'.length), ...(token ? { token } : {}) } };
}

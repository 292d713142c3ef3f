/**
 * A workflow_run webhook payload with the fields GitHub sends that mode comment-from-artifact
 * reads. `pull_requests` is empty as GitHub leaves it for a fork's pull request, so the action
 * has to find the pull request through the API.
 */
export function workflowRunPayload(o: {
  owner: string;
  repo: string;
  runId: number;
  headSha: string;
  headOwner: string;
  headBranch?: string;
  /** What triggered the run the workflow_run follows; pull_request unless a test says otherwise. */
  event?: string;
}): unknown {
  const full = `${o.owner}/${o.repo}`;
  return {
    action: 'completed',
    workflow_run: {
      id: o.runId,
      name: 'aqe',
      event: o.event ?? 'pull_request',
      status: 'completed',
      conclusion: 'success',
      head_sha: o.headSha,
      head_branch: o.headBranch ?? 'feature',
      pull_requests: [],
      head_repository: { full_name: `${o.headOwner}/${o.repo}`, owner: { login: o.headOwner } },
      repository: { full_name: full }
    },
    repository: { full_name: full, name: o.repo, owner: { login: o.owner } }
  };
}

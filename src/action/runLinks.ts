/**
 * Links a reader of the comment can follow to what outlives the job: the workflow run's page (its
 * job summary holds the whole report) and the run artifact. Built from the runner's own variables,
 * each checked for its form, so a value that is not one GitHub sets gives no link rather than a
 * link somewhere else.
 */

export function workflowRunUrl(env: NodeJS.ProcessEnv, runId: string | number | undefined = env.GITHUB_RUN_ID): string | undefined {
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const repository = env.GITHUB_REPOSITORY ?? '';
  const id = String(runId ?? '');
  if (!/^https?:\/\/[\w.-]+(:\d+)?(\/[\w.-]+)*$/.test(server) || !/^[\w.-]+\/[\w.-]+$/.test(repository) || !/^\d+$/.test(id)) return undefined;
  return `${server}/${repository}/actions/runs/${id}`;
}

/** The artifact's page under the run (where upload-artifact's artifact-url points too). */
export function artifactUrl(runUrl: string | undefined, artifactId: number | undefined): string | undefined {
  return runUrl && artifactId !== undefined && Number.isInteger(artifactId) && artifactId > 0 ? `${runUrl}/artifacts/${artifactId}` : undefined;
}

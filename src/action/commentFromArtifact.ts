import type { Logger } from '../core/Logger.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { WorkflowRunInfo } from '../events/WorkflowRunEvent.js';
import { reportFromArtifacts } from '../reporting/reportFromArtifacts.js';
import type { RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';
import type { GitHubClient } from './createGitHubClient.js';
import { gitHubPullRequestFinder, gitHubReportArtifacts } from './gitHubReportArtifacts.js';

/**
 * mode: comment-from-artifact. The report the pull_request run uploaded, checked against the pull
 * request the API says that run built, and written to `reportPath`; undefined, after a warning,
 * when there is none to post. The caller sets the outputs, the summary and the comment from it.
 */
export async function reportOfWorkflowRun(
  octokit: GitHubClient,
  run: WorkflowRunInfo,
  reportPath: string,
  logger: Logger
): Promise<{ report: RunReport; pr: PullRequestInfo } | undefined> {
  const outcome = await reportFromArtifacts(run, gitHubReportArtifacts(octokit, run), gitHubPullRequestFinder(octokit, run.owner, run.repo), {
    info: (m) => logger.info(m)
  });
  if (outcome.kind === 'skipped') {
    logger.warn(outcome.warning);
    return undefined;
  }
  await writeJsonReport(outcome.report, reportPath);
  const pr: PullRequestInfo = {
    owner: run.owner,
    repo: run.repo,
    number: outcome.pull.number,
    title: outcome.pull.title,
    ...(outcome.pull.url ? { url: outcome.pull.url } : {}),
    baseSha: outcome.pull.baseSha,
    headSha: run.headSha,
    baseRef: '',
    headRef: run.headBranch,
    fromFork: run.headRepoFullName.toLowerCase() !== `${run.owner}/${run.repo}`.toLowerCase(),
    headRepoFullName: run.headRepoFullName
  };
  return { report: outcome.report, pr };
}

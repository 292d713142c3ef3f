/**
 * The second half of the fork setup: a workflow_run job, whose token can write, posts the report
 * that the fork's pull_request run (read-only token) uploaded. Nothing of the fork runs here; its
 * artifact is data, and the pull request to comment on is looked up from the API, so a report that
 * names another pull request or another commit is not posted at all.
 */

import { InputError } from '../core/InputError.js';
import type { WorkflowRunInfo } from '../events/WorkflowRunEvent.js';
import { mergeReports, type ShardReport } from './mergeReports.js';
import { MAX_REPORT_BYTES, ReportArtifactError, readReportZip } from './readReportZip.js';
import type { RunReport } from './RunReport.js';

/** The name the action uploads its run artifact under, before -pr<N>[-job][-dir][-shard]. */
export const RUN_ARTIFACT_BASENAME = 'aqe-report';
export const REPORT_ARTIFACT_PREFIX = `${RUN_ARTIFACT_BASENAME}-`;
/** Only names of that shape: another artifact whose name merely starts alike (a workflow's own report upload) is not read. */
const RUN_ARTIFACT_NAME = /^aqe-report-pr\d+(?:-|$)/;
/** A report artifact holds the report, its schema, the audit log and the tests: far below this. */
export const MAX_ARTIFACT_ZIP_BYTES = 64 * 1024 ** 2;
/** A shard input goes up to 256/256: one artifact a shard. */
const MAX_REPORT_ARTIFACTS = 256;
/** What all of a run's reports may weigh together, inflated: they are parsed and held at once. */
export const MAX_TOTAL_REPORT_BYTES = 64 * 1024 ** 2;

export interface ReportArtifact {
  id: number;
  name: string;
  sizeInBytes: number;
  expired: boolean;
}

/** The artifacts of the one pull_request run this job follows. */
export interface ReportArtifactSource {
  list(): Promise<ReportArtifact[]>;
  /** The zip's bytes; fails rather than read more than `maxBytes`. */
  download(artifact: ReportArtifact, maxBytes: number): Promise<Buffer>;
}

export interface OpenPullRequest {
  number: number;
  headSha: string;
  baseSha: string;
  title: string;
  url?: string;
}

export interface PullRequestFinder {
  /** The open pull requests of this repository whose head is `headOwner:headBranch`. */
  openWithHead(headOwner: string, headBranch: string): Promise<OpenPullRequest[]>;
}

export type ArtifactReportOutcome = { kind: 'report'; report: RunReport; pull: OpenPullRequest; artifacts: string[] } | { kind: 'skipped'; warning: string };

export interface ArtifactReportOptions {
  maxZipBytes?: number;
  maxReportBytes?: number;
  maxTotalReportBytes?: number;
  info: (message: string) => void;
}

/**
 * The report of `run` and the pull request it belongs to, or the reason there is nothing to post.
 * Every failure is a `skipped` outcome with what to do: the pull_request run already reported in
 * its own job summary, so this job has nothing to fail for.
 */
export async function reportFromArtifacts(
  run: WorkflowRunInfo,
  source: ReportArtifactSource,
  pulls: PullRequestFinder,
  options: ArtifactReportOptions
): Promise<ArtifactReportOutcome> {
  const maxZipBytes = options.maxZipBytes ?? MAX_ARTIFACT_ZIP_BYTES;
  const runLabel = `workflow run ${run.runId}`;
  let artifacts: ReportArtifact[];
  try {
    artifacts = (await source.list()).filter((a) => RUN_ARTIFACT_NAME.test(a.name));
  } catch (error) {
    return skipped(`Could not list the artifacts of ${runLabel}: ${apiProblem(error)}`);
  }
  const live = artifacts.filter((a) => !a.expired);
  if (live.length === 0) {
    return skipped(
      `${runLabel} has no ${artifacts.length > 0 ? 'unexpired ' : ''}${REPORT_ARTIFACT_PREFIX}* artifact, so there is no report to comment. ` +
        "The pull_request run was skipped or failed before its report was uploaded, or it ran with report-artifact: false; see that run's job summary"
    );
  }
  if (live.length > MAX_REPORT_ARTIFACTS)
    return skipped(`${runLabel} has ${live.length} report artifacts, more than the ${MAX_REPORT_ARTIFACTS} one comment is made from`);
  const shards: ShardReport[] = [];
  let reportBytesLeft = options.maxTotalReportBytes ?? MAX_TOTAL_REPORT_BYTES;
  for (const artifact of live.sort((a, b) => a.name.localeCompare(b.name))) {
    const label = JSON.stringify(artifact.name);
    if (artifact.sizeInBytes > maxZipBytes) {
      return skipped(`The artifact ${label} of ${runLabel} is ${artifact.sizeInBytes} bytes, more than a report artifact's ${maxZipBytes}; it is not read`);
    }
    let zip: Buffer;
    try {
      zip = await source.download(artifact, maxZipBytes);
    } catch (error) {
      return skipped(`Could not download the artifact ${label} of ${runLabel}: ${apiProblem(error)}`);
    }
    try {
      const maxReportBytes = Math.min(options.maxReportBytes ?? MAX_REPORT_BYTES, reportBytesLeft);
      shards.push({ file: artifact.name, report: await readReportZip(zip, artifact.name, { maxReportBytes, read: (bytes) => (reportBytesLeft -= bytes) }) });
    } catch (error) {
      return skipped(
        `${error instanceof ReportArtifactError ? error.message : `The artifact ${label} holds no usable report: ${(error as Error).message}`} No comment is posted`
      );
    }
  }
  let report: RunReport;
  try {
    // One shard's report alone is not the pull request's: the merge checks that every shard is there.
    report = shards.length === 1 && !shards[0]!.report.shard ? shards[0]!.report : mergeReports(shards, 'mode');
  } catch (error) {
    // The merge's own fix names the merge-reports input; here the fix is in the pull_request workflow.
    const problem = error instanceof InputError ? error.problem : (error as Error).message;
    return skipped(
      `The ${shards.length} report artifact(s) of ${runLabel} cannot be merged into one comment: ${problem}. ` +
        "Every shard job of that run must upload its run artifact (report-artifact: true); see that run's jobs that failed or were cancelled"
    );
  }
  const claimed = report.pullRequest;
  if (!claimed) return skipped(`The report in ${runLabel} names no pull request, so there is nothing to comment on`);

  let open: OpenPullRequest[];
  try {
    open = (await pulls.openWithHead(run.headOwner, run.headBranch)).filter((p) => p.headSha.toLowerCase() === run.headSha);
  } catch (error) {
    return skipped(`Could not look up the pull request of ${runLabel}: ${apiProblem(error)}`);
  }
  if (open.length === 0) {
    return skipped(
      `No open pull request of ${run.owner}/${run.repo} has head ${JSON.stringify(`${run.headOwner}:${run.headBranch}`)} at ${run.headSha.slice(0, 12)}: ` +
        'it was closed, or pushed to again (the newer run comments)'
    );
  }
  const pull = open.find((p) => p.number === claimed.number);
  if (!pull || claimed.headSha.toLowerCase() !== run.headSha) {
    return skipped(
      `The report in ${runLabel} claims pull request #${claimed.number} at ${JSON.stringify(claimed.headSha.slice(0, 40))}, but that run built ` +
        `${open.map((p) => `#${p.number}`).join(', ')} at ${run.headSha.slice(0, 12)}. A report that does not match the run it came from is not posted`
    );
  }
  options.info(`Read the report of pull request #${pull.number} from ${shards.map((s) => JSON.stringify(s.file)).join(', ')}.`);
  // What the reader sees of the pull request and the repository comes from the API and the event, not from the fork's report.
  const trusted: RunReport = {
    ...report,
    repository: `${run.owner}/${run.repo}`,
    pullRequest: { number: pull.number, title: pull.title, baseSha: pull.baseSha, headSha: run.headSha, ...(pull.url ? { url: pull.url } : {}) }
  };
  return { kind: 'report', report: trusted, pull, artifacts: shards.map((s) => s.file) };
}

function skipped(warning: string): ArtifactReportOutcome {
  return { kind: 'skipped', warning: /[.!?]$/.test(warning) ? warning : `${warning}.` };
}

/** What a failed API call means for the workflow's author. */
function apiProblem(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 403 || status === 401) {
    return `GitHub refused (${status}: ${message}). Give the workflow_run workflow \`permissions: actions: read\` and \`pull-requests: write\``;
  }
  if (status === 404) return `GitHub answered 404 (${message}): the run or its artifacts are gone (deleted, or past their retention)`;
  return message;
}

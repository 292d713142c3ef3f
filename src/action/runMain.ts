import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { preflight } from '../config/checkRunEnvironment.js';
import { parseActionMode } from '../config/parseActionMode.js';
import { otlpHeaderSecrets } from '../config/parseOtlpOptions.js';
import { parseRunOptions, type RawInputs, INPUT_DEFAULTS } from '../config/parseRunOptions.js';
import type { Logger } from '../core/Logger.js';
import type { RunOptions } from '../core/RunOptions.js';
import { TOOL_VERSION } from '../core/version.js';
import type { ArtifactUploader } from '../delivery/ArtifactUploader.js';
import { readPullRequestEvent, type PullRequestInfo } from '../events/PullRequestEvent.js';
import { readWorkflowRunEvent } from '../events/WorkflowRunEvent.js';
import type { RuntimeSearch } from '../inference/loadLocalProvider.js';
import { loadProvider } from '../inference/loadProvider.js';
import type { RunArtifactTarget } from '../pipeline/runArtifact.js';
import { PipelineCancelledError, runPipeline } from '../pipeline/runPipeline.js';
import { RunCancelledError } from '../process/cancellation.js';
import { cancelOnTerminationSignals, exitCodeFor } from '../process/terminationSignals.js';
import { GitPullRequestHost } from '../repo/GitPullRequestHost.js';
import { createOctokitCommentApi } from '../reporting/octokitCommentApi.js';
import { renderComment, renderSummary, type RenderOptions } from '../reporting/renderMarkdown.js';
import type { RunReport } from '../reporting/RunReport.js';
import { RUN_ARTIFACT_BASENAME } from '../reporting/reportFromArtifacts.js';
import { upsertStickyComment } from '../reporting/stickyComment.js';
import { mergeReportFiles } from '../reporting/readShardReports.js';
import { gateFailureMessage } from '../reporting/coverageGates.js';
import { annotate } from './annotate.js';
import { reportOfWorkflowRun } from './commentFromArtifact.js';
import type { ActionRunner } from './ActionRunner.js';
import { setUpModelCache } from './actionsModelCache.js';
import { ActionsRuntimeCache, runtimeInstallRoot } from './actionsRuntimeCache.js';
import { Inputs, Outputs, State } from './constants.js';
import { createGitHubClient, gitHubClientLimitsFromEnv, type GitHubClient } from './createGitHubClient.js';
import { GitHubPullRequestHost } from './GitHubPullRequestHost.js';
import { artifactUrl, workflowRunUrl } from './runLinks.js';

/** The action's main phase: inputs in, pipeline, report out. Every failure ends as one clear message. */
export async function runMain(given: ActionRunner, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Every warning becomes an annotation, and GitHub keeps 10 a step: the uncovered-line warnings get what the run's own left.
  let warningsShown = 0;
  const runner: ActionRunner = {
    ...given,
    warning: (message, place) => {
      warningsShown += 1;
      given.warning(message, place);
    }
  };
  // A cancelled job sends SIGINT, then SIGTERM: the run stops its tests, removes its scratch copy and still reports.
  const signals = cancelOnTerminationSignals((m) => runner.warning(m));
  try {
    const raw: RawInputs = {};
    for (const name of Object.keys(INPUT_DEFAULTS) as Array<keyof typeof INPUT_DEFAULTS>) raw[name] = runner.getInput(name);
    // A key passed from a secret is masked by the runner already; one passed any other way is masked here, before any log line.
    for (const key of [raw[Inputs.AnthropicApiKey], raw[Inputs.SharedServerApiKey]]) if (key) runner.setSecret(key);
    // The collector's credentials, each value as written and percent-decoded, before the inputs are checked.
    for (const value of otlpHeaderSecrets(raw[Inputs.OtlpHeaders] ?? '')) runner.setSecret(value);
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    const tempDir = env.RUNNER_TEMP || os.tmpdir();
    const options = parseRunOptions(raw, { cwd: workspace, tempDir });
    const logger: Logger = { info: (m) => runner.info(m), warn: (m) => runner.warning(m), group: (n, t) => runner.group(n, t) };
    const gitHubClient = (): Promise<GitHubClient> =>
      createGitHubClient({
        token: runner.getInput(Inputs.GitHubToken) || env.GITHUB_TOKEN || '',
        ...gitHubClientLimitsFromEnv(env),
        warn: (m) => logger.warn(m)
      });
    if (parseActionMode(Inputs.Mode, raw[Inputs.Mode] ?? '', runner.getInput(Inputs.MergeReports)) === 'comment-from-artifact') {
      // The write-token half of the fork setup: no checkout, model or test runner, and no code of the pull request runs.
      const run = await readWorkflowRunEvent(env.GITHUB_EVENT_PATH, env.GITHUB_EVENT_NAME);
      runner.saveState(State.ReportPath, options.reportPath);
      const octokit = await gitHubClient();
      const found = await reportOfWorkflowRun(octokit, run, options.reportPath, logger);
      if (!found) return;
      // The pull_request run's page: its job summary is the whole report, written where the fork's run measured it.
      const rendering: RenderOptions = {
        ...runLink(workflowRunUrl(env, run.runId)),
        ...(found.pr.fromFork ? { measuredBy: run.headRepoFullName } : {})
      };
      try {
        setOutputs(runner, found.report, options.reportPath, 'fork-artifact');
        await runner.appendSummary(renderSummary(found.report, rendering));
      } catch (error) {
        // The report passed its checks and still does not render: it is the fork's file, not this job's fault.
        runner.warning(
          `The report of workflow run ${run.runId} could not be rendered (${error instanceof Error ? error.message : String(error)}), so no comment is posted. Check that run's own job summary.`
        );
        return;
      }
      if (options.comment) await postComment(runner, octokit, found.pr, found.report, rendering);
      return;
    }
    const pr = await readPullRequestEvent(env.GITHUB_EVENT_PATH, env.GITHUB_EVENT_NAME, { allowPullRequestTarget: options.allowPullRequestTarget });
    // merge-reports: the job after a sharded matrix generates nothing, so it needs no model, runner or checkout.
    const mergeFrom = runner.getInput(Inputs.MergeReports).trim();
    if (mergeFrom === '') await preflight(options, { workspace, tempDir, tempDirInput: env.RUNNER_TEMP ? 'RUNNER_TEMP' : 'TMPDIR' });
    runner.saveState(State.ReportPath, options.reportPath);

    const octokit = await gitHubClient();
    const actionDir = path.dirname(fileURLToPath(import.meta.url));
    if (mergeFrom !== '') {
      const merged = await mergeReportFiles(mergeFrom, {
        cwd: workspace,
        input: Inputs.MergeReports,
        reportPath: options.reportPath,
        headSha: pr.headSha,
        gates: options.coverageGates,
        info: (m) => logger.info(m)
      });
      setOutputs(runner, merged, options.reportPath);
      const rendering: RenderOptions = { ...runLink(workflowRunUrl(env)) };
      await runner.appendSummary(renderSummary(merged, rendering));
      if (options.comment) await postComment(runner, octokit, pr, merged, rendering);
      await exportMetrics(options, merged, logger);
      await annotate(runner, merged, { workspace, repoDir: options.repoDir }, warningsShown);
      applyGates(runner, merged);
      return;
    }
    let uploadedArtifact: { name: string; id?: number } | undefined;
    const reportArtifact = runArtifactTarget(options, runner, env, {
      name: artifactName(RUN_ARTIFACT_BASENAME, pr.number, env, options.repoDir, workspace, options.shard),
      uploaded: (artifact) => (uploadedArtifact = artifact)
    });
    const report = await runPipeline({
      options,
      host: options.baseRef
        ? new GitPullRequestHost(options.repoDir, options.baseRef, 'HEAD')
        : new GitHubPullRequestHost(octokit, pr, options.repoDir, (m) => logger.warn(m)),
      pullRequest: pr,
      repository: `${pr.owner}/${pr.repo}`,
      logger,
      tempDir,
      toolVersion: TOOL_VERSION,
      analysisSearchDirs: [actionDir],
      delivery: {
        pullRequest: pr,
        token: runner.getInput(Inputs.GitHubToken) || env.GITHUB_TOKEN || '',
        ...(env.GITHUB_SERVER_URL ? { serverUrl: env.GITHUB_SERVER_URL } : {}),
        artifact: { name: artifactName('aqe-accepted-tests', pr.number, env, options.repoDir, workspace, options.shard), uploader: lazyArtifactUploader }
      },
      ...(reportArtifact ? { runArtifact: reportArtifact } : {}),
      egress: {
        firewallState: { save: (installation) => runner.saveState(State.EgressFirewall, installation ? JSON.stringify(installation) : '') }
      },
      loadProvider: () =>
        loadProvider(options, { searchFrom: [actionDir], installRoot: runtimeInstallRoot(env), tempDir, ...modelCacheSearch(options, runner, env) }, logger)
    });

    // Outputs and summary first: the comment is the one step that depends on GitHub answering.
    setOutputs(runner, report, options.reportPath);
    runner.setOutput(Outputs.ReportArtifact, uploadedArtifact?.name ?? '');
    const runUrl = workflowRunUrl(env);
    const artifactPage = artifactUrl(runUrl, uploadedArtifact?.id);
    const rendering: RenderOptions = {
      ...runLink(runUrl),
      ...(uploadedArtifact ? { artifact: { name: uploadedArtifact.name, ...(artifactPage ? { url: artifactPage } : {}) } } : {})
    };
    await runner.appendSummary(renderSummary(report, rendering));
    if (options.comment) await postComment(runner, octokit, pr, report, rendering);
    await exportMetrics(options, report, logger);
    // After the comment and the export: their warnings (a fork's read-only token) count against the same limit.
    await annotate(runner, report, { workspace, repoDir: options.repoDir }, warningsShown);
    // Last: a failed gate turns the job red only once everything the reader needs is written.
    applyGates(runner, report);
  } catch (error) {
    if (error instanceof PipelineCancelledError) {
      // The outputs and the summary are local file writes: cheap enough for the seconds a cancelled job has left.
      setOutputs(runner, error.report, error.reportPath);
      await runner.appendSummary(renderSummary(error.report)).catch(() => undefined);
    }
    runner.setFailed(error instanceof Error ? error.message : String(error));
    if (error instanceof RunCancelledError) process.exitCode = exitCodeFor(error.signal);
  } finally {
    signals.release();
  }
}

/**
 * otlp-endpoint: the run's metrics, once everything the reader needs is written; a failed export is a warning. The
 * OpenTelemetry SDK is loaded only by the runs that export. Under strict, runPipeline has lifted the drop by now.
 */
async function exportMetrics(options: RunOptions, report: RunReport, logger: Logger): Promise<void> {
  if (!options.otlp) return;
  if (report.shard) {
    // The merge job exports the whole run; each shard's counts sent as well would be counted twice.
    logger.info(`Metrics: not sent from shard ${report.shard.index}/${report.shard.count}; the merge-reports job sends the merged run's.`);
    return;
  }
  const { sendRunMetrics } = await import('../reporting/exportRunMetrics.js');
  await sendRunMetrics(report, options.otlp, logger);
}

function runLink(runUrl: string | undefined): RenderOptions {
  return runUrl ? { runUrl } : {};
}

function applyGates(runner: ActionRunner, report: RunReport): void {
  const gates = report.gates ?? [];
  for (const gate of gates) if (gate.status === 'not-applicable') runner.info(`Gate ${gate.gate}: ${gate.message}.`);
  const failure = gateFailureMessage(gates);
  if (failure !== null) runner.setFailed(failure);
}

/**
 * The sticky PR comment. Every way it can fail ends as a warning: the work is done, the outputs
 * and the summary already hold the report, and a flaky API must not turn a finished run red.
 */
async function postComment(runner: ActionRunner, octokit: GitHubClient, pr: PullRequestInfo, report: RunReport, rendering: RenderOptions): Promise<void> {
  try {
    const api = createOctokitCommentApi(octokit, { owner: pr.owner, repo: pr.repo, pullNumber: pr.number });
    const result = await upsertStickyComment(api, renderComment(report, rendering));
    if (result.action === 'skipped') runner.warning(result.warning);
    else runner.info(`PR comment ${result.action}${result.url ? `: ${result.url}` : ''}`);
  } catch (error) {
    runner.warning(
      `Could not post the PR comment: ${error instanceof Error ? error.message : String(error)}. The run itself succeeded: the outputs are set and the job summary has the full report.`
    );
  }
}

/**
 * @actions/artifact imports @actions/github, whose module-level `context` parses the event file;
 * loaded only when an upload happens, it cannot pre-empt readPullRequestEvent's clear error.
 */
const lazyArtifactUploader: ArtifactUploader = {
  async upload(name, files, rootDir) {
    const { actionsArtifactUploader } = await import('./artifactUploader.js');
    return actionsArtifactUploader.upload(name, files, rootDir);
  }
};

/**
 * Where report-artifact uploads: the runner's artifact service, which a job has only when the
 * runner gives it ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL (not under act or a bare node run).
 */
function runArtifactTarget(
  options: RunOptions,
  runner: ActionRunner,
  env: NodeJS.ProcessEnv,
  target: Pick<RunArtifactTarget, 'name' | 'uploaded'>
): RunArtifactTarget | undefined {
  if (!options.reportArtifact) return undefined;
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    runner.info(
      `report-artifact: no run artifact is uploaded, because this runner offers no artifact service (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set). The JSON report is at ${options.reportPath}.`
    );
    return undefined;
  }
  return { ...target, uploader: lazyArtifactUploader };
}

/**
 * The model cache for this run, and the hook that records a fresh download for the post step,
 * which saves it after the job has used it (only on a cache miss).
 */
function modelCacheSearch(
  options: RunOptions,
  runner: ActionRunner,
  env: NodeJS.ProcessEnv
): Pick<RuntimeSearch, 'modelCache' | 'downloadDir' | 'onModelResolved' | 'env' | 'runtimeCache'> {
  const setup = setUpModelCache(options.modelCache, env);
  if (setup.warning) runner.warning(setup.warning);
  // The runtime follows the model's cache: where models go to the Actions cache, so does node-llama-cpp.
  const runtimeCache =
    setup.kind === 'actions'
      ? new ActionsRuntimeCache((dir, key) => {
          runner.saveState(State.RuntimeCacheKey, key);
          runner.saveState(State.RuntimeDir, dir);
        })
      : undefined;
  return {
    ...(runtimeCache ? { runtimeCache } : {}),
    ...(setup.cache ? { modelCache: setup.cache } : {}),
    downloadDir: setup.downloadDir,
    env,
    onModelResolved: (model) => {
      if (!model.toSave || setup.kind === 'none') return;
      runner.saveState(State.ModelCacheKind, setup.kind);
      runner.saveState(State.ModelCacheKey, model.toSave.key);
      runner.saveState(State.ModelPath, model.toSave.path);
    }
  };
}

/** Artifact names must be unique within a workflow run: one per job, and per package or shard in a matrix. */
function artifactName(prefix: string, prNumber: number, env: NodeJS.ProcessEnv, repoDir: string, workspace: string, shard: RunOptions['shard']): string {
  const dir = path
    .relative(workspace, repoDir)
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const part = shard ? `shard${shard.index}of${shard.count}` : '';
  return [prefix, `pr${prNumber}`, env.GITHUB_JOB, dir, part].filter(Boolean).join('-').slice(0, 200);
}

/**
 * Outputs whose text a fork's report chooses. In the workflow_run job they would reach later steps of a job
 * that holds a write token (`run: … ${{ steps.aqe.outputs.accepted-files }}` is a script injection), so that
 * job sets them empty, and the numbers only when they are numbers.
 */
const TEXT_OUTPUTS: ReadonlySet<string> = new Set([
  Outputs.AcceptedFiles,
  Outputs.Backend,
  Outputs.GpuDevice,
  Outputs.GpuVramMb,
  Outputs.AuditLogPath,
  Outputs.PrivacyEnforcement
]);

function setOutputs(runner: ActionRunner, report: RunReport, reportPath: string, source: 'this-run' | 'fork-artifact' = 'this-run'): void {
  for (const [name, value] of outputValues(report, reportPath)) {
    if (source === 'this-run' || name === Outputs.ReportPath) {
      runner.setOutput(name, value());
      continue;
    }
    let claimed: string | number = '';
    try {
      claimed = TEXT_OUTPUTS.has(name) ? '' : value();
    } catch {
      // A section the fork's report left out or malformed: no figure, rather than a failed job.
    }
    const numeric = typeof claimed === 'number' ? Number.isFinite(claimed) : /^-?\d+(\.\d+)?$/.test(claimed);
    runner.setOutput(name, numeric ? claimed : '');
  }
}

function outputValues(report: RunReport, reportPath: string): Array<[string, () => string | number]> {
  const inference = report.inference;
  const mib = (bytes: number): number => Math.round(bytes / 1024 ** 2);
  return [
    [Outputs.AcceptedFiles, () => (report.delivery?.files ?? []).join('\n')],
    [Outputs.ChangedLinesCoverageBefore, () => report.changedLinesBefore?.linesPct ?? ''],
    [Outputs.ChangedLinesCoverageAfter, () => report.changedLinesAfter?.linesPct ?? ''],
    [Outputs.Backend, () => (inference.provider === 'none' ? '' : inference.backend)],
    [Outputs.GpuDevice, () => inference.gpu?.device ?? ''],
    [Outputs.GpuLayers, () => inference.gpu?.layersOffloaded ?? 0],
    [Outputs.GpuVramMb, () => (inference.gpu ? `${mib(inference.gpu.vramTotalBytes)}/${mib(inference.gpu.vramFreeBytes)}` : '')],
    [Outputs.ModelLoadMs, () => inference.modelLoadMs],
    [Outputs.TestsGenerated, () => report.testsGenerated],
    [Outputs.TestsAccepted, () => report.testsAccepted],
    [Outputs.CoverageBefore, () => report.coverageBefore.linesPct ?? ''],
    [Outputs.CoverageAfter, () => report.coverageAfter.linesPct ?? ''],
    [Outputs.ReportPath, () => reportPath],
    [Outputs.CloudRequests, () => report.cost?.cloud.requests ?? 0],
    [Outputs.CloudCostUsd, () => (report.cost?.cloud.costUsd ?? 0).toFixed(6)],
    [Outputs.CostAvoidedUsd, () => (report.cost?.avoided?.costUsd ?? 0).toFixed(6)],
    [Outputs.EgressBlocked, () => report.compliance?.refused ?? 0],
    [Outputs.AuditLogPath, () => report.compliance?.auditLog ?? ''],
    [Outputs.PrivacyEnforcement, () => report.compliance?.enforcement.join(',') || 'none']
  ];
}

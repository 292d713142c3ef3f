import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getOctokit } from '@actions/github';
import { parseRunOptions, type RawInputs, INPUT_DEFAULTS } from '../config/RunOptions.js';
import { readPullRequestEvent } from '../events/PullRequestEvent.js';
import { checkModelInput, loadProvider } from '../inference/loadProvider.js';
import { runPipeline } from '../pipeline/runPipeline.js';
import type { Logger } from '../pipeline/Logger.js';
import { createOctokitCommentApi } from '../reporting/octokitCommentApi.js';
import { renderComment, renderSummary } from '../reporting/renderMarkdown.js';
import { upsertStickyComment } from '../reporting/stickyComment.js';
import type { RunReport } from '../reporting/RunReport.js';
import { TOOL_VERSION } from '../version.js';
import type { ActionRunner } from './ActionRunner.js';
import { Inputs, Outputs, State } from './constants.js';
import { GitHubPullRequestHost } from './GitHubPullRequestHost.js';
import { GitPullRequestHost } from '../repo/GitPullRequestHost.js';

/** The action's main phase: inputs in, pipeline, report out. Every failure ends as one clear message. */
export async function runMain(runner: ActionRunner, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const raw: RawInputs = {};
    for (const name of Object.keys(INPUT_DEFAULTS) as Array<keyof typeof INPUT_DEFAULTS>) raw[name] = runner.getInput(name);
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    const tempDir = env.RUNNER_TEMP || os.tmpdir();
    const options = parseRunOptions(raw, { cwd: workspace, tempDir });
    const pr = await readPullRequestEvent(env.GITHUB_EVENT_PATH, env.GITHUB_EVENT_NAME);
    await checkModelInput(options);
    runner.saveState(State.ReportPath, options.reportPath);

    const octokit = getOctokit(runner.getInput(Inputs.GitHubToken) || env.GITHUB_TOKEN || '');
    const logger: Logger = { info: (m) => runner.info(m), warn: (m) => runner.warning(m), group: (n, t) => runner.group(n, t) };
    const actionDir = path.dirname(fileURLToPath(import.meta.url));
    const report = await runPipeline({
      options,
      host: options.baseRef ? new GitPullRequestHost(options.repoDir, options.baseRef, 'HEAD') : new GitHubPullRequestHost(octokit, pr, options.repoDir, logger.warn),
      pullRequest: pr,
      repository: `${pr.owner}/${pr.repo}`,
      logger,
      tempDir,
      toolVersion: TOOL_VERSION,
      loadProvider: () => loadProvider(options, { searchFrom: [actionDir], installRoot: env.RUNNER_TOOL_CACHE || tempDir, tempDir }, logger)
    });

    await runner.appendSummary(renderSummary(report));
    if (options.comment) {
      const api = createOctokitCommentApi(octokit, { owner: pr.owner, repo: pr.repo, pullNumber: pr.number });
      const result = await upsertStickyComment(api, renderComment(report));
      if (result.action === 'skipped') runner.warning(result.warning);
      else runner.info(`PR comment ${result.action}${result.url ? `: ${result.url}` : ''}`);
    }
    setOutputs(runner, report, options.reportPath);
  } catch (error) {
    runner.setFailed(error instanceof Error ? error.message : String(error));
  }
}

function setOutputs(runner: ActionRunner, report: RunReport, reportPath: string): void {
  runner.setOutput(Outputs.TestsGenerated, report.testsGenerated);
  runner.setOutput(Outputs.TestsAccepted, report.testsAccepted);
  runner.setOutput(Outputs.CoverageBefore, report.coverageBefore.linesPct ?? '');
  runner.setOutput(Outputs.CoverageAfter, report.coverageAfter.linesPct ?? '');
  runner.setOutput(Outputs.ReportPath, reportPath);
}

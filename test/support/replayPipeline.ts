import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseRunOptions, type RawInputs } from '../../src/config/parseRunOptions.js';
import type { Logger } from '../../src/core/Logger.js';
import type { LoadedProvider } from '../../src/inference/LoadedProvider.js';
import { loadProvider } from '../../src/inference/loadProvider.js';
import type { RunArtifactTarget } from '../../src/pipeline/runArtifact.js';
import { runPipeline } from '../../src/pipeline/runPipeline.js';
import { GitPullRequestHost } from '../../src/repo/GitPullRequestHost.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { PACKAGE_ROOT, SUITE_RUN_INPUTS } from './actionHarness.js';

export const quietLogger: Logger = { info: () => undefined, warn: () => undefined, group: (_n, task) => task() };

export interface ReplayRun {
  /** The repository the pipeline runs on, and the changes base...head it judges. */
  repoDir: string;
  baseSha: string;
  headSha: string;
  /** Scratch root: the replay file, the report and the run's temp files go here. */
  root: string;
  /** Model answers by repo-relative target, served in order. */
  answers: Record<string, string | string[]>;
  /** Further inputs (repeat-runs, max-repairs, …). */
  inputs?: RawInputs;
  repository?: string;
  logger?: Logger;
  /** Report file name under `root`. */
  reportName?: string;
  /** Sees the loaded provider before the run uses it (to watch what the model is asked). */
  onProvider?: (loaded: LoadedProvider) => void;
  /** Where the run artifact goes (report-artifact); none by default. */
  runArtifact?: RunArtifactTarget;
}

/** The real pipeline on a git range, its model answered from a replay file written from `answers`. */
export async function runPipelineOnReplay(run: ReplayRun): Promise<RunReport> {
  const logger = run.logger ?? quietLogger;
  const replayFile = path.join(run.root, `${run.reportName ?? 'report'}-answers.jsonl`);
  const lines = Object.entries(run.answers).flatMap(([target, texts]) =>
    (Array.isArray(texts) ? texts : [texts]).map((text) => JSON.stringify({ target, response: { text } }))
  );
  await writeFile(replayFile, `${lines.join('\n')}\n`);
  const options = parseRunOptions(
    {
      ...SUITE_RUN_INPUTS,
      ...run.inputs,
      'replay-file': replayFile,
      'working-directory': run.repoDir,
      'report-path': path.join(run.root, `${run.reportName ?? 'report'}.json`)
    },
    { cwd: run.root, tempDir: run.root }
  );
  return runPipeline({
    options,
    host: new GitPullRequestHost(run.repoDir, run.baseSha, run.headSha),
    pullRequest: null,
    repository: run.repository ?? 'example',
    logger,
    tempDir: run.root,
    toolVersion: 'test',
    analysisSearchDirs: [PACKAGE_ROOT],
    ...(run.runArtifact ? { runArtifact: run.runArtifact } : {}),
    loadProvider: async () => {
      const loaded = await loadProvider(options, { searchFrom: [PACKAGE_ROOT], tempDir: run.root }, logger);
      run.onProvider?.(loaded);
      return loaded;
    }
  });
}

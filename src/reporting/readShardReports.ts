import { readdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { InputError } from '../core/InputError.js';
import type { CoverageGateOptions } from '../core/RunOptions.js';
import { evaluateCoverageGates } from './coverageGates.js';
import { mergeReports, type ShardReport } from './mergeReports.js';
import { readRunReport } from './readRunReport.js';
import type { RunReport } from './RunReport.js';
import { writeJsonReport } from './writeJsonReport.js';

/** A folder walked for a glob is not expected to hold more: past this the glob is too wide (a workspace root). */
const MAX_FILES_WALKED = 100_000;

/**
 * The report files a list names: one path or glob a line (or an entry of `entries`), relative to
 * `cwd`. A glob is expanded here, since a workflow input reaches no shell; one that matches no
 * file is an error, because a merge that silently lost a shard would report too little.
 */
export async function resolveReportFiles(entries: readonly string[], cwd: string, input: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of entries
    .flatMap((e) => e.split(/\r?\n/))
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const scan = picomatch.scan(entry);
    if (!scan.isGlob) {
      files.push(path.resolve(cwd, entry));
      continue;
    }
    const base = path.resolve(cwd, scan.base);
    const matches = picomatch(scan.glob, { dot: false });
    const found = (await walk(base, input, entry)).filter((rel) => matches(rel)).map((rel) => path.join(base, rel));
    if (found.length === 0) {
      throw new InputError(
        input,
        `${JSON.stringify(entry)} matches no file under ${base}`,
        "Check where the shard reports were downloaded to (actions/download-artifact's path) and give that folder's pattern, e.g. shards/*/aqe-report.json"
      );
    }
    files.push(...found.sort());
  }
  return [...new Set(files)];
}

/** Every file's path under `dir`, relative to it with forward slashes (what a glob is matched against). */
async function walk(dir: string, input: string, entry: string): Promise<string[]> {
  const out: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const listed = await readdir(path.join(dir, rel), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (rel === '' && error.code === 'ENOENT') return [];
      throw error;
    });
    for (const d of listed) {
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) pending.push(child);
      else if (d.isFile()) out.push(child);
    }
    if (out.length > MAX_FILES_WALKED) {
      throw new InputError(
        input,
        `${JSON.stringify(entry)} walks more than ${MAX_FILES_WALKED} files under ${dir}`,
        'Start the pattern at the folder the reports were downloaded to'
      );
    }
  }
  return out;
}

/** Each file read as a JSON report, checked as `aqe report` checks one; a file that is missing, not JSON or not a report is an error naming it. */
export async function readShardReports(files: readonly string[], input: string): Promise<ShardReport[]> {
  return Promise.all(files.map(async (file) => ({ file, report: await readRunReport(file, input) })));
}

/**
 * The action's merge mode: the reports `list` names (paths or globs, one a line) merged and
 * written to `reportPath`. With `headSha`, the shards must be of the pull request head this job
 * runs for, or the comment would describe other code.
 */
export async function mergeReportFiles(
  list: string,
  options: { cwd: string; input: string; reportPath: string; headSha?: string; gates?: CoverageGateOptions; info: (message: string) => void }
): Promise<RunReport> {
  const files = await resolveReportFiles([list], options.cwd, options.input);
  if (files.length === 0)
    throw new InputError(options.input, 'it names no file', "Give the shard reports' paths or a glob, one a line, e.g. shards/*/aqe-report.json");
  const report = mergeReports(await readShardReports(files, options.input), options.input);
  const head = report.pullRequest?.headSha;
  if (options.headSha && head !== options.headSha) {
    throw new InputError(
      options.input,
      `the shard reports are of ${head ? `head ${head.slice(0, 12)}` : 'no pull request'}, and this job runs for head ${options.headSha.slice(0, 12)}`,
      'Merge the reports the shard jobs of this workflow run uploaded (actions/download-artifact in the same run)'
    );
  }
  options.info(`Merged ${files.length} shard report(s): ${files.map((f) => JSON.stringify(path.relative(options.cwd, f))).join(', ')}.`);
  // The merge job's gates judge the whole pull request; a shard's verdicts covered only its part.
  const { gates: _shardGates, ...merged } = report;
  const gates = options.gates ? evaluateCoverageGates(merged, options.gates) : [];
  const judged: RunReport = gates.length > 0 ? { ...merged, gates } : merged;
  await writeJsonReport(judged, options.reportPath);
  return judged;
}

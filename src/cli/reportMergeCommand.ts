import path from 'node:path';
import { InputError } from '../core/InputError.js';
import { mergeReports } from '../reporting/mergeReports.js';
import { readShardReports, resolveReportFiles } from '../reporting/readShardReports.js';
import type { RunReport } from '../reporting/RunReport.js';
import { writeJsonReport } from '../reporting/writeJsonReport.js';

/**
 * `aqe report --merge FILES [--out FILE]`: the shard reports of one matrix (paths or globs) as one
 * report, written as JSON to `out` when given. reportCommand.ts renders it like any other report.
 */
export async function loadMergedReport(files: readonly string[], out: string | undefined, cwd: string): Promise<{ report: RunReport; reportPath?: string }> {
  if (files.length === 0) {
    throw new InputError(
      '--merge',
      'no report file was given',
      "Name every shard job's JSON report after --merge, e.g. aqe report --merge shards/*/aqe-report.json --out merged.json"
    );
  }
  const report = mergeReports(await readShardReports(await resolveReportFiles(files, cwd, '--merge'), '--merge'), '--merge');
  if (!out) return { report };
  const reportPath = path.resolve(cwd, out);
  try {
    await writeJsonReport(report, reportPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError('--out', `${reportPath} cannot be written (${code})`, 'Give a path in a folder you can write to');
  }
  return { report, reportPath };
}

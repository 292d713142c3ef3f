import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/InputError.js';
import { readRunReport } from '../reporting/readRunReport.js';
import { renderComment, renderSummary } from '../reporting/renderMarkdown.js';
import type { RunReport } from '../reporting/RunReport.js';
import { EXIT_OK, parseCommandArgs, runCommand, writeOut } from './commandIo.js';
import { loadMergedReport } from './reportMergeCommand.js';

export const REPORT_USAGE = `Usage: aqe report <report.json> [--summary FILE] [--comment FILE]
       aqe report --merge <shard.json|glob>... [--out FILE] [--summary FILE] [--comment FILE]

Renders the Markdown of a JSON report an aqe run wrote (report-path, or --report of the CLI), exactly as the
action does: the job summary (everything, up to GitHub's 1 MiB) and the sticky pull-request comment (the gist,
up to 65,536 characters).

  --summary FILE   write the job summary here
  --comment FILE   write the comment here (its first line is the marker a later run finds it by)
  --merge          the files are the JSON reports of the jobs of one sharded run (shard: i/n): they are checked
                   to be every shard of one n, once each, of one pull request head, and merged into one report
  --out FILE       with --merge: write the merged JSON report here
  With neither, the summary is printed.

Exit codes: 0 rendered; 2 usage (a missing or unknown argument, a file that is not an aqe report of a known
schemaVersion, an output that cannot be written).
`;

/** Which report(s) the command renders. A mode of its own per way of getting one report; the rendering is shared. */
export type ReportMode = { kind: 'render'; file: string } | { kind: 'merge'; files: string[]; out?: string };

export interface ReportOutputs {
  summary?: string;
  comment?: string;
}

export async function runReportCli(argv: readonly string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parseCommandArgs('report', argv, {
      summary: { type: 'string' },
      comment: { type: 'string' },
      merge: { type: 'boolean' },
      out: { type: 'string' }
    });
    if (values.help) {
      writeOut(REPORT_USAGE);
      return EXIT_OK;
    }
    if (values.out && !values.merge) throw new InputError('--out', 'it is for a merged report', 'Add --merge with the shard reports, or leave --out out');
    const mode: ReportMode = values.merge ? { kind: 'merge', files: positionals, ...(values.out ? { out: values.out } : {}) } : reportMode(positionals);
    const outputs: ReportOutputs = { ...(values.summary ? { summary: values.summary } : {}), ...(values.comment ? { comment: values.comment } : {}) };
    const printed = await renderReport(mode, outputs, process.cwd());
    if (printed) writeOut(printed.endsWith('\n') ? printed : `${printed}\n`);
    return EXIT_OK;
  });
}

function reportMode(positionals: readonly string[]): ReportMode {
  const [file, ...extra] = positionals;
  if (!file) throw new InputError('<report.json>', 'no report file was given', 'Name the JSON report to render, e.g. aqe report aqe-report.json');
  if (extra.length > 0) throw new InputError('<report.json>', `one report is rendered at a time, ${positionals.length} were given`, 'Name one JSON report');
  return { kind: 'render', file };
}

async function loadReport(mode: ReportMode, cwd: string): Promise<{ report: RunReport; reportPath?: string }> {
  switch (mode.kind) {
    case 'merge':
      return loadMergedReport(mode.files, mode.out, cwd);
    case 'render': {
      const reportPath = path.resolve(cwd, mode.file);
      return { report: await readRunReport(reportPath, '<report.json>'), reportPath };
    }
  }
}

/**
 * Renders the report to the files asked for; resolves to the text to print (the summary) when no
 * file was asked for, else to ''.
 */
export async function renderReport(mode: ReportMode, outputs: ReportOutputs, cwd: string): Promise<string> {
  const { report, reportPath } = await loadReport(mode, cwd);
  const options = reportPath ? { reportPath } : {};
  if (outputs.summary) await writeOutput('--summary', path.resolve(cwd, outputs.summary), renderSummary(report, options));
  if (outputs.comment) await writeOutput('--comment', path.resolve(cwd, outputs.comment), renderComment(report, options));
  return outputs.summary || outputs.comment ? '' : renderSummary(report, options);
}

async function writeOutput(flag: string, file: string, text: string): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text.endsWith('\n') ? text : `${text}\n`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(flag, `${file} cannot be written (${code})`, 'Give a path in a folder you can write to');
  }
}

import path from 'node:path';
import { InputError } from '../core/InputError.js';
import { diffCoverage, type DiffCoverage } from '../coverage/diffCoverage.js';
import { compressRanges } from '../coverage/lineRanges.js';
import { readCoverageFile } from '../coverage/readCoverageFile.js';
import { GitPullRequestHost } from '../repo/GitPullRequestHost.js';
import { scopeToWorkingDirectory } from '../targets/scopeToWorkingDirectory.js';

export interface DiffCoverageRequest {
  /** Repository (or working-directory) the coverage file's paths are relative to. */
  repoDir: string;
  base: string;
  head: string;
  coverageFile: string;
  /** Fail (exit 1) when the changed lines' coverage is below this percentage. */
  failUnder?: number;
}

export interface DiffCoverageOutcome {
  coverage: DiffCoverage;
  format: string;
  passed: boolean;
  markdown: string;
}

const SOURCE = /\.[cm]?[jt]sx?$/;

/**
 * Coverage of the lines `base...head` changed, from a coverage file any tool wrote (istanbul
 * JSON, lcov, Cobertura): the gate a team can put on a pull request without aqe generating anything.
 */
export async function runDiffCoverage(request: DiffCoverageRequest): Promise<DiffCoverageOutcome> {
  const report = await readCoverageFile(path.resolve(request.coverageFile), request.repoDir);
  if (report.format === 'json-summary') {
    throw new InputError(
      '--coverage',
      `${request.coverageFile} is a coverage summary, which has per-file totals but no line detail`,
      'Point it at coverage-final.json, lcov.info or a Cobertura XML file from the same run'
    );
  }
  const { inside } = await scopeToWorkingDirectory(
    request.repoDir,
    await new GitPullRequestHost(request.repoDir, request.base, request.head).listChangedFiles()
  );
  const changed = inside.filter((f) => f.status !== 'removed' && SOURCE.test(f.filename) && report.data.counts(f.filename) !== undefined);
  const coverage = diffCoverage(report.data, changed);
  const pct = coverage.total.linesPct;
  const passed = request.failUnder === undefined || pct === null || pct >= request.failUnder;
  return { coverage, format: report.format, passed, markdown: render(coverage, report.format, request, passed) };
}

function render(coverage: DiffCoverage, format: string, request: DiffCoverageRequest, passed: boolean): string {
  const pct = (p: number | null): string => (p === null ? 'n/a' : `${p.toFixed(2)}%`);
  const rows = coverage.files
    .filter((f) => f.figures.totalLines > 0)
    .map(
      (f) =>
        `| \`${f.file}\` | ${f.figures.coveredLines} / ${f.figures.totalLines} | ${pct(f.figures.linesPct)} | ${f.uncoveredChangedLines.length > 0 ? compressRanges(f.uncoveredChangedLines) : '—'} |`
    );
  const total = coverage.total;
  const gate = request.failUnder === undefined ? '' : ` · ${passed ? 'passes' : '**fails**'} the ${request.failUnder}% gate`;
  return [
    `Changed lines covered (${request.base}...${request.head}, ${format}): **${pct(total.linesPct)}** (${total.coveredLines} of ${total.totalLines})${gate}`,
    '',
    ...(rows.length > 0
      ? ['| File | Changed lines covered | % | Uncovered changed lines |', '| --- | --- | --- | --- |', ...rows]
      : ['_No changed executable line is in the coverage file._']),
    ''
  ].join('\n');
}

import type { CoverageFigures } from '../core/CoverageFigures.js';
import type { ChangedFile } from '../repo/ChangedFile.js';
import type { CoverageData } from './CoverageData.js';
import { coverageFigures } from './coverageFigures.js';

/**
 * Coverage of the lines a pull request changed ("diff coverage"), per file and in total.
 *
 * A changed line counts when it is executable: at least one statement starts on it, which is
 * the line set of istanbul's line coverage and of lcov's DA records. A changed comment, blank
 * line, type-only line, or a continuation line of a statement that started above is therefore
 * not counted. A counted line is covered when its hits (the most any statement starting on it
 * got) are above zero.
 */
export interface FileDiffCoverage {
  /** Repo-relative path. */
  file: string;
  /** False when the coverage has no data for the file; it then counts no lines. */
  measured: boolean;
  /** The changed lines were unknown (ChangedFile.changedLines undefined), so every executable line counted. */
  wholeFile: boolean;
  /** coveredLines of totalLines changed executable lines; linesPct null when there are none. */
  figures: CoverageFigures;
  /** Changed executable lines no test ran, ascending: what a generated test should reach. */
  uncoveredChangedLines: number[];
}

export interface DiffCoverage {
  files: FileDiffCoverage[];
  /** Sums over every file; linesPct null when no changed line is executable. */
  total: CoverageFigures;
}

export function diffCoverage(coverage: CoverageData, changed: ReadonlyArray<Pick<ChangedFile, 'filename' | 'changedLines'>>): DiffCoverage {
  const files = changed.map(({ filename, changedLines }) => fileDiffCoverage(coverage, filename, changedLines));
  const covered = files.reduce((sum, f) => sum + f.figures.coveredLines, 0);
  const total = files.reduce((sum, f) => sum + f.figures.totalLines, 0);
  return { files, total: coverageFigures(covered, total) };
}

function fileDiffCoverage(coverage: CoverageData, file: string, changedLines: readonly number[] | undefined): FileDiffCoverage {
  const hits = coverage.lineHits(file);
  const measured = coverage.files().includes(file);
  const lines = changedLines === undefined ? [...hits.keys()] : changedLines.filter((line) => hits.has(line));
  const uncovered = lines.filter((line) => hits.get(line) === 0);
  const unique = [...new Set(lines)];
  const uncoveredUnique = [...new Set(uncovered)].sort((a, b) => a - b);
  return {
    file,
    measured,
    wholeFile: changedLines === undefined,
    figures: coverageFigures(unique.length - uncoveredUnique.length, unique.length),
    uncoveredChangedLines: uncoveredUnique
  };
}

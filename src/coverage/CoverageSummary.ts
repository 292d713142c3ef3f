import { readFile } from 'node:fs/promises';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import { CoverageFormatError } from './CoverageFormatError.js';
import { repoRelativePath } from './repoRelativePath.js';

const SUMMARY_FIX = 'Write it with istanbul\'s json-summary reporter (jest: coverageReporters ["json-summary"]), or better, the "json" reporter (coverage-final.json), which keeps per-line data.';

/** Covered out of total for one metric; pct is null when there is nothing to cover. */
export interface SummaryMetric {
  total: number;
  covered: number;
  pct: number | null;
}

export interface FileCoverageSummary {
  lines: SummaryMetric;
  statements: SummaryMetric;
  functions: SummaryMetric;
  branches: SummaryMetric;
}

/**
 * istanbul's json-summary (coverage-summary.json): per-file totals and nothing else. It does not
 * say which lines ran, so it cannot give uncovered lines or diff coverage, and it is kept apart
 * from CoverageData (whose every file has line detail) so nothing can ask it for them.
 */
export class CoverageSummary {
  private constructor(
    private readonly byFile: ReadonlyMap<string, FileCoverageSummary>,
    /** The report's own "total" entry, over every file it measured; undefined if it had none. */
    readonly total: FileCoverageSummary | undefined
  ) {}

  /** Reads coverage-summary.json. Missing file → an empty summary, as for coverage-final.json. */
  static async readJsonSummary(file: string, rootDir: string): Promise<CoverageSummary> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new CoverageSummary(new Map(), undefined);
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new CoverageFormatError(file, `is not JSON (${(error as Error).message})`, SUMMARY_FIX);
    }
    return CoverageSummary.fromJson(raw, rootDir, file);
  }

  /** From parsed coverage-summary.json: file keys (absolute or relative to rootDir) and "total". */
  static fromJson(raw: unknown, rootDir: string, sourceName = 'coverage-summary.json'): CoverageSummary {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new CoverageFormatError(sourceName, 'is not an object of per-file summaries', SUMMARY_FIX);
    }
    const byFile = new Map<string, FileCoverageSummary>();
    let total: FileCoverageSummary | undefined;
    for (const [key, value] of Object.entries(raw)) {
      const summary = readFileSummary(value, key, sourceName);
      if (key === 'total') total = summary;
      else byFile.set(repoRelativePath(key, rootDir), summary);
    }
    return new CoverageSummary(byFile, total);
  }

  files(): string[] {
    return [...this.byFile.keys()];
  }

  forFile(file: string): FileCoverageSummary | undefined {
    return this.byFile.get(file);
  }

  /** Line coverage summed over the given files, with CoverageData.lineFigures' meaning. */
  lineFigures(files: readonly string[]): CoverageFigures {
    let covered = 0;
    let total = 0;
    for (const file of files) {
      const lines = this.byFile.get(file)?.lines;
      if (!lines) continue;
      covered += lines.covered;
      total += lines.total;
    }
    return { coveredLines: covered, totalLines: total, linesPct: percent(covered, total) };
  }
}

function readFileSummary(value: unknown, key: string, sourceName: string): FileCoverageSummary {
  const metric = (name: keyof FileCoverageSummary): SummaryMetric => {
    const m = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
    const total = typeof m === 'object' && m !== null ? (m as Record<string, unknown>).total : undefined;
    const covered = typeof m === 'object' && m !== null ? (m as Record<string, unknown>).covered : undefined;
    if (typeof total !== 'number' || typeof covered !== 'number' || covered < 0 || covered > total) {
      throw new CoverageFormatError(sourceName, `the entry "${key}" has no valid "${name}" totals (expected {"total": n, "covered": m})`, SUMMARY_FIX);
    }
    // istanbul writes 100 (older versions "Unknown") when total is 0; nothing measured is not 100%.
    return { total, covered, pct: percent(covered, total) };
  };
  return { lines: metric('lines'), statements: metric('statements'), functions: metric('functions'), branches: metric('branches') };
}

function percent(covered: number, total: number): number | null {
  return total === 0 ? null : Math.round(((covered / total) * 100) * 100) / 100;
}

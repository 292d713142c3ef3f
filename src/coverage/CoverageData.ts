import libCoverage from 'istanbul-lib-coverage';
import libSourceMaps from 'istanbul-lib-source-maps';
import type { CoverageMap, CoverageMapData, FileCoverageData } from 'istanbul-lib-coverage';
import type { CoverageFigures } from '../core/CoverageFigures.js';
import { coverageFigures } from './coverageFigures.js';
import { readCoverageText } from './readCoverageText.js';
import { repoRelativePath } from './repoRelativePath.js';

/**
 * Istanbul per-file coverage keyed by repo-relative path. Test runs happen in scratch copies at
 * other absolute paths, so keys are made relative to the copy's root on read; that lets runs from
 * different copies be merged and compared.
 */
export class CoverageData {
  private constructor(private readonly map: CoverageMap) {}

  static empty(): CoverageData {
    return new CoverageData(libCoverage.createCoverageMap({}));
  }

  /** Reads istanbul's coverage-final.json (jest/vitest `json` reporter). Missing file → empty. */
  static async readIstanbulJson(file: string, rootDir: string): Promise<CoverageData> {
    const text = await readCoverageText(file);
    return text === undefined ? CoverageData.empty() : CoverageData.fromIstanbulData(JSON.parse(text) as CoverageMapData, rootDir);
  }

  /** Istanbul coverage map data (as jest and vitest produce it), keyed repo-relative to rootDir. */
  static fromIstanbulData(raw: Record<string, unknown>, rootDir: string): CoverageData {
    const rekeyed: CoverageMapData = {};
    for (const [key, data] of Object.entries(raw)) {
      const fileData = data as FileCoverageData;
      const rel = repoRelativePath(fileData.path ?? key, rootDir);
      rekeyed[rel] = { ...fileData, path: rel };
    }
    return new CoverageData(libCoverage.createCoverageMap(rekeyed));
  }

  /**
   * Coverage as a test runner's worker recorded it (one test file's TestResult.coverage): counters on
   * the transformed code, carrying each file's inputSourceMap. Mapped back to the original source
   * the way jest's own coverage reporter does, so it lines up with coverage-final.json.
   */
  static async fromTransformedIstanbulData(raw: Record<string, unknown>, rootDir: string): Promise<CoverageData> {
    const store = libSourceMaps.createSourceMapStore();
    const mapped = await store.transformCoverage(libCoverage.createCoverageMap(raw as CoverageMapData));
    return CoverageData.fromIstanbulData(JSON.parse(JSON.stringify(mapped.toJSON())) as Record<string, unknown>, rootDir);
  }

  /**
   * Coverage from istanbul file data already keyed by repo-relative path (forward slashes), as
   * the lcov and Cobertura readers build it. Each entry's `path` is set to its key.
   */
  static fromFileCoverage(files: Readonly<Record<string, FileCoverageData>>): CoverageData {
    const data: CoverageMapData = {};
    for (const [file, fileData] of Object.entries(files)) data[file] = { ...fileData, path: file };
    return new CoverageData(libCoverage.createCoverageMap(data));
  }

  /**
   * Adds, with zero hits, the files `other` measured and this did not. jest only reports untested
   * files that lie under its `roots`, so a changed file no test loads can be missing from the
   * baseline; its shape comes from the first run that did load it, which is what "0 of N lines"
   * needs.
   */
  withUnloadedFiles(other: CoverageData): CoverageData {
    const missing = other.files().filter((f) => !this.map.files().includes(f));
    if (missing.length === 0) return this;
    const data = this.plainData();
    for (const file of missing) data[file] = zeroHits(other.plainData()[file] as FileCoverageData);
    return new CoverageData(libCoverage.createCoverageMap(data));
  }

  /** A deep copy: istanbul's toJSON hands out its live internal objects, which merges mutate. */
  private plainData(): CoverageMapData {
    return JSON.parse(JSON.stringify(this.map.toJSON())) as CoverageMapData;
  }

  files(): string[] {
    return this.map.files();
  }

  /** The data as coverage-final.json holds it, keyed repo-relative; a copy, safe to change. */
  toIstanbulJson(): CoverageMapData {
    return this.plainData();
  }

  /** A new CoverageData with the hits of both (same instrumentation is assumed per file). */
  merge(other: CoverageData): CoverageData {
    const merged = libCoverage.createCoverageMap(this.plainData());
    merged.merge(other.plainData());
    return new CoverageData(merged);
  }

  /** Line coverage summed over the given files (files without data count as unmeasured). */
  lineFigures(files: readonly string[]): CoverageFigures {
    let covered = 0;
    let total = 0;
    for (const file of files) {
      const counts = this.counts(file);
      if (!counts) continue;
      covered += counts.coveredLines;
      total += counts.totalLines;
    }
    return coverageFigures(covered, total);
  }

  /** Covered/total lines and branches of one file, or undefined when it was never loaded. */
  counts(file: string): FileCounts | undefined {
    if (!this.map.files().includes(file)) return undefined;
    const summary = this.map.fileCoverageFor(file).toSummary();
    return {
      coveredLines: summary.lines.covered,
      totalLines: summary.lines.total,
      coveredBranches: summary.branches.covered,
      totalBranches: summary.branches.total
    };
  }

  /**
   * Hits per executable line of `file`: a line is executable when at least one statement starts
   * on it, and its hits are the most any of those statements got (istanbul's line coverage, the
   * lines lcov's DA records list). Empty when the file was never loaded.
   */
  /**
   * Covered and total branch arms of `file`, limited to branches that start on one of `lines`
   * when given (the changed lines of a pull request).
   */
  branchArms(file: string, lines?: ReadonlySet<number>): { covered: number; total: number } {
    if (!this.map.files().includes(file)) return { covered: 0, total: 0 };
    const data = this.map.fileCoverageFor(file).data;
    let covered = 0;
    let total = 0;
    for (const [id, branch] of Object.entries(data.branchMap)) {
      const line = branch.loc?.start.line ?? branch.locations?.[0]?.start.line;
      if (lines && (line === undefined || !lines.has(line))) continue;
      for (const hits of data.b[id] ?? []) {
        total++;
        if (hits > 0) covered++;
      }
    }
    return { covered, total };
  }

  lineHits(file: string): Map<number, number> {
    if (!this.map.files().includes(file)) return new Map();
    const lines = this.map.fileCoverageFor(file).getLineCoverage();
    return new Map(
      Object.entries(lines)
        .map(([line, hits]): [number, number] => [Number(line), hits])
        .sort(([a], [b]) => a - b)
    );
  }

  /** Line numbers of `file` that no test executed. */
  uncoveredLines(file: string): number[] {
    if (!this.map.files().includes(file)) return [];
    const lines = this.map.fileCoverageFor(file).getLineCoverage();
    return Object.entries(lines)
      .filter(([, hits]) => hits === 0)
      .map(([line]) => Number(line))
      .sort((a, b) => a - b);
  }
}

export interface FileCounts {
  coveredLines: number;
  totalLines: number;
  coveredBranches: number;
  totalBranches: number;
}

function zeroHits(data: FileCoverageData): FileCoverageData {
  const zero = (counts: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(counts).map((k) => [k, 0]));
  return {
    ...data,
    s: zero(data.s),
    f: zero(data.f),
    b: Object.fromEntries(Object.entries(data.b).map(([k, arms]) => [k, arms.map(() => 0)]))
  };
}

import type { FileCoverageData, Range } from 'istanbul-lib-coverage';

/**
 * Builds istanbul file coverage from per-line data, for report formats that record lines rather
 * than statements (lcov, Cobertura). Each measured line becomes one statement starting on that
 * line, so istanbul's line figures (and `CoverageData.lineHits`) give back exactly the line hits
 * the report had; statement figures are therefore line figures too. Branches keep the arms and
 * counts the report gives; functions their declaration line and hits.
 */
export class LineCoverageBuilder {
  private readonly lines = new Map<number, number>();
  private readonly branches = new Map<string, { line: number; arms: Map<string, number> }>();
  private readonly functions: Array<{ name: string; line: number; hits: number }> = [];

  /** `combine` says what a second record of the same line means: another run (sum) or the same one (max). */
  addLine(line: number, hits: number, combine: 'sum' | 'max'): void {
    const previous = this.lines.get(line);
    if (previous === undefined) this.lines.set(line, hits);
    else this.lines.set(line, combine === 'sum' ? previous + hits : Math.max(previous, hits));
  }

  /** One arm of the branch `block` on `line`; arms keep the order they first appear in. */
  addBranchArm(line: number, block: string, arm: string, hits: number): void {
    const key = `${line}:${block}`;
    let branch = this.branches.get(key);
    if (!branch) {
      branch = { line, arms: new Map() };
      this.branches.set(key, branch);
    }
    branch.arms.set(arm, (branch.arms.get(arm) ?? 0) + hits);
  }

  /**
   * Declares a function (a second declaration of the same name on the same line is the same
   * function, as when records of several runs are added up) and returns its id for later hits.
   */
  addFunction(name: string, line: number, hits: number): number {
    const existing = this.functions.findIndex((f) => f.name === name && f.line === line);
    if (existing !== -1) {
      this.functions[existing]!.hits += hits;
      return existing;
    }
    this.functions.push({ name, line, hits });
    return this.functions.length - 1;
  }

  addFunctionHits(id: number, hits: number): void {
    const fn = this.functions[id];
    if (!fn) throw new RangeError(`No function ${id} was declared`);
    fn.hits += hits;
  }

  build(filePath: string): FileCoverageData {
    const data: FileCoverageData = { path: filePath, statementMap: {}, s: {}, branchMap: {}, b: {}, fnMap: {}, f: {} };
    [...this.lines.entries()]
      .sort(([a], [b]) => a - b)
      .forEach(([line, hits], i) => {
        data.statementMap[String(i)] = lineRange(line);
        data.s[String(i)] = hits;
      });
    [...this.branches.values()]
      .sort((a, b) => a.line - b.line)
      .forEach(({ line, arms }, i) => {
        data.branchMap[String(i)] = { loc: lineRange(line), type: 'branch', locations: [...arms.keys()].map(() => lineRange(line)), line };
        data.b[String(i)] = [...arms.values()];
      });
    this.functions.forEach(({ name, line, hits }, i) => {
      data.fnMap[String(i)] = { name, decl: lineRange(line), loc: lineRange(line), line };
      data.f[String(i)] = hits;
    });
    return data;
  }
}

/** Line formats carry no columns; a zero-width range at the start of the line stands for the line. */
function lineRange(line: number): Range {
  return { start: { line, column: 0 }, end: { line, column: 0 } };
}

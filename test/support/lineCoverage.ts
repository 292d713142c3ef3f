import { CoverageData } from '../../src/coverage/CoverageData.js';

const loc = (line: number) => ({ start: { line, column: 0 }, end: { line, column: 20 } });

/** Coverage data with one statement per listed line and the hits given: `{ 'src/a.ts': { 1: 1, 2: 0 } }`. */
export function lineCoverage(files: Record<string, Record<number, number>>): CoverageData {
  return CoverageData.fromFileCoverage(
    Object.fromEntries(
      Object.entries(files).map(([file, hitsByLine]) => {
        const lines = Object.keys(hitsByLine).map(Number);
        const data = {
          path: file,
          statementMap: Object.fromEntries(lines.map((line, i) => [String(i), loc(line)])),
          s: Object.fromEntries(lines.map((line, i) => [String(i), hitsByLine[line]!])),
          fnMap: {},
          f: {},
          branchMap: {},
          b: {}
        };
        return [file, data];
      })
    )
  );
}

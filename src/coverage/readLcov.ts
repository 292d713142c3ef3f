import type { FileCoverageData } from 'istanbul-lib-coverage';
import { readCoverageText } from './readCoverageText.js';
import { CoverageData } from './CoverageData.js';
import { CoverageFormatError } from './CoverageFormatError.js';
import { LineCoverageBuilder } from './LineCoverageBuilder.js';
import { repoRelativePath } from './repoRelativePath.js';

const LCOV_FIX = 'Write lcov with your test runner (jest: coverageReporters ["lcovonly"]; vitest: coverage.reporter ["lcovonly"]) and point aqe at that file.';

/** Reads an lcov tracefile (lcov.info). Missing file → empty, as for coverage-final.json. */
export async function readLcov(file: string, rootDir: string): Promise<CoverageData> {
  const text = await readCoverageText(file);
  return text === undefined ? CoverageData.empty() : parseLcov(text, rootDir, file);
}

/**
 * Parses lcov tracefile text into coverage keyed repo-relative to `rootDir` (SF paths may be
 * absolute or relative to it). Records used: SF, DA, BRDA, FN/FNDA (and lcov 2's FNL/FNA),
 * end_of_record. LF/LH, BRF/BRH, FNF/FNH are totals of those and are recomputed, not trusted;
 * TN, VER and unknown records are ignored. Several records for one file (tracefiles of several
 * runs put together) add up, as `lcov --add-tracefile` does.
 */
export function parseLcov(text: string, rootDir: string, sourceName = 'lcov'): CoverageData {
  const builders = new Map<string, LineCoverageBuilder>();
  let current: LineCoverageBuilder | undefined;
  // Per record: FNDA names a function, and the k-th FNDA of a name belongs to the k-th FN of that
  // name (names repeat: overloads, same-named inner functions). lcov 2's FNA aliases of one FNL
  // index are one function.
  let fnByName = new Map<string, number[]>();
  let fndaSeen = new Map<string, number>();
  let fnlLines = new Map<string, number>();
  let fnByIndex = new Map<string, number>();

  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '') return;
    const fail = (problem: string): never => {
      throw new CoverageFormatError(sourceName, `line ${index + 1} ("${line.slice(0, 60)}") ${problem}`, LCOV_FIX);
    };
    const colon = line.indexOf(':');
    const tag = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);

    if (tag === 'SF') {
      if (value === '') fail('names no source file');
      const key = repoRelativePath(value, rootDir);
      current = builders.get(key) ?? new LineCoverageBuilder();
      builders.set(key, current);
      fnByName = new Map();
      fndaSeen = new Map();
      fnlLines = new Map();
      fnByIndex = new Map();
      return;
    }
    if (tag === 'end_of_record') {
      current = undefined;
      return;
    }
    if (!['DA', 'BRDA', 'FN', 'FNDA', 'FNL', 'FNA'].includes(tag)) return;
    if (!current) return fail('comes before any SF record');
    const record = current;

    switch (tag) {
      case 'DA': {
        // DA:<line>,<hits>[,<checksum>]
        const [lineNo, hits] = value.split(',');
        record.addLine(positiveInt(lineNo) ?? fail('has no valid line number'), count(hits) ?? fail('has no valid hit count'), 'sum');
        return;
      }
      case 'BRDA': {
        // BRDA:<line>,<block>,<branch>,<taken>; taken "-" means the branch was never reached.
        const parts = value.split(',');
        if (parts.length < 4) fail('needs line, block, branch and taken');
        const taken = parts[parts.length - 1]!;
        const branch = parts.slice(2, -1).join(',');
        record.addBranchArm(positiveInt(parts[0]) ?? fail('has no valid line number'), parts[1]!, branch, taken === '-' ? 0 : (count(taken) ?? fail('has no valid taken count')));
        return;
      }
      case 'FN': {
        // FN:<line>,<name> or (lcov 2) FN:<line>,<end line>,<name>
        const match = /^(\d+),(?:(\d+),)?(.+)$/.exec(value) ?? fail('needs a line and a function name');
        const name = match[3]!;
        const id = record.addFunction(name, positiveInt(match[1]) ?? fail('has no valid line number'), 0);
        fnByName.set(name, [...(fnByName.get(name) ?? []), id]);
        return;
      }
      case 'FNDA': {
        // FNDA:<hits>,<name>
        const comma = value.indexOf(',');
        if (comma === -1) fail('needs a hit count and a function name');
        const name = value.slice(comma + 1);
        const hits = count(value.slice(0, comma)) ?? fail('has no valid hit count');
        const occurrence = fndaSeen.get(name) ?? 0;
        fndaSeen.set(name, occurrence + 1);
        const ids = fnByName.get(name);
        // Hits of a function no FN declared have no line to sit on; lcov itself drops them.
        if (ids) record.addFunctionHits(ids[occurrence] ?? ids[0]!, hits);
        return;
      }
      case 'FNL': {
        // lcov 2: FNL:<index>,<line>[,<end line>] declares function <index>; FNA names it.
        const [fnIndex, start] = value.split(',');
        fnlLines.set(fnIndex ?? '', positiveInt(start) ?? fail('has no valid line number'));
        return;
      }
      case 'FNA': {
        // FNA:<index>,<hits>,<name>: one alias of function <index>.
        const match = /^([^,]+),([^,]+),(.+)$/.exec(value) ?? fail('needs an index, a hit count and a name');
        const hits = count(match[2]) ?? fail('has no valid hit count');
        const known = fnByIndex.get(match[1]!);
        if (known !== undefined) {
          record.addFunctionHits(known, hits);
          return;
        }
        const start = fnlLines.get(match[1]!) ?? fail(`names function ${match[1]} that no FNL record declared`);
        fnByIndex.set(match[1]!, record.addFunction(match[3]!, start, hits));
        return;
      }
    }
  });

  const files: Record<string, FileCoverageData> = {};
  for (const [file, builder] of builders) files[file] = builder.build(file);
  return CoverageData.fromFileCoverage(files);
}

function positiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

/** Hit counts; some tools write them as floats ("1.0") or with an exponent for huge numbers. */
function count(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

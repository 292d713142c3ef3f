import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoverageData } from './CoverageData.js';
import { CoverageFormatError } from './CoverageFormatError.js';
import { CoverageSummary } from './CoverageSummary.js';
import { parseCobertura } from './readCobertura.js';
import { parseLcov } from './readLcov.js';

export type CoverageFormat = 'istanbul-json' | 'json-summary' | 'lcov' | 'cobertura';

/** A report with line detail, or a json-summary, which has per-file totals only. */
export type CoverageReport =
  | { format: 'istanbul-json' | 'lcov' | 'cobertura'; data: CoverageData }
  | { format: 'json-summary'; summary: CoverageSummary };

const FORMATS_FIX =
  'Give a coverage-final.json (istanbul "json" reporter), coverage-summary.json ("json-summary"), lcov.info ("lcovonly") or Cobertura XML ("cobertura").';

/**
 * Reads a coverage report of any supported format, telling the format from the content (the
 * name only settles an empty file). Paths in it are keyed repo-relative to `rootDir`. Unlike the
 * per-format readers, which a test run's own output feeds, a missing file is an error here: this
 * is for reports a user points at.
 */
export async function readCoverageFile(file: string, rootDir: string): Promise<CoverageReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CoverageFormatError(file, 'does not exist', 'Check the path, and that the test run that writes it ran before this step.');
    throw error;
  }
  const format = detectCoverageFormat(file, text);
  switch (format) {
    case 'istanbul-json':
      return { format, data: await CoverageData.readIstanbulJson(file, rootDir) };
    case 'json-summary':
      return { format, summary: CoverageSummary.fromJson(JSON.parse(stripBom(text)) as unknown, rootDir, file) };
    case 'lcov':
      return { format, data: parseLcov(stripBom(text), rootDir, file) };
    case 'cobertura':
      return { format, data: parseCobertura(stripBom(text), rootDir, file) };
  }
}

/** The format of a coverage report from its content, or, for an empty file, its name. Throws when neither tells. */
export function detectCoverageFormat(fileName: string, content: string): CoverageFormat {
  const text = stripBom(content).trimStart();
  const base = path.basename(fileName).toLowerCase();
  if (text === '') {
    const byName = formatFromName(base);
    if (byName) return byName;
    throw new CoverageFormatError(fileName, 'is empty, and its name does not say which coverage format it is meant to be', FORMATS_FIX);
  }
  if (text.startsWith('<')) {
    if (/<coverage[\s>]/.test(text) && /\bclover=/.test(text)) {
      throw new CoverageFormatError(fileName, 'is a Clover XML report, which aqe does not read', FORMATS_FIX);
    }
    if (/<coverage[\s>]/.test(text)) return 'cobertura';
    throw new CoverageFormatError(fileName, 'is XML without a <coverage> element, so it is not a Cobertura report', FORMATS_FIX);
  }
  if (text.startsWith('{')) return jsonFormat(fileName, base, text);
  if (/^(TN|SF):/m.test(text)) return 'lcov';
  throw new CoverageFormatError(fileName, 'is not a coverage format aqe reads', FORMATS_FIX);
}

function jsonFormat(fileName: string, base: string, text: string): CoverageFormat {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CoverageFormatError(fileName, `is not valid JSON (${(error as Error).message})`, FORMATS_FIX);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CoverageFormatError(fileName, 'is JSON but not an object of per-file coverage', FORMATS_FIX);
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  // Per-file entries: istanbul data has statementMap; a summary has metric totals under "lines".
  const sample = entries.find(([key]) => key !== 'total')?.[1] ?? (raw as Record<string, unknown>).total;
  if (typeof sample === 'object' && sample !== null) {
    if ('statementMap' in sample) return 'istanbul-json';
    if ('lines' in sample) return 'json-summary';
  }
  if (entries.length === 0) return formatFromName(base) === 'json-summary' ? 'json-summary' : 'istanbul-json';
  throw new CoverageFormatError(fileName, 'is JSON, but neither istanbul coverage (statementMap per file) nor a json-summary (lines totals per file)', FORMATS_FIX);
}

function formatFromName(base: string): CoverageFormat | undefined {
  if (base.endsWith('.info') || base.includes('lcov')) return 'lcov';
  if (base.endsWith('.xml')) return 'cobertura';
  if (base.endsWith('.json')) return base.includes('summary') ? 'json-summary' : 'istanbul-json';
  return undefined;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

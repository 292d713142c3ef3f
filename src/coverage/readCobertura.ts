import { existsSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { FileCoverageData } from 'istanbul-lib-coverage';
import { readCoverageText } from './readCoverageText.js';
import { CoverageData } from './CoverageData.js';
import { CoverageFormatError } from './CoverageFormatError.js';
import { LineCoverageBuilder } from './LineCoverageBuilder.js';
import { repoRelativePath } from './repoRelativePath.js';

const COBERTURA_FIX = 'Write Cobertura XML with your test runner (jest: coverageReporters ["cobertura"]; vitest: coverage.reporter ["cobertura"]; coverage.py: coverage xml) and point aqe at that file.';

/** Elements that may repeat; the parser gives them as arrays even when one is present. */
const REPEATED = new Set(['source', 'package', 'class', 'method', 'line']);

/** Reads a Cobertura XML report. Missing file → empty, as for coverage-final.json. */
export async function readCobertura(file: string, rootDir: string): Promise<CoverageData> {
  const text = await readCoverageText(file);
  return text === undefined ? CoverageData.empty() : parseCobertura(text, rootDir, file);
}

/**
 * Parses Cobertura XML into coverage keyed repo-relative to `rootDir`. A class's `filename` is
 * relative to one of the report's `<source>` directories (absolute, or relative to rootDir); the
 * first under which the file exists is taken, else the first inside rootDir, else the name as
 * it stands. Line hits come from each class's `<lines>`; a line's branches from its
 * `condition-coverage="50% (1/2)"`, which gives how many arms were taken but not which, so the
 * taken arms are recorded with one hit each. Functions come from `<methods>`, placed on their
 * first line. Classes sharing a file (inner classes, one class per file in coverage.py) are one
 * run, so a line listed twice keeps its highest count rather than a sum.
 */
export function parseCobertura(xml: string, rootDir: string, sourceName = 'cobertura'): CoverageData {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name, _jPath, _isLeaf, isAttribute) => !isAttribute && REPEATED.has(name)
  });
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (error) {
    throw new CoverageFormatError(sourceName, `is not well-formed XML (${(error as Error).message})`, COBERTURA_FIX);
  }
  const coverage = child(doc, 'coverage');
  if (!coverage) throw new CoverageFormatError(sourceName, 'has no <coverage> root element, so it is not a Cobertura report', COBERTURA_FIX);

  const sources = children(child(coverage, 'sources'), 'source').map((s) => (typeof s === 'string' ? s.trim() : '')).filter((s) => s !== '');
  const resolve = fileResolver(sources, rootDir);
  const builders = new Map<string, LineCoverageBuilder>();

  for (const pkg of children(child(coverage, 'packages'), 'package')) {
    for (const cls of children(child(pkg, 'classes'), 'class')) {
      const filename = attr(cls, 'filename');
      if (!filename) throw new CoverageFormatError(sourceName, `a <class> (${attr(cls, 'name') ?? 'unnamed'}) has no filename attribute`, COBERTURA_FIX);
      const key = resolve(filename);
      const builder = builders.get(key) ?? new LineCoverageBuilder();
      builders.set(key, builder);
      for (const line of children(child(cls, 'lines'), 'line')) addLine(builder, line, sourceName);
      for (const method of children(child(cls, 'methods'), 'method')) addMethod(builder, method, sourceName);
    }
  }

  const files: Record<string, FileCoverageData> = {};
  for (const [file, builder] of builders) files[file] = builder.build(file);
  return CoverageData.fromFileCoverage(files);
}

function addLine(builder: LineCoverageBuilder, line: unknown, sourceName: string): void {
  const number = lineNumber(line, sourceName);
  builder.addLine(number, hitCount(line, sourceName), 'max');
  if (attr(line, 'branch') !== 'true') return;
  const condition = /\((\d+)\/(\d+)\)/.exec(attr(line, 'condition-coverage') ?? '');
  if (!condition) return;
  const covered = Number(condition[1]);
  const total = Number(condition[2]);
  for (let arm = 0; arm < total; arm++) builder.addBranchArm(number, 'cobertura', String(arm), arm < covered ? 1 : 0);
}

function addMethod(builder: LineCoverageBuilder, method: unknown, sourceName: string): void {
  const lines = children(child(method, 'lines'), 'line');
  if (lines.length === 0) return; // nowhere to place it
  const first = lines.reduce((a, b) => (lineNumber(b, sourceName) < lineNumber(a, sourceName) ? b : a));
  // Standard Cobertura has no hits on <method>; istanbul adds them. Otherwise the first line's hits stand for the call count.
  const hits = attr(method, 'hits') !== undefined ? hitCount(method, sourceName) : hitCount(first, sourceName);
  builder.addFunction(attr(method, 'name') ?? '(anonymous)', lineNumber(first, sourceName), hits);
}

function fileResolver(sources: readonly string[], rootDir: string): (filename: string) => string {
  const cache = new Map<string, string>();
  const inside = (p: string): boolean => {
    const rel = path.relative(rootDir, p);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  return (filename) => {
    let key = cache.get(filename);
    if (key !== undefined) return key;
    if (path.isAbsolute(filename)) {
      key = repoRelativePath(filename, rootDir);
    } else {
      const candidates = sources.map((source) => path.resolve(rootDir, source, filename));
      const chosen = candidates.find((c) => existsSync(c)) ?? candidates.find(inside);
      key = chosen ? repoRelativePath(chosen, rootDir) : repoRelativePath(filename, rootDir);
    }
    cache.set(filename, key);
    return key;
  };
}

function lineNumber(line: unknown, sourceName: string): number {
  const text = attr(line, 'number');
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 1) throw new CoverageFormatError(sourceName, `a <line> has number="${text ?? ''}", not a line number`, COBERTURA_FIX);
  return n;
}

function hitCount(element: unknown, sourceName: string): number {
  const text = attr(element, 'hits');
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n) || n < 0) throw new CoverageFormatError(sourceName, `an element has hits="${text ?? ''}", not a hit count`, COBERTURA_FIX);
  return n;
}

function child(node: unknown, name: string): unknown {
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[name] : undefined;
}

/** The repeated `name` children of node: [] when absent, or when the parent is an empty element (""). */
function children(node: unknown, name: string): unknown[] {
  const value = child(node, name);
  return Array.isArray(value) ? value : [];
}

function attr(node: unknown, name: string): string | undefined {
  const value = child(node, `@_${name}`);
  return typeof value === 'string' ? value : undefined;
}

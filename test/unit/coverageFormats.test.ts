/**
 * The coverage readers against reports written by the real tools: source files are instrumented
 * by istanbul-lib-instrument and run, and istanbul-reports (what jest's and vitest's reporters
 * are) writes that one run as coverage-final.json, lcov, Cobertura XML and json-summary. Every
 * format must then give the same per-line hits.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import libCoverage from 'istanbul-lib-coverage';
import type { CoverageMapData } from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';

import { CoverageData } from '../../src/coverage/CoverageData.js';
import { CoverageFormatError } from '../../src/coverage/CoverageFormatError.js';
import { CoverageSummary } from '../../src/coverage/CoverageSummary.js';
import { parseCobertura, readCobertura } from '../../src/coverage/readCobertura.js';
import { detectCoverageFormat, readCoverageFile } from '../../src/coverage/readCoverageFile.js';
import { parseLcov, readLcov } from '../../src/coverage/readLcov.js';

// istanbul-lib-instrument ships no types; only these two calls are used.
const require = createRequire(import.meta.url);
const { createInstrumenter } = require('istanbul-lib-instrument') as {
  createInstrumenter: (options: { coverageVariable: string; esModules: boolean }) => { instrumentSync(code: string, filename: string): string };
};

const SOURCES: Record<string, string> = {
  'src/calc.js': [
    'function classify(n) {',
    '  if (n < 0) {',
    "    return 'negative';",
    '  } else if (n === 0) {',
    "    return 'zero';",
    '  }',
    "  const size = n > 100 ? 'big' : 'small';",
    '  return size;',
    '}',
    '',
    'function unused(a, b) {',
    '  return a && b;',
    '}',
    '',
    'const results = [classify(5), classify(-1), classify(500)];',
    'module.exports = { classify, unused, results };',
    ''
  ].join('\n'),
  // Several statements on one line, and statements spanning lines.
  'src/lib/util.js': [
    'const a = 1; const b = 2; const c = a > 5 ? a : b;',
    'function sum(x,',
    '  y) { return x + y; }',
    'const total = sum(',
    '  a,',
    '  c',
    ');',
    'if (total > 100) { module.exports = null; }',
    'module.exports = { total };',
    ''
  ].join('\n')
};

let root: string;
let reportDir: string;

/** Instruments and runs every source once, as a test run would, and returns istanbul's counters. */
function runInstrumented(): CoverageMapData {
  const instrumenter = createInstrumenter({ coverageVariable: '__coverage__', esModules: false });
  const context = vm.createContext({ module: { exports: {} } });
  for (const [rel, code] of Object.entries(SOURCES)) {
    const file = path.join(root, rel);
    vm.runInContext(instrumenter.instrumentSync(code, file), context);
    vm.runInContext('module = { exports: {} };', context);
  }
  return JSON.parse(JSON.stringify((context as { __coverage__: CoverageMapData }).__coverage__)) as CoverageMapData;
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-covfmt-')));
  for (const [rel, code] of Object.entries(SOURCES)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), code);
  }
  reportDir = path.join(root, 'coverage');
  const coverageMap = libCoverage.createCoverageMap(runInstrumented());
  const context = libReport.createContext({ dir: reportDir, coverageMap });
  reports.create('json').execute(context);
  reports.create('lcovonly', { projectRoot: root }).execute(context);
  reports.create('cobertura', { projectRoot: root }).execute(context);
  reports.create('json-summary').execute(context);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const FILES = ['src/calc.js', 'src/lib/util.js'];
const report = (name: string): string => path.join(reportDir, name);

describe('one run written by istanbul-reports in every format', () => {
  let json: CoverageData;
  let lcov: CoverageData;
  let cobertura: CoverageData;

  beforeAll(async () => {
    json = await CoverageData.readIstanbulJson(report('coverage-final.json'), root);
    lcov = await readLcov(report('lcov.info'), root);
    cobertura = await readCobertura(report('cobertura-coverage.xml'), root);
  });

  it('keys every format by the same repo-relative paths', () => {
    expect(json.files().sort()).toEqual(FILES);
    expect(lcov.files().sort()).toEqual(FILES);
    expect(cobertura.files().sort()).toEqual(FILES);
  });

  it('gives the same hits on every line', () => {
    for (const file of FILES) {
      const hits = json.lineHits(file);
      expect(hits.size).toBeGreaterThan(3);
      expect(lcov.lineHits(file)).toEqual(hits);
      expect(cobertura.lineHits(file)).toEqual(hits);
    }
    // The run really happened: unused() never ran, the negative branch did.
    expect(json.lineHits('src/calc.js').get(12)).toBe(0);
    expect(json.lineHits('src/calc.js').get(3)).toBe(1);
    expect(json.lineHits('src/calc.js').get(5)).toBe(0);
  });

  it('gives the same line and branch counts and uncovered lines', () => {
    for (const file of FILES) {
      expect(lcov.counts(file)).toEqual(json.counts(file));
      expect(cobertura.counts(file)).toEqual(json.counts(file));
      expect(lcov.uncoveredLines(file)).toEqual(json.uncoveredLines(file));
      expect(cobertura.uncoveredLines(file)).toEqual(json.uncoveredLines(file));
    }
    expect(json.counts('src/calc.js')!.totalBranches).toBeGreaterThan(0);
    expect(lcov.lineFigures(FILES)).toEqual(json.lineFigures(FILES));
  });

  it('reads the json-summary to the same line totals, without line detail', async () => {
    const summary = await CoverageSummary.readJsonSummary(report('coverage-summary.json'), root);
    expect(summary.files().sort()).toEqual(FILES);
    for (const file of FILES) {
      const counts = json.counts(file)!;
      expect(summary.forFile(file)).toMatchObject({
        lines: { covered: counts.coveredLines, total: counts.totalLines },
        branches: { covered: counts.coveredBranches, total: counts.totalBranches }
      });
    }
    expect(summary.lineFigures(FILES)).toEqual(json.lineFigures(FILES));
    const totalLines = FILES.reduce((n, f) => n + json.counts(f)!.totalLines, 0);
    expect(summary.total?.lines.total).toBe(totalLines);
  });

  it('carries function hits through lcov and Cobertura', () => {
    const functions = (data: CoverageData, file: string) => libCoverage.createFileCoverage(data.toIstanbulJson()[file]!).toSummary().functions;
    for (const file of FILES) {
      expect(functions(lcov, file)).toEqual(functions(json, file));
      expect(functions(cobertura, file)).toEqual(functions(json, file));
    }
    // classify ran, unused did not
    expect(functions(json, 'src/calc.js')).toMatchObject({ total: 2, covered: 1 });
  });

  it('tells each format from its content and reads it', async () => {
    const read = async (name: string) => readCoverageFile(report(name), root);
    const final = await read('coverage-final.json');
    const info = await read('lcov.info');
    const xml = await read('cobertura-coverage.xml');
    const summary = await read('coverage-summary.json');
    expect([final.format, info.format, xml.format, summary.format]).toEqual(['istanbul-json', 'lcov', 'cobertura', 'json-summary']);
    if (final.format === 'json-summary' || info.format === 'json-summary' || xml.format === 'json-summary' || summary.format !== 'json-summary')
      throw new Error('unreachable');
    expect(info.data.lineHits('src/calc.js')).toEqual(final.data.lineHits('src/calc.js'));
    expect(xml.data.lineHits('src/lib/util.js')).toEqual(final.data.lineHits('src/lib/util.js'));
    expect(summary.summary.files().sort()).toEqual(FILES);
  });

  it('goes by content, not by name', () => {
    const lcovText = readFileSync(report('lcov.info'), 'utf8');
    const xmlText = readFileSync(report('cobertura-coverage.xml'), 'utf8');
    expect(detectCoverageFormat('coverage.txt', lcovText)).toBe('lcov');
    expect(detectCoverageFormat('report.json', xmlText)).toBe('cobertura');
    expect(detectCoverageFormat('lcov.info', '')).toBe('lcov');
    expect(detectCoverageFormat('coverage-summary.json', '')).toBe('json-summary');
    expect(detectCoverageFormat('coverage-summary.json', '{}')).toBe('json-summary');
    expect(detectCoverageFormat('coverage-final.json', '{}')).toBe('istanbul-json');
  });
});

describe('parseLcov', () => {
  it('takes absolute SF paths relative to the root, and adds up repeated records of a file', () => {
    const text = [
      'TN:first',
      `SF:${path.join(root, 'src', 'a.ts')}`,
      'DA:1,2',
      'DA:2,0',
      'BRDA:2,0,0,1',
      'BRDA:2,0,1,0',
      'LF:2',
      'LH:1',
      'end_of_record',
      'TN:second',
      'SF:./src/a.ts',
      'DA:2,3,bm90IGEgY2hlY2tzdW0',
      'BRDA:2,0,1,4',
      'end_of_record',
      ''
    ].join('\n');
    const data = parseLcov(text, root);
    expect(data.files()).toEqual(['src/a.ts']);
    expect([...data.lineHits('src/a.ts')]).toEqual([
      [1, 2],
      [2, 3]
    ]);
    expect(data.counts('src/a.ts')).toEqual({ coveredLines: 2, totalLines: 2, coveredBranches: 2, totalBranches: 2 });
  });

  it('counts never-reached branches ("-") as not taken and reads CRLF files', () => {
    const data = parseLcov(['SF:b.ts', 'DA:3,1', 'BRDA:3,0,0,-', 'BRDA:3,0,1,-', 'BRDA:3,1,0,2', 'end_of_record'].join('\r\n'), root);
    expect(data.counts('b.ts')).toEqual({ coveredLines: 1, totalLines: 1, coveredBranches: 1, totalBranches: 3 });
  });

  it("reads lcov 2's FNL/FNA function records and matches repeated FN names by order", () => {
    const text = [
      'SF:c.ts',
      'FNL:0,1,3',
      'FNA:0,2,main',
      'FNA:0,1,main_alias',
      'FN:5,dup',
      'FN:9,dup',
      'FNDA:0,dup',
      'FNDA:7,dup',
      'DA:1,2',
      'DA:5,0',
      'DA:9,7',
      'end_of_record'
    ].join('\n');
    const data = parseLcov(text, root);
    // Functions are not part of counts(); their shape shows in the istanbul summary lcov writes back.
    const context = libReport.createContext({ dir: path.join(root, 'rewrite'), coverageMap: libCoverage.createCoverageMap(data.toIstanbulJson()) });
    reports.create('lcovonly', { projectRoot: root }).execute(context);
    const written = readFileSync(path.join(root, 'rewrite', 'lcov.info'), 'utf8');
    expect(written).toContain('FNF:3');
    expect(written).toContain('FNH:2');
    expect(written).toMatch(/^FNDA:3,main$/m);
    expect(written).toMatch(/^FNDA:0,dup$/m);
    expect(written).toMatch(/^FNDA:7,dup$/m);
  });

  it('rejects malformed records with the line they are on', () => {
    expect(() => parseLcov('SF:a.ts\nDA:x,1\nend_of_record', root, 'lcov.info')).toThrow(CoverageFormatError);
    expect(() => parseLcov('SF:a.ts\nDA:x,1\nend_of_record', root, 'lcov.info')).toThrow(/lcov\.info: line 2/);
    expect(() => parseLcov('DA:1,1', root)).toThrow(/before any SF/);
  });

  it('returns empty data for a missing file', async () => {
    expect((await readLcov(path.join(root, 'none.info'), root)).files()).toEqual([]);
  });
});

describe('parseCobertura', () => {
  it('resolves class filenames against the source under which the file exists, else the first inside the root (coverage.py style)', () => {
    mkdirSync(path.join(root, 'pkg', 'lib'), { recursive: true });
    writeFileSync(path.join(root, 'pkg', 'lib', 'mod.py'), 'x = 1\n');
    const xml = `<?xml version="1.0" ?>
<coverage version="7.4" timestamp="1" lines-valid="3" lines-covered="2" line-rate="0.66" branches-covered="1" branches-valid="2" branch-rate="0.5" complexity="0">
  <sources>
    <source>${path.join(path.dirname(root), 'aqe-not-in-this-repo')}</source>
    <source>pkg</source>
  </sources>
  <packages>
    <package name="lib" line-rate="0.66" branch-rate="0.5" complexity="0">
      <classes>
        <class name="mod.py" filename="lib/mod.py" complexity="0" line-rate="0.66" branch-rate="0.5">
          <methods/>
          <lines>
            <line number="1" hits="1"/>
            <line number="2" hits="0" branch="true" condition-coverage="50% (1/2)" missing-branches="4"/>
          </lines>
        </class>
        <class name="Inner" filename="lib/mod.py" complexity="0" line-rate="1" branch-rate="1">
          <methods>
            <method name="run" signature="(I)V" line-rate="1" branch-rate="1">
              <lines><line number="3" hits="5"/><line number="4" hits="5"/></lines>
            </method>
          </methods>
          <lines>
            <line number="1" hits="3"/>
            <line number="3" hits="5"/>
          </lines>
        </class>
        <class name="Empty" filename="lib/empty.py"><lines/></class>
      </classes>
    </package>
  </packages>
</coverage>`;
    const data = parseCobertura(xml, root);
    expect(data.files().sort()).toEqual(['pkg/lib/empty.py', 'pkg/lib/mod.py']);
    // A line listed by two classes of one run keeps its highest count.
    expect([...data.lineHits('pkg/lib/mod.py')]).toEqual([
      [1, 3],
      [2, 0],
      [3, 5]
    ]);
    expect(data.counts('pkg/lib/mod.py')).toEqual({ coveredLines: 2, totalLines: 3, coveredBranches: 1, totalBranches: 2 });
  });

  it('rejects a report that is not Cobertura', () => {
    expect(() => parseCobertura('<report><x/></report>', root, 'c.xml')).toThrow(/no <coverage> root element/);
    expect(() => parseCobertura('<coverage><packages><package><classes><class name="x"/></classes></package></packages></coverage>', root, 'c.xml')).toThrow(
      /has no filename/
    );
    expect(() =>
      parseCobertura(
        '<coverage><packages><package><classes><class filename="a"><lines><line number="0" hits="1"/></lines></class></classes></package></packages></coverage>',
        root
      )
    ).toThrow(CoverageFormatError);
  });
});

describe('readCoverageFile errors', () => {
  it('says what is wrong and what to give instead', async () => {
    const write = (name: string, content: string): string => {
      const file = path.join(root, name);
      writeFileSync(file, content);
      return file;
    };
    await expect(readCoverageFile(path.join(root, 'missing.info'), root)).rejects.toThrow(/does not exist/);
    await expect(
      readCoverageFile(write('clover.xml', '<?xml version="1.0"?><coverage generated="1" clover="3.2.0"><project/></coverage>'), root)
    ).rejects.toThrow(/Clover/);
    await expect(readCoverageFile(write('odd.json', '{"a": {"b": 1}}'), root)).rejects.toThrow(/neither istanbul coverage/);
    await expect(readCoverageFile(write('notes.txt', 'hello'), root)).rejects.toThrow(/lcov\.info.*Cobertura/);
    await expect(readCoverageFile(write('empty.dat', ''), root)).rejects.toThrow(CoverageFormatError);
  });

  it('rejects a json-summary entry without totals', () => {
    expect(() => CoverageSummary.fromJson({ total: { lines: { total: 1 } } }, root)).toThrow(/no valid "lines" totals/);
  });

  it('reports no percentage for a file with nothing to cover, whatever istanbul wrote', () => {
    const metric = { total: 0, covered: 0, skipped: 0, pct: 100 };
    const summary = CoverageSummary.fromJson({ '/r/a.ts': { lines: metric, statements: metric, functions: metric, branches: metric } }, '/r');
    expect(summary.forFile('a.ts')?.lines.pct).toBeNull();
  });
});

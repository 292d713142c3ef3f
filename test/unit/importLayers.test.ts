import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/**
 * The layers of src/, by top-level folder ('.' = the entry files main.ts, post.ts, cli.ts). A file
 * may import from its own folder and from folders of lower rank; folders of the same rank do not
 * import each other. The README's "Repository layout" table says the same in words.
 */
const LAYERS: Readonly<Record<string, number>> = {
  '.': 9, // entries: bundled into dist/
  action: 8, // faces: the action (the only user of @actions/*) and the CLI
  cli: 8,
  config: 7, // inputs parsed and checked
  pipeline: 6, // sequences the stages
  targets: 5, // stage that also picks each package's runner (validation/runners), so it sits above the others
  generation: 4, // stages, in run order; the pipeline hands data from one to the next
  validation: 4,
  delivery: 4,
  reporting: 4,
  coverage: 3, // libraries
  routing: 3, // which provider answers each task, what it cost, and the budget that caps it
  serve: 3, // `aqe serve`: the OpenAI-compatible HTTP server over a loaded provider (the CLI loads it)
  inference: 2,
  repo: 2,
  sandbox: 2, // where every test-runner process starts: namespaces, allow-listed environment, reaping
  analysis: 1,
  events: 1,
  gguf: 1,
  process: 1,
  privacy: 1, // what may leave the machine: the egress guard, secret redaction, the audit log
  core: 0 // shared vocabulary
};

/** Imports of @actions/* are confined to this folder, so the CLI and the core run without a runner. */
const ACTIONS_FOLDER = 'action';

interface Import {
  /** Importing file, relative to src/, forward slashes. */
  from: string;
  specifier: string;
  line: number;
  /** The file it resolves to (relative to src/), for relative specifiers; null when it does not resolve. */
  to: string | null | undefined;
}

/** The .ts files under src/ (ambient .d.ts files import nothing), relative to it. */
function sourceFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? sourceFiles(path.join(dir, e.name), `${prefix}${e.name}/`)
        : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
          ? [`${prefix}${e.name}`]
          : []
    )
    .sort();
}

/** Static imports, re-exports, `import type` and literal `import()` calls, as the compiler reads them. */
function importsOf(file: string, text: string, exists: (file: string) => boolean): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: specifier, pos }) => {
    const line = text.slice(0, pos).split('\n').length;
    if (!specifier.startsWith('.')) return { from: file, specifier, line, to: undefined };
    const base = path.posix.join(path.posix.dirname(file), specifier);
    const to = [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`].find(exists) ?? null;
    return { from: file, specifier, line, to };
  });
}

function folderOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
}

function where(i: Import): string {
  return `src/${i.from}:${i.line} imports '${i.specifier}'`;
}

/** Each cycle once, as the files in import order with the first repeated at the end. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

function layerViolations(imports: readonly Import[]): string[] {
  const problems: string[] = [];
  for (const i of imports) {
    const from = folderOf(i.from);
    if (LAYERS[from] === undefined) problems.push(`src/${i.from}: folder ${from}/ has no rank in LAYERS; add it to the table (and the README's layout)`);
    if (!i.to) continue;
    const to = folderOf(i.to);
    if (from === to || LAYERS[from] === undefined || LAYERS[to] === undefined) continue;
    if (LAYERS[to]! >= LAYERS[from]!) problems.push(`${where(i)}: ${from}/ (rank ${LAYERS[from]}) may not import ${to}/ (rank ${LAYERS[to]})`);
  }
  return [...new Set(problems)];
}

function actionsOutsideAction(imports: readonly Import[]): string[] {
  return imports
    .filter((i) => /^@actions\//.test(i.specifier) && folderOf(i.from) !== ACTIONS_FOLDER)
    .map((i) => `${where(i)}: @actions/* belongs in src/${ACTIONS_FOLDER}/ only`);
}

function graphOf(imports: readonly Import[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const i of imports) {
    if (!graph.has(i.from)) graph.set(i.from, []);
    if (i.to) graph.get(i.from)!.push(i.to);
  }
  return graph;
}

describe('import layers of src/', () => {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const imports = files.flatMap((file) => importsOf(file, readFileSync(path.join(SRC, file), 'utf8'), (f) => known.has(f) || existsSync(path.join(SRC, f))));

  it('reads the sources and their imports', () => {
    // A broken walk or parse would make every check below pass on nothing.
    expect(files).toContain('main.ts');
    expect(files.length).toBeGreaterThan(50);
    expect(imports.filter((i) => i.to).length).toBeGreaterThan(200);
  });

  it('resolves every relative import to a file', () => {
    expect(imports.filter((i) => i.to === null).map((i) => `${where(i)}: no such file`)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(findCycles(graphOf(imports)).map((cycle) => `cycle: ${cycle.map((f) => `src/${f}`).join(' → ')}`)).toEqual([]);
  });

  it('imports only downward: from a folder to its own or to one of lower rank', () => {
    expect(layerViolations(imports)).toEqual([]);
  });

  it('imports @actions/* only under src/action/', () => {
    expect(actionsOutsideAction(imports)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const parse = (files: Record<string, string>): Import[] => Object.entries(files).flatMap(([file, text]) => importsOf(file, text, (f) => f in files));

  it('reads every kind of import', () => {
    const found = parse({
      'a/x.ts':
        "import type { T } from './y.js';\nexport { v } from '../b/z.js';\nimport '../core/side.js';\nconst m = await import('./y.js');\nimport { c } from '@actions/core';",
      'a/y.ts': '',
      'b/z.ts': '',
      'core/side.ts': ''
    });
    expect(found.map((i) => [i.specifier, i.to, i.line])).toEqual([
      ['./y.js', 'a/y.ts', 1],
      ['../b/z.js', 'b/z.ts', 2],
      ['../core/side.js', 'core/side.ts', 3],
      ['./y.js', 'a/y.ts', 4],
      ['@actions/core', undefined, 5]
    ]);
  });

  it('names the files of a cycle in order', () => {
    const found = parse({ 'core/a.ts': "import './b.js';", 'core/b.ts': "import './c.js';", 'core/c.ts': "import './a.js';", 'core/d.ts': "import './a.js';" });
    expect(findCycles(graphOf(found))).toEqual([['core/a.ts', 'core/b.ts', 'core/c.ts', 'core/a.ts']]);
  });

  it('flags an upward import, a sideways one between stages, an unranked folder and @actions/* outside the action', () => {
    const found = parse({
      'core/a.ts': "import '../reporting/r.js';",
      'reporting/r.ts': "import '../validation/v.js';\nimport '../core/a.js';",
      'validation/v.ts': "import '@actions/core';",
      'extra/e.ts': "import '../core/a.js';"
    });
    expect(layerViolations(found)).toEqual([
      "src/core/a.ts:1 imports '../reporting/r.js': core/ (rank 0) may not import reporting/ (rank 4)",
      "src/reporting/r.ts:1 imports '../validation/v.js': reporting/ (rank 4) may not import validation/ (rank 4)",
      "src/extra/e.ts: folder extra/ has no rank in LAYERS; add it to the table (and the README's layout)"
    ]);
    expect(actionsOutsideAction(found)).toEqual(["src/validation/v.ts:1 imports '@actions/core': @actions/* belongs in src/action/ only"]);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { readModuleDeclarations, type ModuleDeclaration, type ModuleDeclarations } from './moduleDeclarations.js';
import { parseSource } from './parseSource.js';
import { renderDeclaration } from './signatures.js';

/** One relative module a source file imports. */
export interface ImportedModule {
  /** As written: `./math.js`. */
  specifier: string;
  /** Absolute path of the file it resolves to; undefined when none was found. */
  resolvedFile?: string;
  /** What is taken from it: export names, `default`, or `*` for the whole module (namespace import, bare `require`). */
  names: string[];
  /** The imported declarations without bodies, in the order of `names`. */
  signatures: string[];
}

export interface ImportSummary {
  imports: ImportedModule[];
  /** The signatures grouped by module, for a prompt; at most `maxChars` characters. */
  text: string;
  /** Some signatures were left out of `text` to respect `maxChars`. */
  truncated: boolean;
}

export interface SummarizeImportsOptions {
  /** Cap on `text` (default 4000 characters). */
  maxChars?: number;
  /** Reads a file, undefined when it does not exist (default: the file system). */
  readFile?: (absolutePath: string) => string | undefined;
  /** Module labels in `text` are relative to it (default: the source file's directory). */
  rootDir?: string;
}

const DEFAULT_MAX_CHARS = 4000;
/** How far `export ... from` chains are followed from the imported module. */
const MAX_REEXPORT_DEPTH = 4;

/**
 * The signatures of what a source file imports from its own repository: every relative import
 * (`import`, `export ... from`, `import x = require()`, `require()`, `import()`) resolved the
 * way TypeScript and Node do (`.ts`/`.tsx`/`.mts`/`.cts`/`.js`/`.jsx`/`.mjs`/`.cjs`/`.d.ts`, the
 * ESM `.js` suffix naming a `.ts` file, `dir/index.*`), and the declarations of the names taken
 * from it, following re-exports. Package imports and path aliases are not read.
 */
export function summarizeImports(api: TypeScriptApi, filePath: string, text: string, options: SummarizeImportsOptions = {}): ImportSummary {
  const readFile = options.readFile ?? readFromDisk;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const labelRoot = options.rootDir ?? path.dirname(path.resolve(filePath));
  const modules = new Map<string, { sourceFile: ts.SourceFile; exports: ModuleDeclarations } | undefined>();
  const load = (file: string): { sourceFile: ts.SourceFile; exports: ModuleDeclarations } | undefined => {
    if (!modules.has(file)) {
      const source = readFile(file);
      const sourceFile = source === undefined ? undefined : parseSource(api, file, source);
      modules.set(file, sourceFile && { sourceFile, exports: readModuleDeclarations(api, sourceFile) });
    }
    return modules.get(file);
  };
  const resolve = (fromFile: string, specifier: string): string | undefined => resolveRelative(fromFile, specifier, (f) => load(f) !== undefined);

  const imports: ImportedModule[] = [];
  const absolute = path.resolve(filePath);
  for (const [specifier, names] of relativeImports(api, parseSource(api, filePath, text))) {
    const resolvedFile = resolve(absolute, specifier);
    const signatures: string[] = [];
    if (resolvedFile) {
      const found = new Set<ModuleDeclaration>();
      for (const name of names) {
        for (const hit of findExports(resolvedFile, name, 0)) {
          if (found.has(hit.declaration)) continue;
          found.add(hit.declaration);
          // The note names what the importer uses, which re-exports may have renamed.
          const importedAs = name === '*' ? hit.exportName : name;
          signatures.push(withExportNote(renderDeclaration(api, hit.sourceFile, hit.declaration), hit.declaration, importedAs));
        }
      }
    }
    imports.push({ specifier, ...(resolvedFile ? { resolvedFile } : {}), names, signatures });
  }
  return { imports, ...renderSummary(imports, labelRoot, maxChars) };

  function findExports(file: string, name: string, depth: number): Array<{ sourceFile: ts.SourceFile; declaration: ModuleDeclaration; exportName: string }> {
    const module = load(file);
    if (!module || depth > MAX_REEXPORT_DEPTH) return [];
    const { declarations, reexports, starReexports } = module.exports;
    if (name === '*') {
      const all = declarations
        .filter((d) => d.exportNames.length > 0)
        .map((d) => ({ sourceFile: module.sourceFile, declaration: d, exportName: d.exportNames[0]! }));
      for (const reexport of reexports) all.push(...followReexport(file, reexport.specifier, reexport.importName, depth));
      for (const specifier of starReexports) all.push(...followReexport(file, specifier, '*', depth));
      return all;
    }
    const own = declarations.filter((d) => d.exportNames.includes(name));
    if (own.length > 0) return own.map((d) => ({ sourceFile: module.sourceFile, declaration: d, exportName: name }));
    const named = reexports.find((r) => r.exportName === name);
    if (named) return followReexport(file, named.specifier, named.importName, depth);
    if (name !== 'default') {
      for (const specifier of starReexports) {
        const hits = followReexport(file, specifier, name, depth);
        if (hits.length > 0) return hits;
      }
    }
    // A default import of a CommonJS module whose exports are an object's members: the whole module.
    return name === 'default' && declarations.some((d) => d.exportNames.length > 0) ? findExports(file, '*', depth) : [];
  }

  function followReexport(fromFile: string, specifier: string, name: string, depth: number): ReturnType<typeof findExports> {
    const target = isRelative(specifier) ? resolve(fromFile, specifier) : undefined;
    return target ? findExports(target, name, depth + 1) : [];
  }
}

/** Relative specifiers and the names taken from each, in order of first appearance. */
function relativeImports(api: TypeScriptApi, sourceFile: ts.SourceFile): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const take = (specifier: string, names: string[]): void => {
    if (!isRelative(specifier)) return;
    const list = found.get(specifier) ?? [];
    for (const name of names) if (!list.includes(name)) list.push(name);
    found.set(specifier, list);
  };
  const visit = (node: ts.Node): void => {
    if (api.isImportDeclaration(node) && api.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const names: string[] = [];
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && api.isNamespaceImport(bindings)) names.push('*');
      else if (bindings) for (const element of bindings.elements) names.push((element.propertyName ?? element.name).text);
      take(node.moduleSpecifier.text, names);
    } else if (api.isExportDeclaration(node) && node.moduleSpecifier && api.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const names = !clause || api.isNamespaceExport(clause) ? ['*'] : clause.elements.map((e) => (e.propertyName ?? e.name).text);
      take(node.moduleSpecifier.text, names);
    } else if (api.isImportEqualsDeclaration(node) && api.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (api.isStringLiteral(expression)) take(expression.text, ['*']);
    } else if (api.isCallExpression(node) && node.arguments.length === 1 && api.isStringLiteralLike(node.arguments[0]!)) {
      const isRequire = api.isIdentifier(node.expression) && node.expression.text === 'require';
      const isDynamicImport = node.expression.kind === api.SyntaxKind.ImportKeyword;
      if (isRequire || isDynamicImport) take(node.arguments[0].text, isRequire ? requiredNames(api, node) : ['*']);
    }
    api.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** `const { a, b: c } = require(...)` takes a and b; `require(...).x` takes x; anything else the whole module. */
function requiredNames(api: TypeScriptApi, call: ts.CallExpression): string[] {
  const parent = call.parent;
  if (api.isVariableDeclaration(parent) && api.isObjectBindingPattern(parent.name)) {
    const names = parent.name.elements.map((e) =>
      e.propertyName && api.isIdentifier(e.propertyName) ? e.propertyName.text : api.isIdentifier(e.name) ? e.name.text : undefined
    );
    if (names.every((n): n is string => n !== undefined)) return names;
  }
  if (api.isPropertyAccessExpression(parent) && parent.expression === call) return [parent.name.text];
  return ['*'];
}

function isRelative(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.d.ts'];
/** ESM specifiers name the emitted file; the source may be TypeScript. */
const EMITTED_TO_SOURCE: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts']
};

/** The file a relative specifier names, trying what TypeScript and Node would; undefined if none exists. */
export function resolveRelative(fromFile: string, specifier: string, exists: (absolutePath: string) => boolean): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const ext = path.extname(base);
  const candidates: string[] = [];
  for (const sourceExt of EMITTED_TO_SOURCE[ext] ?? []) candidates.push(base.slice(0, -ext.length) + sourceExt);
  if (ext) candidates.push(base);
  for (const e of SOURCE_EXTENSIONS) candidates.push(base + e);
  for (const e of SOURCE_EXTENSIONS) candidates.push(path.join(base, `index${e}`));
  return candidates.find(exists);
}

function withExportNote(signature: string, declaration: ModuleDeclaration, exportName: string): string {
  const shownAs = declaration.localName ?? declaration.name;
  return exportName !== shownAs && exportName !== 'default' ? `${signature} // exported as ${exportName}` : signature;
}

function renderSummary(imports: readonly ImportedModule[], labelRoot: string, maxChars: number): { text: string; truncated: boolean } {
  const omissionRoom = 60;
  const blocks: string[] = [];
  let used = 0;
  let omitted = 0;
  for (const module of imports) {
    if (!module.resolvedFile || module.signatures.length === 0) continue;
    const label = `// ${module.specifier} (${path.relative(labelRoot, module.resolvedFile).split(path.sep).join('/')})`;
    const lines: string[] = [];
    for (const signature of module.signatures) {
      // Exactly what joining adds: a new block costs its label and the blank line before it.
      const cost = lines.length === 0 ? (blocks.length > 0 ? 2 : 0) + label.length + 1 + signature.length : 1 + signature.length;
      if (omitted > 0 || used + cost > maxChars - omissionRoom) {
        omitted++;
        continue;
      }
      lines.push(signature);
      used += cost;
    }
    if (lines.length > 0) blocks.push([label, ...lines].join('\n'));
  }
  let text = blocks.join('\n\n');
  if (omitted > 0) text += `${text ? '\n' : ''}// … ${omitted} more declaration${omitted === 1 ? '' : 's'} left out to fit the prompt`;
  return { text, truncated: omitted > 0 };
}

function readFromDisk(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

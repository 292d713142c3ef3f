import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type ts from 'typescript';

/** The `typescript` module's namespace, as the analysis functions receive it. */
export type TypeScriptApi = typeof ts;

export interface TypeScriptLocation {
  /** The package's main file (lib/typescript.js). */
  entry: string;
  packageDir: string;
  version: string;
}

/** Oldest major version whose compiler API the analysis uses (no 5.x-only calls unguarded). */
const MIN_MAJOR = 4;

/**
 * Every usable `typescript` package, in the order to try them: the one the repository under test
 * resolves (its own compiler parses its own syntax best), then the ones the given directories
 * resolve (the action's own directory). Each start is resolved as Node resolves a bare
 * `require('typescript')` from it: node_modules/typescript in it and in every directory above.
 * Packages older than 4.0 are skipped.
 */
export function locateTypeScript(repoDir: string, fallbackDirs: readonly string[] = []): TypeScriptLocation[] {
  const found: TypeScriptLocation[] = [];
  for (const start of [repoDir, ...fallbackDirs]) {
    const location = resolveFrom(start);
    if (location && !found.some((f) => f.entry === location.entry)) found.push(location);
  }
  return found;
}

/**
 * Walks up node_modules directories by hand: the bundler turns `createRequire(...).resolve('typescript')`
 * into a bundled copy of the whole compiler, which is what loading it at run time avoids.
 */
function resolveFrom(start: string): TypeScriptLocation | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const packageDir = path.basename(dir) === 'node_modules' ? undefined : path.join(dir, 'node_modules', 'typescript');
    const pkg = packageDir ? readPackage(packageDir) : undefined;
    if (packageDir && pkg?.name === 'typescript') {
      const entry = path.join(packageDir, pkg.main ?? 'index.js');
      // Node stops at the first copy it finds, and so does this: an unusable one means none from this start.
      const major = Number.parseInt(pkg.version ?? '', 10);
      return major >= MIN_MAJOR && existsSync(entry) ? { entry, packageDir, version: pkg.version! } : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readPackage(dir: string): { name?: string; version?: string; main?: string } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string; main?: string };
  } catch {
    return undefined;
  }
}

const loaded = new Map<string, Promise<TypeScriptApi | undefined>>();

/**
 * Loads the TypeScript compiler API at run time. It is never bundled into dist/ (it would add
 * about 9 MB), so it is taken from the repository under test or from beside the action, and
 * imported with an import the bundler leaves alone.
 *
 * Returns undefined when no usable copy is found or none loads. Callers then degrade:
 * - targets are whole files (no function-level units, complexity or changed-unit list);
 * - prompts carry no signatures of imported modules;
 * - failing test cases cannot be pruned from a generated file, so a file with any failing case
 *   is rejected whole, and cases without assertions or duplicate cases are not detected.
 */
export async function loadTypeScript(
  repoDir: string,
  fallbackDirs: readonly string[] = [],
  log: (line: string) => void = () => {}
): Promise<TypeScriptApi | undefined> {
  for (const location of locateTypeScript(repoDir, fallbackDirs)) {
    let pending = loaded.get(location.entry);
    if (!pending) {
      pending = importTypeScript(location, log);
      loaded.set(location.entry, pending);
    }
    const api = await pending;
    if (api) return api;
  }
  return undefined;
}

async function importTypeScript(location: TypeScriptLocation, log: (line: string) => void): Promise<TypeScriptApi | undefined> {
  try {
    const imported = (await import(/* webpackIgnore: true */ pathToFileURL(location.entry).href)) as { default?: unknown };
    // typescript is CommonJS: Node puts module.exports on `default`, named exports only where its lexer finds them.
    const api = (isCompilerApi(imported.default) ? imported.default : imported) as unknown;
    if (isCompilerApi(api)) return api;
    log(`typescript at ${location.packageDir} does not look like the compiler API; source analysis is skipped for it.`);
  } catch (error) {
    log(`typescript at ${location.packageDir} could not be loaded: ${(error as Error).message}`);
  }
  return undefined;
}

function isCompilerApi(value: unknown): value is TypeScriptApi {
  const api = value as Partial<TypeScriptApi> | undefined;
  return typeof api?.createSourceFile === 'function' && typeof api.SyntaxKind === 'object' && typeof api.version === 'string';
}

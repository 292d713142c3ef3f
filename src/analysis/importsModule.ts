import path from 'node:path';
import { withoutComments } from './jsLexer.js';

/** Extensions a relative specifier may leave out, in the order TypeScript and Node try them. */
const RESOLVED_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** The ESM spelling names the emitted file: `./a.js` is `a.ts` in the sources. */
const EMITTED_TO_SOURCE: Readonly<Record<string, readonly string[]>> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

/**
 * The module specifiers a JavaScript/TypeScript file loads: `import … from`, bare `import '…'`,
 * `export … from`, `import(…)`, `require(…)` (also `import x = require(…)`), and the
 * `requireActual`/`importActual` of jest and vitest. Comments are skipped, so a commented-out
 * import does not count; type-only imports count, as the file names the module all the same.
 */
export function moduleSpecifiers(code: string): string[] {
  const text = withoutComments(code);
  const found: string[] = [];
  const patterns = [
    /\b(?:from|import)\s*(['"])([^'"\n]+)\1/g,
    /\b(?:import|require|requireActual|importActual)\s*(?:<[^>]*>\s*)?\(\s*(['"`])([^'"`\n]+)\1\s*[,)]/g
  ];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[2]!);
  return [...new Set(found)];
}

/**
 * Whether the test file at `testFile` imports the module `targetFile` by a relative specifier,
 * resolved from the test file's directory as TypeScript and Node resolve it: exact, with the
 * extension left out, with the ESM `.js` naming a `.ts` source, or as a directory's `index`.
 * Both paths are relative to the same root. Package names and path aliases are not resolved:
 * they need the project's configuration, and answer false.
 */
export function importsModule(code: string, testFile: string, targetFile: string): boolean {
  const target = normalize(targetFile);
  const from = path.posix.dirname(normalize(testFile));
  return moduleSpecifiers(code)
    .filter((s) => s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../'))
    .some((s) => candidatesFor(path.posix.join(from, s)).includes(target));
}

function candidatesFor(resolved: string): string[] {
  const ext = path.posix.extname(resolved);
  const stem = resolved.slice(0, resolved.length - ext.length);
  return [
    resolved,
    ...RESOLVED_EXTENSIONS.map((e) => resolved + e),
    ...(EMITTED_TO_SOURCE[ext] ?? []).map((e) => stem + e),
    ...RESOLVED_EXTENSIONS.map((e) => path.posix.join(resolved, `index${e}`))
  ];
}

function normalize(file: string): string {
  return path.posix.normalize(file.split(path.sep).join('/').replace(/\\/g, '/')).replace(/^\.\//, '');
}

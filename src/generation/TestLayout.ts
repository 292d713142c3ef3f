import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** How a repository arranges its tests, learned from the test files it already has. */
export interface TestLayout {
  /** Existing test files, repo-relative. */
  existingTests: string[];
  /** ".test" or ".spec". */
  infix: string;
  /** Tests sit next to their sources rather than under a separate test root. */
  colocated: boolean;
  /** Separate test root ("test", "tests", "__tests__") when not colocated. */
  testRoot: string;
  /** Whether relative imports need explicit ".js" extensions (ESM TypeScript / ESM JavaScript). */
  esm: boolean;
}

const TEST_NAME = /\.(test|spec)\.[cm]?[jt]sx?$/;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', 'out', 'vendor']);
const MAX_FILES_SCANNED = 20_000;

export function detectTestLayout(repoDir: string): TestLayout {
  const existingTests = findTestFiles(repoDir);
  const specs = existingTests.filter((f) => /\.spec\./.test(f)).length;
  const underRoot = (root: string): number => existingTests.filter((f) => f.startsWith(`${root}/`) || f.includes(`/${root}/`)).length;
  const roots = ['test', 'tests', '__tests__'].map((r) => ({ root: r, n: underRoot(r) })).sort((a, b) => b.n - a.n);
  const best = roots[0]!;
  const colocated = existingTests.length > 0 ? best.n * 2 < existingTests.length : !existsSync(path.join(repoDir, 'test'));
  return {
    existingTests,
    infix: specs > existingTests.length / 2 ? '.spec' : '.test',
    colocated,
    testRoot: best.n > 0 ? best.root : existsSync(path.join(repoDir, 'tests')) ? 'tests' : 'test',
    esm: isEsmPackage(repoDir)
  };
}

export interface TestPlacement {
  /** Repo-relative path of the new test file (never an existing file). */
  testFile: string;
  /** Import specifier of the module under test, relative to the test file. */
  importSpecifier: string;
  /** An existing test of the same module, if any (a style example and a duplicate check). */
  siblingTest?: string;
}

/**
 * Where the generated test for `sourceFile` goes: beside an existing test of the same module,
 * else where the repository keeps its tests. A taken name gets an ".aqe" (then numbered) infix:
 * a user's file is never overwritten.
 */
export function placeTest(repoDir: string, layout: TestLayout, sourceFile: string, taken: ReadonlySet<string> = new Set()): TestPlacement {
  const ext = path.posix.extname(sourceFile);
  const base = path.posix.basename(sourceFile, ext);
  const sibling = layout.existingTests.find((t) => path.posix.basename(t).replace(TEST_NAME, '') === base);
  let dir: string;
  if (sibling) dir = path.posix.dirname(sibling);
  else if (layout.colocated) dir = path.posix.dirname(sourceFile);
  else dir = path.posix.join(layout.testRoot, stripSourceRoot(path.posix.dirname(sourceFile)));
  const infix = sibling ? (sibling.match(TEST_NAME)?.[1] === 'spec' ? '.spec' : '.test') : layout.infix;
  let testFile = path.posix.join(dir, `${base}${infix}${ext}`);
  for (let n = 1; existsSync(path.join(repoDir, testFile)) || taken.has(testFile); n++) {
    testFile = path.posix.join(dir, `${base}${n === 1 ? '.aqe' : `.aqe-${n}`}${infix}${ext}`);
  }
  return { testFile, importSpecifier: importSpecifier(testFile, sourceFile, layout.esm), siblingTest: sibling };
}

function stripSourceRoot(dir: string): string {
  const parts = dir.split('/');
  return ['src', 'lib', 'source'].includes(parts[0] ?? '') ? parts.slice(1).join('/') : dir === '.' ? '' : dir;
}

function importSpecifier(testFile: string, sourceFile: string, esm: boolean): string {
  const ext = path.posix.extname(sourceFile);
  let rel = path.posix.relative(path.posix.dirname(testFile), sourceFile);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const stem = rel.slice(0, rel.length - ext.length);
  if (!esm) return stem;
  // ESM resolution wants the emitted extension: .ts → .js, .mts → .mjs, .cts → .cjs.
  const emitted = { '.ts': '.js', '.tsx': '.js', '.mts': '.mjs', '.cts': '.cjs' }[ext] ?? ext;
  return `${stem}${emitted}`;
}

function isEsmPackage(repoDir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(path.join(repoDir, 'package.json'), 'utf8')) as { type?: string };
    return pkg.type === 'module';
  } catch {
    return false;
  }
}

function findTestFiles(repoDir: string): string[] {
  const found: string[] = [];
  let scanned = 0;
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(repoDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++scanned > MAX_FILES_SCANNED) return;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(child);
      } else if (TEST_NAME.test(entry.name)) {
        found.push(child);
      }
    }
  };
  walk('');
  return found.sort();
}

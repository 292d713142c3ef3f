import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a repository keeps tests: next to the sources (`src/a.test.ts`), in a `__tests__` folder
 * beside them (`src/__tests__/a.test.ts`), or under a separate root mirroring the sources
 * (`test/a.test.ts`).
 */
export type TestStyle = 'colocated' | 'adjacent' | 'separate';

/** How a repository arranges its tests, learned from the test files it already has. */
export interface TestLayout {
  /** Existing test files, repo-relative. */
  existingTests: string[];
  /** ".test" or ".spec". */
  infix: string;
  style: TestStyle;
  /** The separate test root ("test" or "tests"), used when style is 'separate'. */
  testRoot: string;
  /** Whether relative imports need explicit extensions (an ESM package). */
  esm: boolean;
}

const TEST_NAME = /\.(test|spec)\.[cm]?[jt]sx?$/;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', 'out', 'vendor']);
const MAX_FILES_SCANNED = 20_000;
const SEPARATE_ROOTS = ['test', 'tests'];

export function detectTestLayout(repoDir: string): TestLayout {
  const existingTests = findTestFiles(repoDir);
  const specs = existingTests.filter((f) => /\.spec\./.test(f)).length;
  const inRoot = (root: string): number => existingTests.filter((f) => f.startsWith(`${root}/`)).length;
  const roots = SEPARATE_ROOTS.map((root) => ({ root, n: inRoot(root) })).sort((a, b) => b.n - a.n);
  const separate = roots[0]!.n;
  const adjacent = existingTests.filter((f) => f.split('/').slice(0, -1).includes('__tests__') && !SEPARATE_ROOTS.some((r) => f.startsWith(`${r}/`))).length;
  const colocated = existingTests.length - separate - adjacent;
  let style: TestStyle;
  if (existingTests.length === 0) style = SEPARATE_ROOTS.some((r) => existsSync(path.join(repoDir, r))) ? 'separate' : 'colocated';
  else if (separate >= adjacent && separate >= colocated) style = 'separate';
  else style = adjacent >= colocated ? 'adjacent' : 'colocated';
  return {
    existingTests,
    infix: specs > existingTests.length / 2 ? '.spec' : '.test',
    style,
    testRoot: separate > 0 ? roots[0]!.root : (SEPARATE_ROOTS.find((r) => existsSync(path.join(repoDir, r))) ?? 'test'),
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
  const sourceDir = path.posix.dirname(sourceFile);
  const homes = {
    colocated: sourceDir,
    adjacent: path.posix.join(sourceDir, '__tests__'),
    separate: path.posix.join(layout.testRoot, stripSourceRoot(sourceDir))
  };
  // A test in one of this module's possible homes is its test (another folder's index.test.ts is
  // not); so is the only test of that name under a separate test root (test/unit/math.test.ts).
  const sameName = layout.existingTests.filter((t) => path.posix.basename(t).replace(TEST_NAME, '') === base);
  const underRoot = sameName.filter((t) => t.startsWith(`${layout.testRoot}/`));
  const sibling =
    sameName.find((t) => Object.values(homes).includes(path.posix.dirname(t))) ??
    (layout.style === 'separate' && underRoot.length === 1 ? underRoot[0] : undefined);
  const dir = sibling ? path.posix.dirname(sibling) : homes[layout.style];
  const infix = sibling ? `.${sibling.match(TEST_NAME)![1]}` : layout.infix;
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

/** ESM resolution wants the emitted file's extension; .mts/.cts files are ESM/CJS whatever the package says. */
const EMITTED: Record<string, string> = { '.ts': '.js', '.tsx': '.js', '.mts': '.mjs', '.cts': '.cjs' };

function importSpecifier(testFile: string, sourceFile: string, esm: boolean): string {
  const ext = path.posix.extname(sourceFile);
  let rel = path.posix.relative(path.posix.dirname(testFile), sourceFile);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const stem = rel.slice(0, rel.length - ext.length);
  if (['.mts', '.cts', '.mjs', '.cjs'].includes(ext)) return `${stem}${EMITTED[ext] ?? ext}`;
  return esm ? `${stem}${EMITTED[ext] ?? ext}` : stem;
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

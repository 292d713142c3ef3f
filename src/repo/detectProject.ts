import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findInNodeModules } from './installedPackage.js';

export type TestFramework = 'jest' | 'vitest';

/** What aqe needs to know to generate and run tests for one changed file. */
export interface ProjectInfo {
  /**
   * Repo-relative directory the tests run in ('' for the repository root): the workspace package
   * that owns the file, or the ancestor whose test setup (config file, test script) covers it.
   */
  packageDir: string;
  framework: TestFramework;
  /** What decided the framework, for the report: "packages/a/vitest.config.ts", "package.json test script", … */
  frameworkSource: string;
  language: 'ts' | 'js';
  /** How Node loads the file: .mts/.mjs are ESM and .cts/.cjs CommonJS whatever the package says, else package.json "type". */
  moduleSystem: 'esm' | 'cjs';
  /** compilerOptions.module of the tsconfig.json that applies to the file (lower case), for TypeScript files that have one. */
  tsconfigModule?: string;
  /** Repo-relative path of the runner's entry script, in the package's node_modules or hoisted to a parent; undefined when not installed. */
  runnerBin?: string;
}

/** No test framework could be told for a file; the message says what the repository needs. */
export class ProjectDetectionError extends Error {
  override readonly name = 'ProjectDetectionError';
}

const RUNNER_BINS: Record<TestFramework, string> = {
  jest: 'jest/bin/jest.js',
  vitest: 'vitest/vitest.mjs'
};
const CONFIG_EXTENSIONS = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'];

interface PackageJson {
  name?: string;
  type?: string;
  workspaces?: string[] | { packages?: string[] };
  scripts?: Record<string, string>;
  jest?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface FrameworkEvidence {
  framework: TestFramework;
  source: string;
  /** The tests run where this evidence lives (a config or test script); dependencies alone do not move them. */
  setsRunDir: boolean;
}

/**
 * Works out, for a repo-relative changed file, the package that owns it, its test framework and
 * how its modules load. Throws ProjectDetectionError when no jest or vitest setup is found.
 */
export function detectProject(repoDir: string, file: string): ProjectInfo {
  const rel = toRepoRelative(file);
  const owner = findOwningPackage(repoDir, rel);
  let evidence: FrameworkEvidence | undefined;
  let runDir = owner;
  // The package's own setup first; then its ancestors (a root jest.config with projects, root devDependencies).
  for (const dir of ancestorsOf(owner)) {
    evidence = frameworkEvidence(repoDir, dir);
    if (evidence) {
      if (evidence.setsRunDir) runDir = dir;
      break;
    }
  }
  evidence ??= installedOnlyEvidence(repoDir, owner);
  if (!evidence) {
    throw new ProjectDetectionError(
      `No test framework found for ${rel}: ${owner === '' ? 'the repository root' : owner} has no jest or vitest config, no test script naming one, and neither is a dependency or installed. Add a jest.config.js or vitest.config.ts (or a "test" script), and install the dependencies before this step.`
    );
  }
  const language = /\.[cm]?tsx?$/.test(rel) ? 'ts' : 'js';
  const bin = findInNodeModules(path.join(repoDir, runDir), RUNNER_BINS[evidence.framework], repoDir);
  const tsconfigModule = language === 'ts' ? tsconfigModuleFor(repoDir, rel) : undefined;
  return {
    packageDir: runDir,
    framework: evidence.framework,
    frameworkSource: evidence.source,
    language,
    moduleSystem: moduleSystemOf(repoDir, rel),
    ...(tsconfigModule !== undefined ? { tsconfigModule } : {}),
    ...(bin !== undefined ? { runnerBin: toPosix(path.relative(repoDir, bin)) } : {})
  };
}

/**
 * The repo-relative directory of the package that owns `file` ('' for the root). With workspaces
 * declared (package.json "workspaces", pnpm-workspace.yaml, lerna.json), that is the deepest
 * workspace package containing the file, and a file outside all of them belongs to the root.
 * Without, it is the nearest directory above the file whose package.json has a name (a
 * package.json holding only "type" marks a folder's module system, not a package).
 */
export function findOwningPackage(repoDir: string, file: string): string {
  const rel = toRepoRelative(file);
  const patterns = workspacePatterns(repoDir);
  const candidates = ancestorsOf(path.posix.dirname(rel)).filter((dir) => dir !== '' && existsSync(path.join(repoDir, dir, 'package.json')));
  if (patterns.length > 0) return candidates.find((dir) => matchesWorkspace(dir, patterns)) ?? '';
  return candidates.find((dir) => typeof readPackageJson(path.join(repoDir, dir))?.name === 'string') ?? '';
}

/** The workspace globs the repository root declares, in order, negations ("!…") included. */
export function workspacePatterns(repoDir: string): string[] {
  const patterns: string[] = [];
  const pkg = readPackageJson(repoDir);
  const fromPackage = Array.isArray(pkg?.workspaces) ? pkg.workspaces : pkg?.workspaces?.packages;
  if (Array.isArray(fromPackage)) patterns.push(...fromPackage);
  const pnpm = readText(path.join(repoDir, 'pnpm-workspace.yaml')) ?? readText(path.join(repoDir, 'pnpm-workspace.yml'));
  if (pnpm !== undefined) {
    try {
      const doc = parseYaml(pnpm) as { packages?: unknown } | null;
      if (Array.isArray(doc?.packages)) patterns.push(...doc.packages.filter((p): p is string => typeof p === 'string'));
    } catch {
      // An unreadable workspace file declares nothing we can use; pnpm itself would fail on it.
    }
  }
  const lerna = readJson<{ packages?: unknown }>(path.join(repoDir, 'lerna.json'));
  if (Array.isArray(lerna?.packages)) patterns.push(...lerna.packages.filter((p): p is string => typeof p === 'string'));
  return patterns.filter((p) => typeof p === 'string' && p.trim() !== '');
}

function matchesWorkspace(dir: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    if (globToRegExp(negated ? raw.slice(1) : raw).test(dir)) included = !negated;
  }
  return included;
}

/** Workspace globs: `*` within one path segment, `**` across any number of them, `?` one character. */
function globToRegExp(glob: string): RegExp {
  const clean = glob.trim().replace(/^\.\//, '').replace(/\/+$/, '');
  let source = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '*' && clean[i + 1] === '*') {
      // "a/**/b" also matches "a/b".
      if (clean[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function frameworkEvidence(repoDir: string, dir: string): FrameworkEvidence | undefined {
  const abs = path.join(repoDir, dir);
  const at = (name: string): string => (dir === '' ? name : `${dir}/${name}`);
  const pkg = readPackageJson(abs);
  const script = testScriptFramework(pkg?.scripts ?? {});
  if (script) return { framework: script.framework, source: `${at('package.json')} "${script.name}" script`, setsRunDir: true };
  for (const ext of CONFIG_EXTENSIONS) {
    if (existsSync(path.join(abs, `vitest.config.${ext}`))) return { framework: 'vitest', source: at(`vitest.config.${ext}`), setsRunDir: true };
  }
  for (const ext of [...CONFIG_EXTENSIONS, 'json']) {
    if (existsSync(path.join(abs, `jest.config.${ext}`))) return { framework: 'jest', source: at(`jest.config.${ext}`), setsRunDir: true };
  }
  if (pkg?.jest !== undefined) return { framework: 'jest', source: `${at('package.json')} "jest" key`, setsRunDir: true };
  for (const ext of CONFIG_EXTENSIONS) {
    const viteConfig = readText(path.join(abs, `vite.config.${ext}`));
    // vitest reads a vite config too, and a `test` block in it means it was written for vitest.
    if (viteConfig !== undefined && /\btest\s*:/.test(viteConfig))
      return { framework: 'vitest', source: `${at(`vite.config.${ext}`)} test block`, setsRunDir: true };
  }
  const deps = { ...pkg?.dependencies, ...pkg?.devDependencies };
  if ('vitest' in deps) return { framework: 'vitest', source: `${at('package.json')} dependencies`, setsRunDir: false };
  if ('jest' in deps || 'ts-jest' in deps || 'babel-jest' in deps)
    return { framework: 'jest', source: `${at('package.json')} dependencies`, setsRunDir: false };
  return undefined;
}

/** The test script, or failing that a "test:…" script, that names a framework. */
function testScriptFramework(scripts: Record<string, string>): { framework: TestFramework; name: string } | undefined {
  const names = ['test', ...Object.keys(scripts).filter((n) => n.startsWith('test:'))];
  for (const name of names) {
    const script = scripts[name];
    if (typeof script !== 'string') continue;
    if (/(^|[\s/"'&;|(])vitest\b/.test(script)) return { framework: 'vitest', name };
    // react-scripts and craco run jest under their own name.
    if (/(^|[\s/"'&;|(])(jest|(react-scripts|craco) test)\b/.test(script)) return { framework: 'jest', name };
  }
  return undefined;
}

/** A package without any declared setup, where only one of the runners is installed. */
function installedOnlyEvidence(repoDir: string, owner: string): FrameworkEvidence | undefined {
  const from = path.join(repoDir, owner);
  const vitest = findInNodeModules(from, RUNNER_BINS.vitest, repoDir);
  const jest = findInNodeModules(from, RUNNER_BINS.jest, repoDir);
  if (vitest && !jest) return { framework: 'vitest', source: 'vitest installed (nothing else declares a framework)', setsRunDir: false };
  if (jest && !vitest) return { framework: 'jest', source: 'jest installed (nothing else declares a framework)', setsRunDir: false };
  return undefined;
}

function moduleSystemOf(repoDir: string, rel: string): 'esm' | 'cjs' {
  if (/\.m[jt]sx?$/.test(rel)) return 'esm';
  if (/\.c[jt]sx?$/.test(rel)) return 'cjs';
  // Node's rule: the nearest package.json decides, type markers included.
  for (const dir of ancestorsOf(path.posix.dirname(rel))) {
    const pkg = readPackageJson(path.join(repoDir, dir));
    if (pkg) return pkg.type === 'module' ? 'esm' : 'cjs';
  }
  return 'cjs';
}

/** compilerOptions.module from the nearest tsconfig.json above the file, following relative and package `extends`. */
function tsconfigModuleFor(repoDir: string, rel: string): string | undefined {
  for (const dir of ancestorsOf(path.posix.dirname(rel))) {
    const file = path.join(repoDir, dir, 'tsconfig.json');
    if (existsSync(file)) return tsconfigModule(file, repoDir, 0);
  }
  return undefined;
}

function tsconfigModule(file: string, repoDir: string, depth: number): string | undefined {
  const config = readJsonc<{ extends?: string | string[]; compilerOptions?: { module?: string } }>(file);
  if (typeof config?.compilerOptions?.module === 'string') return config.compilerOptions.module.toLowerCase();
  if (depth >= 5 || config?.extends === undefined) return undefined;
  // With several bases the last one wins, so look from the end.
  const bases = (Array.isArray(config.extends) ? config.extends : [config.extends]).slice().reverse();
  for (const base of bases) {
    const resolved = resolveTsconfigBase(base, path.dirname(file), repoDir);
    const found = resolved ? tsconfigModule(resolved, repoDir, depth + 1) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

function resolveTsconfigBase(base: string, fromDir: string, repoDir: string): string | undefined {
  const withJson = (p: string): string[] => (p.endsWith('.json') ? [p] : [p, `${p}.json`, path.join(p, 'tsconfig.json')]);
  if (base.startsWith('.') || path.isAbsolute(base)) return withJson(path.resolve(fromDir, base)).find((p) => existsSync(p));
  for (const candidate of withJson(base)) {
    const found = findInNodeModules(fromDir, candidate, repoDir);
    if (found) return found;
  }
  return undefined;
}

/** Repo-relative `dir` and its parents up to the root (''), deepest first. */
function ancestorsOf(dir: string): string[] {
  const dirs: string[] = [];
  let current = dir === '.' ? '' : dir;
  for (;;) {
    dirs.push(current);
    if (current === '') return dirs;
    const parent = path.posix.dirname(current);
    current = parent === '.' ? '' : parent;
  }
}

function toRepoRelative(file: string): string {
  const rel = path.posix.normalize(file.split(path.sep).join('/')).replace(/^\.\//, '');
  if (rel.startsWith('../') || rel === '..' || path.posix.isAbsolute(rel)) {
    throw new ProjectDetectionError(`${file} is not a path inside the repository (expected a repo-relative path such as src/index.ts).`);
  }
  return rel;
}

function readPackageJson(dir: string): PackageJson | undefined {
  return readJson<PackageJson>(path.join(dir, 'package.json'));
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson<T>(file: string): T | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** tsconfig files are JSON with comments and trailing commas. */
function readJsonc<T>(file: string): T | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(stripJsonComments(text)) as T;
  } catch {
    return undefined;
  }
}

function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i++;
    } else {
      out += c;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}

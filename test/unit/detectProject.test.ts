import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { examplesDir } from '../../src/core/packageRoot.js';
import { detectProject, findOwningPackage, ProjectDetectionError, workspacePatterns } from '../../src/repo/detectProject.js';

const repos: string[] = [];

/** A temporary repository with the given files; objects are written as JSON. */
function makeRepo(files: Record<string, string | object>): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'aqe-detect-'));
  repos.push(repo);
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(repo, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return repo;
}

/** Files that make a runner look installed under `dir` (detection only checks the entry script). */
function installed(dir: string, runner: 'jest' | 'vitest'): Record<string, string> {
  const prefix = dir === '' ? '' : `${dir}/`;
  return runner === 'jest' ? { [`${prefix}node_modules/jest/bin/jest.js`]: '' } : { [`${prefix}node_modules/vitest/vitest.mjs`]: '' };
}

afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

describe('detectProject: framework', () => {
  it('takes the framework from the test script first, even beside another framework’s config', () => {
    const repo = makeRepo({
      'package.json': { name: 'lib', scripts: { test: 'vitest run --coverage' } },
      'jest.config.js': 'module.exports = {};',
      'src/a.ts': 'export const a = 1;'
    });
    expect(detectProject(repo, 'src/a.ts')).toEqual({
      packageDir: '',
      framework: 'vitest',
      frameworkSource: 'package.json "test" script',
      language: 'ts',
      moduleSystem: 'cjs'
    });
  });

  it('reads test:* scripts and jest under other names, but not ts-jest in a path', () => {
    const unit = makeRepo({ 'package.json': { name: 'x', scripts: { test: 'npm run test:unit', 'test:unit': 'cross-env TZ=UTC jest --ci' } }, 'a.js': '' });
    expect(detectProject(unit, 'a.js')).toMatchObject({ framework: 'jest', frameworkSource: 'package.json "test:unit" script' });
    const cra = makeRepo({ 'package.json': { name: 'x', scripts: { test: 'react-scripts test' } }, 'a.js': '' });
    expect(detectProject(cra, 'a.js')).toMatchObject({ framework: 'jest' });
    const neither = makeRepo({ 'package.json': { name: 'x', scripts: { test: 'node ts-jest-free.js' } }, 'a.js': '' });
    expect(() => detectProject(neither, 'a.js')).toThrow(ProjectDetectionError);
  });

  it('recognises config files: vitest.config.*, jest.config.*, package.json "jest", vite.config.* with a test block', () => {
    const cases: Array<[Record<string, string | object>, string, string]> = [
      [{ 'vitest.config.mts': 'export default {};' }, 'vitest', 'vitest.config.mts'],
      [{ 'jest.config.cjs': 'module.exports = {};' }, 'jest', 'jest.config.cjs'],
      [{ 'jest.config.json': '{}' }, 'jest', 'jest.config.json'],
      [{ 'package.json': { name: 'x', jest: { testEnvironment: 'node' } } }, 'jest', 'package.json "jest" key'],
      [{ 'vite.config.ts': "export default defineConfig({ plugins: [], test: { environment: 'jsdom' } });" }, 'vitest', 'vite.config.ts test block']
    ];
    for (const [files, framework, source] of cases) {
      const repo = makeRepo({ 'package.json': { name: 'x' }, ...files, 'src/a.js': '' });
      expect([source, detectProject(repo, 'src/a.js')]).toEqual([source, expect.objectContaining({ framework, frameworkSource: source, packageDir: '' })]);
    }
  });

  it('does not take a vite config without a test block for vitest; dependencies decide then', () => {
    const repo = makeRepo({
      'package.json': { name: 'app', devDependencies: { jest: '^30.0.0', vite: '^7.0.0' } },
      'vite.config.ts': 'export default defineConfig({ plugins: [react()] });',
      'src/a.tsx': ''
    });
    expect(detectProject(repo, 'src/a.tsx')).toMatchObject({ framework: 'jest', frameworkSource: 'package.json dependencies', language: 'ts' });
  });

  it('falls back to the only runner installed, and otherwise says what to add', () => {
    const onlyVitest = makeRepo({ 'package.json': { name: 'x' }, 'a.ts': '', ...installed('', 'vitest') });
    expect(detectProject(onlyVitest, 'a.ts')).toMatchObject({ framework: 'vitest', runnerBin: 'node_modules/vitest/vitest.mjs' });
    const nothing = makeRepo({ 'package.json': { name: 'x' }, 'src/a.ts': '' });
    expect(() => detectProject(nothing, 'src/a.ts')).toThrow(ProjectDetectionError);
    expect(() => detectProject(nothing, 'src/a.ts')).toThrow(
      /No test framework found for src\/a\.ts: the repository root has no jest or vitest config.*Add a jest\.config\.js or vitest\.config\.ts/
    );
  });

  it('refuses paths outside the repository', () => {
    const repo = makeRepo({ 'package.json': { name: 'x', scripts: { test: 'jest' } } });
    expect(() => detectProject(repo, '../other/a.ts')).toThrow(/not a path inside the repository/);
  });
});

describe('detectProject: language and module system', () => {
  it('takes the module system from the extension, then the nearest package.json, type markers included', () => {
    const repo = makeRepo({
      'package.json': { name: 'x', scripts: { test: 'jest' } },
      'src/a.js': '',
      'src/b.mjs': '',
      'src/c.mts': '',
      'esm/package.json': { type: 'module' },
      'esm/d.ts': '',
      'esm/e.cts': ''
    });
    const system = (file: string): string => `${detectProject(repo, file).language}/${detectProject(repo, file).moduleSystem}`;
    expect(system('src/a.js')).toBe('js/cjs');
    expect(system('src/b.mjs')).toBe('js/esm');
    expect(system('src/c.mts')).toBe('ts/esm');
    expect(system('esm/d.ts')).toBe('ts/esm');
    expect(system('esm/e.cts')).toBe('ts/cjs');
    // The marker makes esm/ ESM but is no package: the root still owns and runs the file.
    expect(detectProject(repo, 'esm/d.ts').packageDir).toBe('');

    const esm = makeRepo({ 'package.json': { name: 'x', type: 'module', scripts: { test: 'vitest' } }, 'src/a.ts': '' });
    expect(detectProject(esm, 'src/a.ts')).toMatchObject({ moduleSystem: 'esm', language: 'ts' });
  });

  it('reports the tsconfig module setting, through comments, trailing commas and extends', () => {
    const repo = makeRepo({
      'package.json': { name: 'x', scripts: { test: 'jest' } },
      'tsconfig.base.json': '{\n  // shared\n  "compilerOptions": { "module": "NodeNext", /* why */ "strict": true, },\n}\n',
      'tsconfig.json': '{ "extends": "./tsconfig.base.json", "include": ["src"] }',
      'src/a.ts': '',
      'src/b.js': '',
      'legacy/tsconfig.json': '{ "extends": "@tsconfig/node16/tsconfig.json" }',
      'node_modules/@tsconfig/node16/tsconfig.json': '{ "compilerOptions": { "module": "Node16" } }',
      'legacy/c.ts': ''
    });
    expect(detectProject(repo, 'src/a.ts').tsconfigModule).toBe('nodenext');
    expect(detectProject(repo, 'legacy/c.ts').tsconfigModule).toBe('node16');
    // JavaScript files are not compiled by tsc: no setting reported.
    expect(detectProject(repo, 'src/b.js').tsconfigModule).toBeUndefined();
  });
});

describe('findOwningPackage and workspaces', () => {
  it('reads workspaces from package.json (array or {packages}), pnpm-workspace.yaml and lerna.json', () => {
    expect(workspacePatterns(makeRepo({ 'package.json': { name: 'r', workspaces: ['packages/*', 'apps/*'] } }))).toEqual(['packages/*', 'apps/*']);
    expect(workspacePatterns(makeRepo({ 'package.json': { name: 'r', workspaces: { packages: ['libs/**'], nohoist: ['**/x'] } } }))).toEqual(['libs/**']);
    expect(workspacePatterns(makeRepo({ 'package.json': { name: 'r' }, 'pnpm-workspace.yaml': 'packages:\n  - \'apps/*\'\n  - "!apps/legacy"\n' }))).toEqual([
      'apps/*',
      '!apps/legacy'
    ]);
    expect(workspacePatterns(makeRepo({ 'lerna.json': { packages: ['modules/*'] } }))).toEqual(['modules/*']);
    expect(workspacePatterns(makeRepo({ 'package.json': { name: 'r' }, 'pnpm-workspace.yaml': 'packages: [unclosed' }))).toEqual([]);
  });

  it('gives a file to the deepest workspace package containing it, and files outside all of them to the root', () => {
    const repo = makeRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*', 'tools/**', '!packages/legacy'] },
      'packages/a/package.json': { name: 'a' },
      'packages/a/src/deep/x.ts': '',
      'packages/a/src/esm/package.json': { type: 'module' },
      'packages/a/src/esm/y.ts': '',
      'packages/legacy/package.json': { name: 'legacy' },
      'packages/legacy/z.ts': '',
      'tools/cli/package.json': { name: 'cli' },
      'tools/cli/sub/package.json': { name: 'sub' },
      'tools/cli/sub/w.ts': '',
      'examples/demo/package.json': { name: 'demo' },
      'examples/demo/v.ts': '',
      'scripts/u.ts': ''
    });
    expect(findOwningPackage(repo, 'packages/a/src/deep/x.ts')).toBe('packages/a');
    expect(findOwningPackage(repo, 'packages/a/src/esm/y.ts')).toBe('packages/a');
    expect(findOwningPackage(repo, 'packages/legacy/z.ts')).toBe('');
    expect(findOwningPackage(repo, 'tools/cli/sub/w.ts')).toBe('tools/cli/sub');
    expect(findOwningPackage(repo, 'examples/demo/v.ts')).toBe('');
    expect(findOwningPackage(repo, 'scripts/u.ts')).toBe('');
    expect(findOwningPackage(repo, 'packages/a/package.json')).toBe('packages/a');
  });

  it('without workspaces, gives a file to the nearest named package above it', () => {
    const repo = makeRepo({
      'frontend/package.json': { name: 'frontend' },
      'frontend/src/esm/package.json': { type: 'module' },
      'frontend/src/esm/a.ts': '',
      'backend/package.json': { name: 'backend' },
      'backend/b.ts': '',
      'c.ts': ''
    });
    expect(findOwningPackage(repo, 'frontend/src/esm/a.ts')).toBe('frontend');
    expect(findOwningPackage(repo, 'backend/b.ts')).toBe('backend');
    expect(findOwningPackage(repo, 'c.ts')).toBe('');
  });

  it('matches pnpm workspace globs across folders, with negations', () => {
    const repo = makeRepo({
      'package.json': { name: 'root' },
      'pnpm-workspace.yaml': "packages:\n  - 'libs/**'\n  - '!**/fixtures/**'\n",
      'libs/ui/button/package.json': { name: 'button', devDependencies: { vitest: '^4.0.0' } },
      'libs/ui/button/src/b.tsx': '',
      'libs/ui/button/fixtures/f/package.json': { name: 'fixture' },
      'libs/ui/button/fixtures/f/index.js': ''
    });
    expect(findOwningPackage(repo, 'libs/ui/button/src/b.tsx')).toBe('libs/ui/button');
    expect(findOwningPackage(repo, 'libs/ui/button/fixtures/f/index.js')).toBe('libs/ui/button');
  });
});

describe('detectProject in a monorepo', () => {
  const monorepo = (extra: Record<string, string | object> = {}): string =>
    makeRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'], scripts: { test: 'npm test --workspaces' } },
      'packages/api/package.json': { name: 'api', scripts: { test: 'jest' } },
      'packages/api/jest.config.js': 'module.exports = {};',
      'packages/api/src/a.ts': '',
      'packages/web/package.json': { name: 'web', type: 'module', devDependencies: { vitest: '^4.0.0' } },
      'packages/web/src/b.ts': '',
      ...extra
    });

  it('detects each package on its own and finds runners hoisted to the root or in the package', () => {
    const repo = monorepo({ ...installed('', 'vitest'), ...installed('packages/api', 'jest') });
    expect(detectProject(repo, 'packages/api/src/a.ts')).toEqual({
      packageDir: 'packages/api',
      framework: 'jest',
      frameworkSource: 'packages/api/package.json "test" script',
      language: 'ts',
      moduleSystem: 'cjs',
      runnerBin: 'packages/api/node_modules/jest/bin/jest.js'
    });
    expect(detectProject(repo, 'packages/web/src/b.ts')).toEqual({
      packageDir: 'packages/web',
      framework: 'vitest',
      frameworkSource: 'packages/web/package.json dependencies',
      language: 'ts',
      moduleSystem: 'esm',
      runnerBin: 'node_modules/vitest/vitest.mjs'
    });
  });

  it('leaves runnerBin out when the runner is not installed anywhere up to the root', () => {
    expect(detectProject(monorepo(), 'packages/api/src/a.ts').runnerBin).toBeUndefined();
  });

  it('runs a package without a test setup of its own from the ancestor whose config covers it', () => {
    const repo = makeRepo({
      'package.json': { name: 'root', workspaces: ['packages/*'] },
      'jest.config.js': "module.exports = { projects: ['<rootDir>/packages/*'] };",
      'packages/core/package.json': { name: 'core' },
      'packages/core/src/c.js': '',
      'scripts/build.js': ''
    });
    expect(detectProject(repo, 'packages/core/src/c.js')).toMatchObject({ packageDir: '', framework: 'jest', frameworkSource: 'jest.config.js' });
    expect(detectProject(repo, 'scripts/build.js')).toMatchObject({ packageDir: '', framework: 'jest' });
  });

  it('keeps the package as the place to run when only the root’s dependencies name the framework', () => {
    const repo = makeRepo({
      'package.json': { name: 'root', workspaces: ['packages/*'], devDependencies: { vitest: '^4.0.0' } },
      'packages/core/package.json': { name: 'core' },
      'packages/core/src/c.ts': ''
    });
    expect(detectProject(repo, 'packages/core/src/c.ts')).toMatchObject({
      packageDir: 'packages/core',
      framework: 'vitest',
      frameworkSource: 'package.json dependencies'
    });
  });

  it('reads the bundled monorepo example: a jest CommonJS package and a vitest ESM package', () => {
    const repo = path.join(examplesDir(), 'monorepo');
    expect(workspacePatterns(repo)).toEqual(['packages/*']);
    expect(detectProject(repo, 'packages/core/src/money.ts')).toMatchObject({
      packageDir: 'packages/core',
      framework: 'jest',
      frameworkSource: 'packages/core/package.json "test" script',
      language: 'ts',
      moduleSystem: 'cjs',
      tsconfigModule: 'commonjs'
    });
    expect(detectProject(repo, 'packages/utils/src/arrays.ts')).toMatchObject({
      packageDir: 'packages/utils',
      framework: 'vitest',
      frameworkSource: 'packages/utils/package.json "test" script',
      language: 'ts',
      moduleSystem: 'esm',
      tsconfigModule: 'nodenext'
    });
    expect(detectProject(path.join(examplesDir(), 'vitest-lib'), 'src/duration.ts')).toMatchObject({
      packageDir: '',
      framework: 'vitest',
      moduleSystem: 'esm'
    });
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { detectTestLayout, placeTest, type TestLayout } from '../../src/generation/TestLayout.js';

const repos: string[] = [];

/** A temporary repository with the given files (content defaults to a trivial test). */
function makeRepo(files: Record<string, string>): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'aqe-layout-'));
  repos.push(repo);
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(repo, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return repo;
}

const T = "it('x', () => {});\n";
const ESM_PKG = JSON.stringify({ name: 'x', type: 'module' });
const CJS_PKG = JSON.stringify({ name: 'x' });

afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

describe('detectTestLayout', () => {
  it('recognises a separate test/ root', () => {
    const repo = makeRepo({ 'package.json': CJS_PKG, 'src/a.ts': '', 'test/a.test.ts': T, 'test/deep/b.test.ts': T });
    expect(detectTestLayout(repo)).toEqual({
      existingTests: ['test/a.test.ts', 'test/deep/b.test.ts'],
      infix: '.test',
      style: 'separate',
      testRoot: 'test',
      esm: false
    });
  });

  it('recognises a tests/ root', () => {
    const repo = makeRepo({ 'tests/a.test.js': T, 'tests/b.test.js': T, 'src/c.test.js': T });
    const layout = detectTestLayout(repo);
    expect(layout.style).toBe('separate');
    expect(layout.testRoot).toBe('tests');
  });

  it('recognises colocated tests', () => {
    const repo = makeRepo({ 'src/a.ts': '', 'src/a.test.ts': T, 'src/b/c.test.ts': T, 'src/b/d.test.ts': T });
    const layout = detectTestLayout(repo);
    expect(layout.style).toBe('colocated');
    expect(layout.existingTests).toEqual(['src/a.test.ts', 'src/b/c.test.ts', 'src/b/d.test.ts']);
  });

  it('recognises a .spec repository', () => {
    const repo = makeRepo({ 'src/a.spec.ts': T, 'src/b.spec.ts': T, 'src/c.test.ts': T });
    expect(detectTestLayout(repo).infix).toBe('.spec');
  });

  it('keeps .test when specs are not a majority', () => {
    const repo = makeRepo({ 'src/a.spec.ts': T, 'src/c.test.ts': T });
    expect(detectTestLayout(repo).infix).toBe('.test');
  });

  it('ignores node_modules, build output and hidden directories when looking for tests', () => {
    const repo = makeRepo({
      'node_modules/lib/x.test.js': T,
      'dist/a.test.js': T,
      'coverage/b.test.js': T,
      '.cache/c.test.js': T,
      'src/real.test.ts': T,
      'src/notATest.ts': '',
      'src/test-utils.ts': ''
    });
    expect(detectTestLayout(repo).existingTests).toEqual(['src/real.test.ts']);
  });

  it('with no tests: a test/ directory means a separate root, its absence means colocated', () => {
    const withDir = makeRepo({ 'test/fixtures/data.json': '{}', 'src/a.ts': '' });
    expect(detectTestLayout(withDir)).toMatchObject({ existingTests: [], style: 'separate', testRoot: 'test', infix: '.test' });
    const bare = makeRepo({ 'src/a.ts': '' });
    expect(detectTestLayout(bare)).toMatchObject({ existingTests: [], style: 'colocated', testRoot: 'test' });
  });

  it('reads the module type from package.json', () => {
    expect(detectTestLayout(makeRepo({ 'package.json': ESM_PKG })).esm).toBe(true);
    expect(detectTestLayout(makeRepo({ 'package.json': JSON.stringify({ type: 'commonjs' }) })).esm).toBe(false);
    expect(detectTestLayout(makeRepo({ 'package.json': '{ not json' })).esm).toBe(false);
    expect(detectTestLayout(makeRepo({ 'src/a.ts': '' })).esm).toBe(false);
  });
});

describe('placeTest', () => {
  it('mirrors the source under the test root, stripping src/ (CJS: no extension)', () => {
    const repo = makeRepo({ 'package.json': CJS_PKG, 'test/other.test.ts': T, 'src/cart/Cart.ts': '' });
    const layout = detectTestLayout(repo);
    expect(placeTest(repo, layout, 'src/cart/Cart.ts')).toEqual({
      testFile: 'test/cart/Cart.test.ts',
      importSpecifier: '../../src/cart/Cart',
      siblingTest: undefined
    });
  });

  it.each([
    ['lib/util.js', 'test/util.test.js', '../lib/util'],
    ['source/a/b.ts', 'test/a/b.test.ts', '../../source/a/b'],
    ['packages/core/src/x.ts', 'test/packages/core/src/x.test.ts', '../../../../packages/core/src/x'],
    ['index.ts', 'test/index.test.ts', '../index']
  ])('places %s at %s', (source, testFile, specifier) => {
    const repo = makeRepo({ 'test/other.test.ts': T });
    const placement = placeTest(repo, detectTestLayout(repo), source);
    expect(placement.testFile).toBe(testFile);
    expect(placement.importSpecifier).toBe(specifier);
  });

  it('places a colocated test beside its source', () => {
    const repo = makeRepo({ 'src/a.test.ts': T, 'src/b/c.test.ts': T });
    const placement = placeTest(repo, detectTestLayout(repo), 'src/b/d.ts');
    expect(placement).toEqual({ testFile: 'src/b/d.test.ts', importSpecifier: './d', siblingTest: undefined });
  });

  it('uses .spec in a .spec repository', () => {
    const repo = makeRepo({ 'src/a.spec.ts': T, 'src/b.spec.ts': T });
    expect(placeTest(repo, detectTestLayout(repo), 'src/c.ts').testFile).toBe('src/c.spec.ts');
  });

  it('puts the test beside an existing test of the same module, with an .aqe infix, never its name', () => {
    const repo = makeRepo({ 'package.json': CJS_PKG, 'src/math.ts': '', 'test/unit/math.test.ts': T, 'test/other.test.ts': T });
    const placement = placeTest(repo, detectTestLayout(repo), 'src/math.ts');
    expect(placement).toEqual({
      testFile: 'test/unit/math.aqe.test.ts',
      importSpecifier: '../../src/math',
      siblingTest: 'test/unit/math.test.ts'
    });
  });

  it("follows the sibling's infix over the repository's", () => {
    const repo = makeRepo({ 'src/a.test.ts': T, 'src/b.test.ts': T, 'src/c.test.ts': T, 'src/math.spec.ts': T });
    const placement = placeTest(repo, detectTestLayout(repo), 'src/math.ts');
    expect(placement.testFile).toBe('src/math.aqe.spec.ts');
    expect(placement.siblingTest).toBe('src/math.spec.ts');
  });

  it('numbers the infix when the .aqe name is also on disk', () => {
    const repo = makeRepo({ 'src/math.test.ts': T, 'src/math.aqe.test.ts': T });
    expect(placeTest(repo, detectTestLayout(repo), 'src/math.ts').testFile).toBe('src/math.aqe-2.test.ts');
  });

  it('respects names already taken in this run', () => {
    const repo = makeRepo({ 'src/math.test.ts': T });
    const layout = detectTestLayout(repo);
    expect(placeTest(repo, layout, 'src/math.ts', new Set(['src/math.aqe.test.ts'])).testFile).toBe('src/math.aqe-2.test.ts');
    expect(placeTest(repo, layout, 'src/math.ts', new Set(['src/math.aqe.test.ts', 'src/math.aqe-2.test.ts'])).testFile).toBe('src/math.aqe-3.test.ts');
  });

  it('avoids a taken name even without a sibling test', () => {
    const repo = makeRepo({ 'test/other.test.ts': T });
    const placement = placeTest(repo, detectTestLayout(repo), 'src/a.ts', new Set(['test/a.test.ts']));
    expect(placement.testFile).toBe('test/a.aqe.test.ts');
    expect(placement.siblingTest).toBeUndefined();
  });

  it('avoids an existing file that is not recognised as a test (e.g. skipped directory)', () => {
    const layout: TestLayout = { existingTests: [], infix: '.test', style: 'colocated', testRoot: 'test', esm: false };
    const repo = makeRepo({ 'src/a.test.ts': 'user content' });
    expect(placeTest(repo, layout, 'src/a.ts').testFile).toBe('src/a.aqe.test.ts');
  });

  it("does not take another folder's test of the same name as the module's own", () => {
    const repo = makeRepo({ 'src/a/index.ts': 'x', 'src/a/index.test.ts': T, 'src/b/index.ts': 'x', 'src/c.test.ts': T });
    expect(placeTest(repo, detectTestLayout(repo), 'src/b/index.ts')).toEqual({
      testFile: 'src/b/index.test.ts',
      importSpecifier: './index',
      siblingTest: undefined
    });
  });

  it('keeps tests in __tests__ folders beside their sources', () => {
    const repo = makeRepo({ 'src/__tests__/a.test.ts': T, 'src/util/__tests__/b.test.ts': T, 'src/util/c.ts': 'x' });
    const layout = detectTestLayout(repo);
    expect(layout.style).toBe('adjacent');
    expect(placeTest(repo, layout, 'src/util/c.ts')).toEqual({ testFile: 'src/util/__tests__/c.test.ts', importSpecifier: '../c', siblingTest: undefined });
  });

  it('with no tests yet, an existing tests/ folder is used as the separate root', () => {
    const repo = makeRepo({ 'tests/fixtures/x.json': '{}', 'src/a.ts': 'x' });
    expect(detectTestLayout(repo)).toMatchObject({ style: 'separate', testRoot: 'tests' });
    expect(placeTest(repo, detectTestLayout(repo), 'src/a.ts').testFile).toBe('tests/a.test.ts');
  });

  describe('import specifiers', () => {
    it.each([
      ['src/a.mts', './a.mjs'],
      ['src/a.cts', './a.cjs']
    ])('CJS package: %s is still imported as %s (its own module kind)', (source, specifier) => {
      const repo = makeRepo({ 'package.json': CJS_PKG, 'src/x.test.ts': T });
      expect(placeTest(repo, detectTestLayout(repo), source).importSpecifier).toBe(specifier);
    });

    it.each([
      ['src/a.ts', './a.js'],
      ['src/a.tsx', './a.js'],
      ['src/a.mts', './a.mjs'],
      ['src/a.cts', './a.cjs'],
      ['src/a.js', './a.js'],
      ['src/a.mjs', './a.mjs'],
      ['src/a.jsx', './a.jsx']
    ])('ESM package: %s → %s', (source, specifier) => {
      const repo = makeRepo({ 'package.json': ESM_PKG, 'src/x.test.ts': T });
      const placement = placeTest(repo, detectTestLayout(repo), source);
      expect(placement.importSpecifier).toBe(specifier);
      expect(placement.testFile).toBe(source.replace(/(\.[^.]+)$/, '.test$1'));
    });

    it('ESM package with a test root: ../../src/x/y.js', () => {
      const repo = makeRepo({ 'package.json': ESM_PKG, 'test/z.test.ts': T });
      expect(placeTest(repo, detectTestLayout(repo), 'src/x/y.ts').importSpecifier).toBe('../../src/x/y.js');
    });

    it.each(['src/a.ts', 'src/a.tsx', 'src/a.js'])('CJS package: %s has no extension', (source) => {
      const repo = makeRepo({ 'package.json': CJS_PKG, 'src/x.test.ts': T });
      expect(placeTest(repo, detectTestLayout(repo), source).importSpecifier).toBe('./a');
    });
  });
});

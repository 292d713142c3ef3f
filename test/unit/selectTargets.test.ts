import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ChangedFile } from '../../src/repo/ChangedFile.js';
import { hasOwnCode, selectTargets } from '../../src/targets/selectTargets.js';

let repo: string;

function write(rel: string, content: string): void {
  const full = path.join(repo, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
}

const CODE = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';

beforeAll(() => {
  repo = mkdtempSync(path.join(tmpdir(), 'aqe-targets-'));
  write('src/math.ts', CODE);
  write('src/cart/Cart.tsx', 'export const Cart = () => null;\n');
  write('lib/util.js', 'module.exports = { id: (x) => x };\n');
  write('src/esm.mjs', 'export default 1;\n');
  write('src/index.ts', "export * from './math';\nexport { Cart } from './cart/Cart';\nexport type { Shape } from './types';\n");
  write('src/types.ts', 'export interface Shape {\n  kind: string;\n  size?: number;\n}\nexport type Id = string;\n');
  write('src/math.test.ts', "it('x', () => {});\n");
  write('src/__tests__/math.ts', "it('x', () => {});\n");
  write('test/helpers.ts', CODE);
  write('src/ui.spec.tsx', "it('x', () => {});\n");
  write('jest.config.js', 'export default {};\n');
  write('vite.config.mts', 'export default {};\n');
  write('.eslintrc.cjs', 'module.exports = {};\n');
  write('dist/index.js', CODE);
  write('vendor/lib.js', CODE);
  write('src/generated/api.ts', CODE);
  write('public/jquery.min.js', CODE);
  write('src/global.d.ts', 'declare const x: number;\n');
  write('README.md', '# hi\n');
  write('package.json', '{}\n');
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

function reasonFor(file: string, status: ChangedFile['status'] = 'modified'): string | undefined {
  const { skipped } = selectTargets(repo, [{ filename: file, status }]);
  return skipped.find((s) => s.file === file)?.reason;
}

describe('selectTargets', () => {
  it('targets real sources of every JS/TS flavour, sorted', () => {
    const changed: ChangedFile[] = [
      { filename: 'src/math.ts', status: 'modified' },
      { filename: 'lib/util.js', status: 'added' },
      { filename: 'src/esm.mjs', status: 'renamed' },
      { filename: 'src/cart/Cart.tsx', status: 'copied' }
    ];
    expect(selectTargets(repo, changed)).toEqual({
      targets: ['lib/util.js', 'src/cart/Cart.tsx', 'src/esm.mjs', 'src/math.ts'],
      skipped: []
    });
  });

  it('skips a removed file even if a copy is still on disk', () => {
    expect(reasonFor('src/math.ts', 'removed')).toBe('removed by the pull request');
  });

  it.each(['README.md', 'package.json', 'styles/app.css', 'src/data.json', 'Makefile'])('skips the non-source file %s', (file) => {
    expect(reasonFor(file)).toBe('not a JavaScript/TypeScript source file');
  });

  it.each(['src/global.d.ts', 'types/index.d.mts', 'types/index.d.cts'])('skips the declaration file %s', (file) => {
    expect(reasonFor(file)).toBe('type declarations only');
  });

  it.each([
    'src/math.test.ts',
    'src/ui.spec.tsx',
    'src/__tests__/math.ts',
    'test/helpers.ts',
    'tests/a.js',
    'e2e/login.ts',
    'src/x.e2e.ts',
    '__mocks__/fs.js',
    'src/a.test.mjs'
  ])('skips the test file %s', (file) => {
    expect(reasonFor(file)).toBe('a test file itself');
  });

  it.each([
    'dist/index.js',
    'vendor/lib.js',
    'src/generated/api.ts',
    'public/jquery.min.js',
    'node_modules/x/index.js',
    'packages/a/build/out.js',
    'coverage/lcov-report/prettify.js',
    'third_party/x.ts'
  ])('skips vendored or built %s', (file) => {
    expect(reasonFor(file)).toBe('vendored, generated or build output');
  });

  it.each(['jest.config.js', 'vite.config.mts', '.eslintrc.cjs', 'packages/web/next.config.ts', '.prettierrc.js'])(
    'skips the configuration file %s',
    (file) => {
      expect(reasonFor(file)).toBe('a tool configuration file');
    }
  );

  it('skips a file missing from the checkout and says how to fix it', () => {
    expect(reasonFor('src/notThere.ts')).toBe('not present in the checkout (check out the pull request head before this step)');
  });

  it('skips a re-export-only index and a types-only module', () => {
    expect(reasonFor('src/index.ts')).toBe('only re-exports or type declarations, nothing to execute');
    expect(reasonFor('src/types.ts')).toBe('only re-exports or type declarations, nothing to execute');
  });

  it('accounts for every changed file: each is either a target or skipped with a reason', () => {
    const changed: ChangedFile[] = [
      { filename: 'src/math.ts', status: 'modified' },
      { filename: 'src/index.ts', status: 'modified' },
      { filename: 'README.md', status: 'modified' },
      { filename: 'src/old.ts', status: 'removed' },
      { filename: 'jest.config.js', status: 'modified' },
      { filename: 'src/math.test.ts', status: 'added' }
    ];
    const { targets, skipped } = selectTargets(repo, changed);
    expect(targets).toEqual(['src/math.ts']);
    expect(skipped.map((s) => s.file)).toEqual(['src/index.ts', 'README.md', 'src/old.ts', 'jest.config.js', 'src/math.test.ts']);
    expect(skipped.every((s) => s.reason.length > 0)).toBe(true);
  });

  it('returns empty lists for no changes', () => {
    expect(selectTargets(repo, [])).toEqual({ targets: [], skipped: [] });
  });
});

describe('hasOwnCode', () => {
  it.each([
    ['an empty file', ''],
    ['only comments', '// one\n/* two\n three */\n/** doc */\n'],
    ['interfaces and types', 'export interface A {\n  x: number;\n  y?: string;\n}\ninterface B { z: boolean }\nexport type C = A | B;\ntype D = string;\n'],
    [
      'imports and re-exports',
      "import { a } from './a';\nimport type { T } from './t';\nexport * from './b';\nexport { c, d as e } from './c';\nexport type { T };\n"
    ],
    ['a use strict directive and types', "'use strict';\nexport type X = number;\n"],
    ['a commented-out function', '// export function f() { return 1; }\n/*\nexport const x = 1;\n*/\nexport type T = 1;\n']
  ])('is false for %s', (_what, source) => {
    expect(hasOwnCode(source)).toBe(false);
  });

  it.each([
    ['a function', CODE],
    ['export const x = 1', 'export const x = 1;\n'],
    ['a class', 'export class A {}\n'],
    ['an enum', 'export enum Color { Red, Green }\n'],
    ['a default export expression', 'export default { a: 1 };\n'],
    ['module.exports', 'module.exports = {};\n'],
    ['a re-export plus a local binding', "export * from './a';\nexport const version = '1.0';\n"],
    ['code after a URL comment', "// see https://example.com\nconst url = 'https://example.com';\n"],
    ['a side-effect call', "import './polyfill';\nsetup();\n"]
  ])('is true for %s', (_what, source) => {
    expect(hasOwnCode(source)).toBe(true);
  });
});

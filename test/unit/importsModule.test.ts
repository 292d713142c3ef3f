import { describe, expect, it } from '@jest/globals';
import { importsModule, moduleSpecifiers } from '../../src/analysis/importsModule.js';

describe('moduleSpecifiers', () => {
  it('finds static, side-effect, re-export, dynamic, require and actual-module loads', () => {
    const code = `import { a } from './a.js';
import type { B } from "../b";
import './setup';
export * from '../c/index.js';
const d = await import('../d.js');
const e = require('./e.cjs');
import f = require('./f');
const g = jest.requireActual('./g');
const h = await vi.importActual<typeof import('./h.js')>('./h.js');
const i = await import(\`./i.js\`);
`;
    expect(moduleSpecifiers(code).sort()).toEqual(
      ['../b', '../c/index.js', '../d.js', './a.js', './e.cjs', './f', './g', './h.js', './i.js', './setup'].sort()
    );
  });

  it('skips imports in comments but keeps strings that look like comments', () => {
    const code = `// import { x } from './commented.js';
/* import { y } from './blocked.js'; */
const url = 'http://example.invalid/path';
import { z } from './z.js';
`;
    expect(moduleSpecifiers(code)).toEqual(['./z.js']);
  });
});

describe('importsModule', () => {
  const load = (specifier: string): string => `import { thing } from '${specifier}';\nit('works', () => expect(thing).toBeDefined());\n`;

  it('resolves a specifier from the test file’s directory, with or without an extension', () => {
    expect(importsModule(load('../src/lruCache.js'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(true);
    expect(importsModule(load('../src/lruCache'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(true);
    expect(importsModule(load('../src/lruCache.ts'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(true);
    expect(importsModule(load('./arrays.js'), 'packages/utils/src/arrays.aqe.test.ts', 'packages/utils/src/arrays.ts')).toBe(true);
    expect(importsModule(load('./widget.jsx'), 'src/widget.test.tsx', 'src/widget.tsx')).toBe(true);
    expect(importsModule(load('./esm.mjs'), 'src/esm.test.mts', 'src/esm.mts')).toBe(true);
    expect(importsModule(load('./plain.js'), 'src/plain.test.js', 'src/plain.js')).toBe(true);
  });

  it('resolves a directory to its index file', () => {
    expect(importsModule(load('../src/cache'), 'test/cache.test.ts', 'src/cache/index.ts')).toBe(true);
    expect(importsModule(load('..'), 'src/index.test.ts', 'index.js')).toBe(true);
  });

  it('answers false for another module, a sibling with a longer name, a package or an alias', () => {
    expect(importsModule(load('../src/duration.js'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(false);
    expect(importsModule(load('../src/lruCacheExtra.js'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(false);
    // Relative to the test file, '../lruCache.js' is lruCache.ts at the root, not under src/.
    expect(importsModule(load('../lruCache.js'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(false);
    expect(importsModule(load('lru-cache'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(false);
    expect(importsModule(load('@/lruCache'), 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(false);
  });

  it('does not count a commented-out import or a module that is only mocked', () => {
    const code = `// import { LruCache } from '../src/lruCache.js';\nvi.mock('../src/lruCache.js');\nit('x', () => expect(1).toBe(1));\n`;
    expect(importsModule(code, 'test/lruCache.aqe.test.ts', 'src/lruCache.ts')).toBe(false);
  });

  it('accepts paths written with ./ or Windows separators', () => {
    expect(importsModule(load('../src/lruCache.js'), './test/lruCache.aqe.test.ts', './src/lruCache.ts')).toBe(true);
    expect(importsModule(load('../src/lruCache.js'), 'test\\lruCache.aqe.test.ts', 'src\\lruCache.ts')).toBe(true);
  });
});

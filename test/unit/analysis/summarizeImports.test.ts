import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { summarizeImports } from '../../../src/analysis/summarizeImports.js';
import { projectTypeScript } from './projectTypeScript.js';

const ts = await projectTypeScript();

const repo = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-imports-')));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

function write(file: string, text: string): string {
  const full = path.join(repo, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  return full;
}

write(
  'src/math.ts',
  `/** Linear interpolation. */
export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}
export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
export interface Range { min: number; max: number }
export type Mode = 'fast' | 'slow';
export const LIMIT = 10;
export class Stack<T> {
  private items: T[] = [];
  #hidden = 1;
  readonly name: string = 'stack';
  constructor(initial?: T[]) {
    this.items = initial ?? [];
  }
  push(item: T): void {
    this.items.push(item);
  }
  get size(): number {
    return this.items.length;
  }
  protected grow(): void {}
  static of<T>(...xs: T[]): Stack<T> {
    return new Stack(xs);
  }
}
function secret(): string {
  return 's';
}
export { secret as revealed };
export default function main(): void {}
`
);
write('src/index.ts', "export * from './math.js';\nexport { helper as help } from './util/index.js';\n");
write(
  'src/util/index.ts',
  'export const helper = (s: string): string => s.trim();\nexport const config = { retries: 3, log(message: string): void { console.log(message); } };\n'
);
write('src/cjs.cjs', "module.exports = {\n  add(a, b) {\n    return a + b;\n  },\n  VERSION: '1',\n};\n");

describe('summarizeImports', () => {
  it('gives the signatures of the names a TypeScript file imports, following re-exports', () => {
    const target = write(
      'src/target.ts',
      `import main, { lerp, type Range, Stack as S } from './math.js';
import type { Mode } from './math';
import { help } from './index.js';
import { revealed } from './math.js';
import { missing } from './nope.js';
import { readFile } from 'node:fs';
const later = () => import('./util/index.js');
export const run = (r: Range, m: Mode): unknown => [main, lerp, S, help, revealed, missing, readFile, later, r, m];
`
    );
    const summary = summarizeImports(ts, target, readText(target), { rootDir: repo });
    expect(summary.imports.map((i) => [i.specifier, i.resolvedFile && path.relative(repo, i.resolvedFile), i.names])).toEqual([
      ['./math.js', 'src/math.ts', ['default', 'lerp', 'Range', 'Stack', 'revealed']],
      ['./math', 'src/math.ts', ['Mode']],
      ['./index.js', 'src/index.ts', ['help']],
      ['./nope.js', undefined, ['missing']],
      ['./util/index.js', 'src/util/index.ts', ['*']]
    ]);
    const [math, mathTypes, index, nope, util] = summary.imports;
    expect(math!.signatures).toEqual([
      'export default function main(): void',
      'export function lerp(a: number, b: number, t: number): number',
      'export interface Range { min: number; max: number }',
      [
        'export class Stack<T> {',
        '  readonly name: string;',
        '  constructor(initial?: T[]);',
        '  push(item: T): void;',
        '  get size(): number;',
        '  static of<T>(...xs: T[]): Stack<T>;',
        '}'
      ].join('\n'),
      'function secret(): string // exported as revealed'
    ]);
    expect(mathTypes!.signatures).toEqual(["export type Mode = 'fast' | 'slow';"]);
    expect(index!.signatures).toEqual(['export const helper = (s: string): string => // exported as help']);
    expect(nope!.signatures).toEqual([]);
    expect(util!.signatures).toEqual([
      'export const helper = (s: string): string =>',
      'export const config = {\n  retries: 3,\n  log(message: string): void,\n}'
    ]);
    expect(summary.truncated).toBe(false);
    expect(summary.text).toContain('// ./math.js (src/math.ts)\nexport default function main(): void\n');
    expect(summary.text).not.toContain('return');
    expect(summary.text).not.toContain('nope');
  });

  it('reads CommonJS requires and a CommonJS module, and a whole barrel for a namespace import', () => {
    const target = write(
      'src/use.js',
      "const { add } = require('./cjs.cjs');\nconst whole = require('./cjs.cjs');\nmodule.exports = () => add(1, 2) + whole.VERSION;\n"
    );
    const summary = summarizeImports(ts, target, readText(target));
    expect(summary.imports).toEqual([
      { specifier: './cjs.cjs', resolvedFile: path.join(repo, 'src/cjs.cjs'), names: ['add', '*'], signatures: ['add(a, b)', "VERSION: '1'"] }
    ]);

    const barrel = write('src/ns.ts', "import * as all from './index.js';\nexport const n = all.LIMIT;\n");
    const names = summarizeImports(ts, barrel, readText(barrel)).imports[0]!.signatures.map((s) => s.split(/[\n(<=:]/)[0]);
    expect(names).toEqual([
      'export const helper ',
      'export function lerp',
      'export function clamp',
      'export interface Range { min',
      'export type Mode ',
      'export const LIMIT ',
      'export class Stack',
      'function secret',
      'export default function main'
    ]);
  });

  it('caps the text and says that signatures were left out', () => {
    const barrel = write('src/ns2.ts', "import * as all from './index.js';\nexport const n = all.LIMIT;\n");
    const summary = summarizeImports(ts, barrel, readText(barrel), { maxChars: 300 });
    expect(summary.truncated).toBe(true);
    expect(summary.text.length).toBeLessThanOrEqual(300);
    expect(summary.text).toMatch(/\/\/ … \d+ more declarations left out to fit the prompt$/);
    expect(summary.text).toContain('export function lerp');
  });
});

function readText(file: string): string {
  return ts.sys.readFile(file) ?? '';
}

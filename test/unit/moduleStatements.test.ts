import { describe, expect, it } from '@jest/globals';
import { hasOwnCode, topLevelStatements } from '../../src/analysis/moduleStatements.js';

describe('hasOwnCode', () => {
  it.each([
    ["export {\n  a,\n  b,\n} from './x';\n"],
    ["import {\n  A,\n  B\n} from './x';\nexport type C = A | B;\n"],
    ["export * as ns from './ns';\n"],
    ["export * from './math';\nexport * from './strings';\n"],
    ['export interface Foo {\n  run(): void;\n}\n'],
    ['export interface Foo {\n  onClick: () => void;\n}\n'],
    ['export interface Foo {\n  readonly id: string;\n}\n'],
    ["export type Shape =\n  | { kind: 'circle'; r: number }\n  | { kind: 'square'; s: number };\n"],
    ['export declare function f(): void;\n'],
    ['// comment only\n/* block { */\n'],
    ['export default interface X { a: 1 }'],
    ['export { a as default };'],
    ["'use strict';\nimport type { A } from './a';"]
  ])('nothing to execute: %j', (source) => {
    expect(hasOwnCode(source)).toBe(false);
  });

  it.each([
    ['export interface Foo {\n  run(): void\n}\nexport function f() { return 1 }\n'],
    ['export const x = 1'],
    ["type A = {\n a: string\n}\nexport const x = `${'}'}`\n"],
    ["import x from 'y';\nconst r = /{/;\nexport function f(){}"],
    ['export enum E { A, B }'],
    ['export default function () {}'],
    ["import './polyfill';\nconsole.log('side effect')"],
    ['export type A = string;\nexport class B {}']
  ])('has code: %j', (source) => {
    expect(hasOwnCode(source)).toBe(true);
  });
});

describe('topLevelStatements', () => {
  it('splits at semicolons and at line breaks before a new statement, not inside brackets or strings', () => {
    expect(topLevelStatements("import a from 'a';\nexport function f() {\n  const s = ';{';\n  return s;\n}\ntype T = { a: 1 }\nexport const x = 1")).toEqual([
      "import a from 'a'",
      "export function f() { const s = ';{'; return s; }",
      'type T = { a: 1 }',
      'export const x = 1'
    ]);
  });
});

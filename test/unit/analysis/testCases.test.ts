import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { syntaxErrors } from '../../../src/analysis/parseSource.js';
import { parseTestFile } from '../../../src/analysis/parseTestFile.js';
import { removeTestCases } from '../../../src/analysis/removeTestCases.js';
import type { TestCase } from '../../../src/analysis/testFileModel.js';
import { PROJECT_ROOT, projectTypeScript } from './projectTypeScript.js';

const ts = await projectTypeScript();

/** 1-based line of the first line containing `snippet`. */
function lineOf(text: string, snippet: string): number {
  const index = text.indexOf(snippet);
  if (index < 0) throw new Error(`fixture has no ${snippet}`);
  return text.slice(0, index).split('\n').length;
}

const STACK_TEST = `import { beforeEach, describe, expect, it, test } from '@jest/globals';
import { Stack } from '../src/stack.js';
import { format } from '../src/format.js';
import type { Options } from '../src/options.js';

function expectEmpty(s: Stack<number>): void {
  expect(s.size).toBe(0);
}
const check = (s: Stack<number>): void => expectEmpty(s);

function makeFormatted(o: Options): string {
  return format(o);
}

describe('Stack', () => {
  let stack: Stack<number>;
  beforeEach(() => {
    stack = new Stack();
  });

  it('starts empty', () => {
    check(stack);
  });

  // pushes then pops
  it('pushes and pops', () => {
    stack.push(1);
    expect(stack.pop()).toBe(1);
  });

  it.each([
    [1, 2, 3],
    [2, 2, 4],
  ])('adds %i + %i = %i', (a, b, sum) => {
    expect(a + b).toBe(sum);
  });

  describe('formatting', () => {
    it(\`formats \${'x'}\`, () => {
      expect(makeFormatted({ sep: ',' })).toBe('x');
    });
  });

  test.skip('logs only', () => {
    console.log(stack);
  });

  it.todo('handles overflow');
});

test('top level', () => {
  expect(format({ sep: ';' })).toContain(';');
});
`;

/** A scratch project where the test file above compiles under strict + noUnusedLocals. */
const project = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-cases-')));
afterAll(() => rmSync(project, { recursive: true, force: true }));
function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
  writeFileSync(path.join(project, file), text);
}
write('package.json', '{ "type": "module" }');
write(
  'src/stack.ts',
  'export class Stack<T> {\n  private items: T[] = [];\n  get size(): number { return this.items.length; }\n  push(x: T): void { this.items.push(x); }\n  pop(): T | undefined { return this.items.pop(); }\n}\n'
);
write('src/options.ts', 'export interface Options { sep: string }\n');
write('src/format.ts', "import type { Options } from './options.js';\nexport function format(o: Options): string { return o.sep === ',' ? 'x' : o.sep; }\n");
symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');

const parsedDeclarations = new Map<string, import('typescript').SourceFile | undefined>();
/** Compiler errors of test/stack.test.ts with the given text, as `TS<code>: message`. */
function compileErrors(testText: string): string[] {
  write('test/stack.test.ts', testText);
  const options: import('typescript').CompilerOptions = {
    strict: true,
    noUnusedLocals: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  // Library and jest declarations do not change between calls: parsed once.
  host.getSourceFile = (fileName, languageVersion) => {
    if (fileName.endsWith('stack.test.ts')) return read(fileName, languageVersion);
    if (!parsedDeclarations.has(fileName)) parsedDeclarations.set(fileName, read(fileName, languageVersion));
    return parsedDeclarations.get(fileName);
  };
  const program = ts.createProgram([path.join(project, 'test/stack.test.ts')], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

function titles(cases: TestCase[]): string[] {
  return cases.map((c) => c.fullTitle);
}

describe('parseTestFile', () => {
  const parsed = parseTestFile(ts, 'test/stack.test.ts', STACK_TEST);

  it('lists cases with their describe ancestry, titles as written and line ranges', () => {
    expect(titles(parsed.cases)).toEqual([
      'Stack starts empty',
      'Stack pushes and pops',
      'Stack adds %i + %i = %i',
      "Stack formatting formats ${'x'}",
      'Stack logs only',
      'Stack handles overflow',
      'top level'
    ]);
    expect(parsed.describes.map((d) => [d.title, d.ancestors, d.startLine, d.endLine])).toEqual([
      ['Stack', [], lineOf(STACK_TEST, "describe('Stack'"), lineOf(STACK_TEST, "it.todo('handles overflow');") + 1],
      ['formatting', ['Stack'], lineOf(STACK_TEST, "describe('formatting'"), lineOf(STACK_TEST, "describe('formatting'") + 4]
    ]);
    const each = parsed.cases[2]!;
    expect(each).toMatchObject({ callee: 'it.each', titleIsPattern: true, repeated: true, skipped: false });
    expect([each.startLine, each.endLine]).toEqual([lineOf(STACK_TEST, 'it.each(['), lineOf(STACK_TEST, 'expect(a + b)') + 1]);
    expect(parsed.cases[3]).toMatchObject({ title: "formats ${'x'}", ancestors: ['Stack', 'formatting'], titleIsPattern: true });
    expect(parsed.cases[4]).toMatchObject({ callee: 'test.skip', skipped: true });
    expect(parsed.cases[0]).toMatchObject({ callee: 'it', titleIsPattern: false, repeated: false, skipped: false });
  });

  it('finds assertions directly, through matchers and through helpers declared in the file', () => {
    expect(parsed.cases.map((c) => [c.title, c.hasAssertion])).toEqual([
      ['starts empty', true], // check -> expectEmpty -> expect
      ['pushes and pops', true],
      ['adds %i + %i = %i', true],
      ["formats ${'x'}", true],
      ['logs only', false],
      ['handles overflow', false],
      ['top level', true]
    ]);
    expect(parsed.cases[5]!.canonicalBody).toBeUndefined();
  });

  it.each([
    ["it('chai', () => { chai.expect(1).to.equal(1); });", true],
    ["it('node assert', () => { assert.strictEqual(1, 1); });", true],
    ["it('bare assert', () => { assert(true); });", true],
    ["it('should', () => { (1).should.equal(1); });", true],
    ["it('sinon', () => { sinon.assert.calledOnce(spy); });", true],
    ["it('count', () => { expect.assertions(1); run(); });", true],
    ["it('async', async () => { await expect(load()).resolves.toBe(1); });", true],
    ["it('custom matcher', () => { wrapper.toHaveBeenCalledOnce(); });", true],
    ["it('types', () => { expectTypeOf(f).toBeFunction(); });", true],
    ["it('nested callback', (done) => { setTimeout(() => { expect(1).toBe(1); done(); }); });", true],
    ["const verify = function (x) { assert.ok(x); };\nit('helper expression', () => { verify(1); });", true],
    ["it('no assertion', () => { run(); console.log('ok'); });", false],
    ["it('only a hook asserts', () => { beforeEach(() => expect(1).toBe(1)); run(); });", false],
    ["function setup() { return 1; }\nit('calls a helper that does not assert', () => { setup(); });", false]
  ])('%s -> %s', (source, asserts) => {
    const [testCase] = parseTestFile(ts, 'a.test.js', source).cases;
    expect(testCase?.hasAssertion).toBe(asserts);
  });

  it('reads vitest forms: .for, .skipIf, describe.each tagged tables, options before the function', () => {
    const source = `import { describe, expect, it, test } from 'vitest';
describe.each\`
  a    | b
  \${1} | \${2}
\`('with $a and $b', ({ a, b }) => {
  test.for([[1], [2]])('value %s', ([n]) => {
    expect(n + a + b).toBeGreaterThan(0);
  });
  it.skipIf(process.platform === 'win32')('posix only', () => {
    expect(1).toBe(1);
  });
  it('with options', { timeout: 10 }, () => {
    expect(2).toBe(2);
  });
});
`;
    const parsed2 = parseTestFile(ts, 'x.test.ts', source);
    expect(parsed2.cases.map((c) => [c.fullTitle, c.callee, c.repeated, c.skipped, c.hasAssertion])).toEqual([
      ['with $a and $b value %s', 'test.for', true, false, true],
      ['with $a and $b posix only', 'it.skipIf', true, true, true],
      ['with $a and $b with options', 'it', true, false, true]
    ]);
  });

  it('marks tests declared in a loop or helper as repeated', () => {
    const source = `for (const n of [1, 2]) {
  it('loop ' + n, () => expect(n).toBe(n));
}
function check(name: string) {
  it(name, () => expect(name).toBeTruthy());
}
check('a');
if (process.env.CI) {
  it('conditional', () => expect(1).toBe(1));
}
`;
    expect(parseTestFile(ts, 'y.test.ts', source).cases.map((c) => [c.title, c.repeated, c.titleIsPattern])).toEqual([
      ["'loop ' + n", true, true],
      ['name', true, true],
      ['conditional', false, false]
    ]);
  });
});

describe('removeTestCases', () => {
  it('the fixture compiles under strict and noUnusedLocals before any pruning, and the check sees an unused import', () => {
    expect(compileErrors(STACK_TEST)).toEqual([]);
    expect(compileErrors("import { Stack } from '../src/stack.js';\n")).toEqual(["TS6133: 'Stack' is declared but its value is never read."]);
  });

  it('removes a failing case by its reported location and title, with the describe it emptied and the helpers only it used', () => {
    const line = lineOf(STACK_TEST, 'it(`formats');
    const result = removeTestCases(ts, 'test/stack.test.ts', STACK_TEST, [{ line, title: 'formats x', ancestors: ['Stack', 'formatting'] }]);
    expect(result.removed.map((r) => r.testCase.fullTitle)).toEqual(["Stack formatting formats ${'x'}"]);
    expect(result.notRemoved).toEqual([]);
    expect(result.remainingCases).toBe(6);
    expect(result.text).not.toContain("describe('formatting'");
    expect(result.text).not.toContain('makeFormatted');
    expect(result.text).not.toContain('Options');
    expect(result.text).toContain("import { format } from '../src/format.js';");
    expect(compileErrors(result.text)).toEqual([]);
    // The other cases are untouched.
    const before = parseTestFile(ts, 'test/stack.test.ts', STACK_TEST).cases.filter((c) => c.ancestors[1] !== 'formatting');
    const after = parseTestFile(ts, 'test/stack.test.ts', result.text).cases;
    expect(after.map((c) => [c.fullTitle, c.canonicalBody])).toEqual(before.map((c) => [c.fullTitle, c.canonicalBody]));
  });

  it('removes a case by line alone, with the comment directly above it, leaving no blank gap', () => {
    const result = removeTestCases(ts, 'test/stack.test.ts', STACK_TEST, [{ line: lineOf(STACK_TEST, 'stack.push(1)') }]);
    expect(result.removed).toHaveLength(1);
    expect(result.text).not.toContain('pushes then pops');
    expect(result.text).not.toContain("it('pushes and pops'");
    expect(result.text).toContain('    check(stack);\n  });\n\n  it.each([');
    expect(compileErrors(result.text)).toEqual([]);
  });

  it('removes a whole it.each when one of its rows failed, matched by the formatted title', () => {
    const result = removeTestCases(ts, 'test/stack.test.ts', STACK_TEST, [{ title: 'adds 2 + 2 = 4', ancestors: ['Stack'] }, { name: 'Stack adds 1 + 2 = 3' }]);
    expect(result.removed.map((r) => r.testCase.title)).toEqual(['adds %i + %i = %i', 'adds %i + %i = %i']);
    expect(result.text).not.toContain('it.each');
    expect(result.remainingCases).toBe(6);
    expect(compileErrors(result.text)).toEqual([]);
  });

  it('removes a describe left without cases and the imports only it used; hooks of kept blocks stay', () => {
    const inStack = parseTestFile(ts, 'test/stack.test.ts', STACK_TEST).cases.filter((c) => c.ancestors[0] === 'Stack');
    const result = removeTestCases(
      ts,
      'test/stack.test.ts',
      STACK_TEST,
      inStack.map((c) => ({ line: c.startLine }))
    );
    expect(result.removed).toHaveLength(inStack.length);
    expect(result.remainingCases).toBe(1);
    expect(result.text).toBe(`import { expect, test } from '@jest/globals';
import { format } from '../src/format.js';

test('top level', () => {
  expect(format({ sep: ';' })).toContain(';');
});
`);
    expect(compileErrors(result.text)).toEqual([]);
  });

  it('keeps beforeEach when other cases of its describe remain', () => {
    const result = removeTestCases(ts, 'test/stack.test.ts', STACK_TEST, [{ name: 'Stack starts empty' }]);
    expect(result.text).toContain('beforeEach(() => {');
    expect(result.text).not.toContain('expectEmpty');
    expect(compileErrors(result.text)).toEqual([]);
  });

  it('reports refs it cannot match and leaves the text unchanged when nothing matched', () => {
    const result = removeTestCases(ts, 'test/stack.test.ts', STACK_TEST, [{ title: 'no such test' }, { line: 2 }, { name: 'Stack' }]);
    expect(result.text).toBe(STACK_TEST);
    expect(result.removed).toEqual([]);
    expect(result.notRemoved.map((n) => n.reason)).toEqual(['no test case titled "no such test"', 'no test case at line 2', 'no test case titled "Stack"']);
  });

  it('prefers the one exact title over pattern titles, and refuses an ambiguous title', () => {
    const source =
      "it('same', () => expect(1).toBe(1));\nit('same', () => expect(2).toBe(2));\nit(name, () => expect(3).toBe(3));\nit('other', () => expect(4).toBe(4));\n";
    const ambiguous = removeTestCases(ts, 'a.test.js', source, [{ title: 'same' }]);
    expect(ambiguous.notRemoved.map((n) => n.reason)).toEqual(['3 test cases could be "same"']);
    const exact = removeTestCases(ts, 'a.test.js', source, [{ title: 'other', ancestors: [] }]);
    expect(exact.text).toBe("it('same', () => expect(1).toBe(1));\nit('same', () => expect(2).toBe(2));\nit(name, () => expect(3).toBe(3));\n");
  });

  it('matches the locations jest 30 reports (--testLocationInResults) for .each, multi-line and generated tests', () => {
    const source = `describe('d', () => {
  it.each([
    [1],
    [2],
  ])('row %i', (n) => {
    expect(n).toBe(2);
  });

  it(
    'multi',
    () => {
      expect(1).toBe(1);
    }
  );
  [1, 2].forEach((n) => it(\`loop \${n}\`, () => expect(n).toBe(n)));
});
`;
    // What jest reported for this file: "d row 1" at 5:5, "d multi" at 9:3, "d loop 1" at 15:25.
    const result = removeTestCases(ts, 'loc.test.js', source, [
      { line: 5, title: 'row 1', ancestors: ['d'], name: 'd row 1' },
      { line: 15, title: 'loop 1', ancestors: ['d'], name: 'd loop 1' }
    ]);
    expect(result.removed.map((r) => r.testCase.title)).toEqual(['row %i']);
    expect(result.notRemoved).toEqual([
      { ref: expect.objectContaining({ line: 15 }), reason: 'the test call at line 15 is part of a larger expression and cannot be cut out on its own' }
    ]);
    expect(result.text.startsWith("describe('d', () => {\n  it(\n    'multi',")).toBe(true);
    expect(result.remainingCases).toBe(2);
  });

  it('keeps a CommonJS file valid: a test under an if, a describe whose body is one call, require kept', () => {
    const source = `'use strict';
const { add } = require('../src/add');

describe('add', () => it('adds', () => expect(add(1, 2)).toBe(3)));

describe('more', () => {
  if (process.env.SLOW) test('slow', () => expect(add(2, 2)).toBe(4));
  test('fast', () => expect(add(0, 0)).toBe(0));
});
`;
    const result = removeTestCases(ts, 'test/add.test.js', source, [{ title: 'adds' }, { title: 'slow' }]);
    expect(result.removed).toHaveLength(2);
    expect(result.text).toBe(`'use strict';
const { add } = require('../src/add');

describe('more', () => {
  if (process.env.SLOW) {}
  test('fast', () => expect(add(0, 0)).toBe(0));
});
`);
    expect(syntaxErrors(ts, 'test/add.test.js', result.text)).toEqual([]);
  });

  it('rewrites a type-only import and a default + named import it partly keeps', () => {
    const source = `import type { A, B } from './types';
import def, { x, y } from './m';
const a: A = 1 as A;
it('uses b, def and x', () => { const b: B = def(x); expect(b).toBe(a); });
it('uses y', () => { expect(y).toBe(a); });
`;
    const result = removeTestCases(ts, 'm.test.ts', source, [{ title: 'uses b, def and x' }]);
    expect(result.text).toBe(`import type { A } from './types';
import { y } from './m';
const a: A = 1 as A;
it('uses y', () => { expect(y).toBe(a); });
`);
  });
});

import { describe, expect, it } from '@jest/globals';

import { findDuplicateCases } from '../../../src/analysis/duplicateTests.js';
import { parseTestFile } from '../../../src/analysis/parseTestFile.js';
import { projectTypeScript } from './projectTypeScript.js';

const ts = await projectTypeScript();

const EXISTING = `import { describe, expect, it } from '@jest/globals';
import { Stack } from '../src/stack.js';

describe('Stack', () => {
  it('pops what was pushed', () => {
    const s = new Stack<number>();
    s.push(1_000);
    expect(s.pop()).toBe(1000);
  });

  it.each([[1], [2]])('keeps %i', (n) => {
    const s = new Stack<number>();
    s.push(n);
    expect(s.size).toEqual(1);
  });
});
`;

describe('findDuplicateCases', () => {
  const existing = parseTestFile(ts, 'test/stack.test.ts', EXISTING);

  it('finds a generated case that repeats an existing one under another title, layout, quotes, comments and names', () => {
    const generated = parseTestFile(
      ts,
      'test/stack.aqe.test.ts',
      `import { Stack } from '../src/stack.js';
describe("Stack (generated)", () => {
  test("push then pop returns the value", () => {
    // arrange
    const stack = new Stack<number>()
    stack.push(1000)   /* act */
    expect(stack.pop()).toBe(1e3)
  })
  test('pop on an empty stack', () => {
    const stack = new Stack<number>();
    expect(stack.pop()).toBeUndefined();
  });
  test('push then pop, again', () => {
    const other = new Stack<number>();
    other.push(1000);
    expect(other.pop()).toBe(1000);
  });
});
`
    );
    expect(findDuplicateCases(generated, [existing])).toEqual([
      {
        caseTitle: 'Stack (generated) push then pop returns the value',
        line: 3,
        duplicateOf: { file: 'test/stack.test.ts', title: 'Stack pops what was pushed', line: 5 }
      },
      {
        caseTitle: 'Stack (generated) push then pop, again',
        line: 13,
        duplicateOf: { file: 'test/stack.test.ts', title: 'Stack pops what was pushed', line: 5 }
      }
    ]);
  });

  it('tells apart cases that differ in a value, a property name or an each table', () => {
    const generated = parseTestFile(
      ts,
      'test/stack.aqe.test.ts',
      `it('other value', () => {
  const s = new Stack<number>();
  s.push(1001);
  expect(s.pop()).toBe(1000);
});
it('other property', () => {
  const s = new Stack<number>();
  s.push(1000);
  expect(s.peek()).toBe(1000);
});
it.each([[3]])('other table %i', (n) => {
  const s = new Stack<number>();
  s.push(n);
  expect(s.size).toEqual(1);
});
it.each([[1], [2]])('same table %i', (value) => {
  const s = new Stack<number>();
  s.push(value);
  expect(s.size).toEqual(1);
});
`
    );
    expect(findDuplicateCases(generated, [existing]).map((d) => [d.caseTitle, d.duplicateOf.title])).toEqual([['same table %i', 'Stack keeps %i']]);
  });

  it('finds repeats within the candidate and ignores the candidate when it is in the list', () => {
    const source = `it('first', () => { expect(add(1, 2)).toBe(3); });
it('second', () => { expect(add(1, 2)).toBe(3); });
it.todo('later');
it.todo('later too');
`;
    const generated = parseTestFile(ts, 'test/add.aqe.test.js', source);
    expect(findDuplicateCases(generated, [generated])).toEqual([
      { caseTitle: 'second', line: 2, duplicateOf: { file: 'test/add.aqe.test.js', title: 'first', line: 1 } }
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';

import { compressRanges } from '../../src/coverage/lineRanges.js';
import { buildPrompt, type PromptInput } from '../../src/generation/buildPrompt.js';

const SOURCE = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';

function input(overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    framework: 'jest',
    sourceFile: 'src/math.ts',
    source: SOURCE,
    placement: { testFile: 'test/math.test.ts', importSpecifier: '../src/math.js' },
    uncoveredLines: [],
    maxChars: 20_000,
    ...overrides
  };
}

describe('compressRanges', () => {
  it.each([
    [[1, 2, 3, 7, 9, 10], '1-3, 7, 9-10'],
    [[], ''],
    [[5], '5'],
    [[3, 4, 5, 9], '3-5, 9'],
    [[1, 3, 5], '1, 3, 5'],
    [[10, 11], '10-11'],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100], '1-10, 100']
  ])('%j → "%s"', (lines, expected) => {
    expect(compressRanges(lines)).toBe(expected);
  });
});

describe('buildPrompt', () => {
  it('names the source, the test path and the import specifier, and shows the source in a ts fence', () => {
    const { system, user } = buildPrompt(input());
    expect(system).toContain('exactly one fenced code block');
    expect(user).toContain('Write jest tests for `src/math.ts`.');
    expect(user).toContain("The test file will be saved as `test/math.test.ts`; import the module under test from '../src/math.js'.");
    expect(user).toContain(`Source of \`src/math.ts\`:\n\`\`\`ts\n${SOURCE}\n\`\`\``);
  });

  it('uses a js fence for JavaScript sources', () => {
    const { user } = buildPrompt(input({ sourceFile: 'lib/a.mjs', source: 'export const a = 1;' }));
    expect(user).toContain('Source of `lib/a.mjs`:\n```js\nexport const a = 1;\n```');
  });

  it('lists uncovered lines as compressed ranges', () => {
    const { user } = buildPrompt(input({ uncoveredLines: [1, 2, 3, 7, 9, 10] }));
    expect(user).toContain('These lines are not covered by the existing tests; cover them first: 1-3, 7, 9-10.');
    expect(user).not.toContain('Cover every exported function');
  });

  it('asks to cover every export when no uncovered lines are known', () => {
    const { user } = buildPrompt(input());
    expect(user).toContain('Cover every exported function, including error paths and edge cases.');
    expect(user).not.toContain('not covered by the existing tests');
  });

  it('includes the style example and follows its @jest/globals import', () => {
    const example = { file: 'test/other.test.ts', content: "import { expect, it } from '@jest/globals';\nit('x', () => expect(1).toBe(1));" };
    const { user } = buildPrompt(input({ example }));
    expect(user).toContain(`An existing test in this repository (\`test/other.test.ts\`), for style:\n\`\`\`ts\n${example.content}\n\`\`\``);
    expect(user).toContain("Import describe, it and expect from '@jest/globals' as the example does.");
    // The source comes before the example.
    expect(user.indexOf('Source of')).toBeLessThan(user.indexOf('An existing test'));
  });

  it('tells the model to use jest globals when the example does not import them', () => {
    const { user } = buildPrompt(input({ example: { file: 'a.test.js', content: "it('x', () => {});" } }));
    expect(user).toContain('Use the jest globals (describe, it, expect) as the existing tests do.');
    expect(user).toContain('```js\nit(');
  });

  it('drops the example first when source and example do not both fit', () => {
    const example = { file: 'test/big.test.ts', content: `it('x', () => {});\n${'// padding\n'.repeat(500)}` };
    const full = buildPrompt(input({ example }));
    const needed = full.system.length + full.user.length;
    const { system, user } = buildPrompt(input({ example, maxChars: needed - 100 }));
    expect(user).not.toContain('An existing test in this repository');
    expect(user).toContain(SOURCE);
    expect(user).not.toContain('truncated');
    expect(system.length + user.length).toBeLessThanOrEqual(needed - 100);
  });

  it('keeps the example when everything fits exactly', () => {
    const example = { file: 'test/e.test.ts', content: "it('x', () => {});" };
    const full = buildPrompt(input({ example }));
    const again = buildPrompt(input({ example, maxChars: full.system.length + full.user.length + 5 }));
    expect(again.user).toBe(full.user);
  });

  it('truncates the source, keeping its start, when even the source alone does not fit', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i};`);
    const source = lines.join('\n');
    const example = { file: 'test/e.test.ts', content: "it('x', () => {});" };
    const maxChars = 3000;
    const { system, user } = buildPrompt(input({ source, example, maxChars }));
    expect(user).not.toContain('An existing test');
    expect(user).toContain("// … (truncated to fit the model's context)");
    expect(user).toContain(lines[0]);
    expect(user).not.toContain(lines[399]);
    expect(user).toContain("import the module under test from '../src/math.js'");
    expect(system.length + user.length).toBeLessThanOrEqual(maxChars);
    expect(user.trimEnd().endsWith('```')).toBe(true);
  });

  it('still produces the header when the budget leaves no room for source at all', () => {
    const { user } = buildPrompt(input({ source: 'x'.repeat(5000), maxChars: 100 }));
    expect(user).toContain('Write jest tests for `src/math.ts`.');
    expect(user).toContain('// … (truncated');
    expect(user).not.toContain('xxxx');
  });
});

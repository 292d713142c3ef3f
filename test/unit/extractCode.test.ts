import { describe, expect, it } from '@jest/globals';

import { extractCode } from '../../src/generation/extractCode.js';

const TEST_FILE = [
  "import { describe, expect, it } from '@jest/globals';",
  "import { add } from '../src/math.js';",
  '',
  "describe('add', () => {",
  "  it('adds', () => {",
  '    expect(add(1, 2)).toBe(3);',
  '  });',
  '});'
].join('\n');

describe('extractCode', () => {
  it('takes a fenced ts block out of surrounding prose, ending with one newline', () => {
    const answer = `Sure! Here is a test file for the module:\n\n\`\`\`ts\n${TEST_FILE}\n\`\`\`\n\nThis covers the add function.`;
    expect(extractCode(answer)).toBe(`${TEST_FILE}\n`);
  });

  it.each(['typescript', 'TypeScript', 'js', 'javascript', 'tsx', 'mjs', ''])('accepts the fence language "%s"', (lang) => {
    expect(extractCode(`\`\`\`${lang}\n${TEST_FILE}\n\`\`\``)).toBe(`${TEST_FILE}\n`);
  });

  it('accepts a fence with extra info after the language', () => {
    expect(extractCode(`\`\`\`ts title="math.test.ts"\n${TEST_FILE}\n\`\`\``)).toBe(`${TEST_FILE}\n`);
  });

  it('picks the test-like block among several, even when a non-test block is longer', () => {
    const longSource = `export function add(a: number, b: number): number {\n${'  // explanation line\n'.repeat(40)}  return a + b;\n}`;
    const answer = `The module:\n\`\`\`ts\n${longSource}\n\`\`\`\nAnd the tests:\n\`\`\`ts\n${TEST_FILE}\n\`\`\`\nDone.`;
    expect(longSource.length).toBeGreaterThan(TEST_FILE.length);
    expect(extractCode(answer)).toBe(`${TEST_FILE}\n`);
  });

  it('prefers the block with more test declarations', () => {
    const one = "it('a', () => { expect(1).toBe(1); });";
    const three = "describe('x', () => {\n  it('a', () => {});\n  test('b', () => {});\n});";
    const answer = `\`\`\`ts\n${one}\n\`\`\`\n\`\`\`ts\n${three}\n\`\`\``;
    expect(extractCode(answer)).toBe(`${three}\n`);
  });

  it('keeps an unterminated block (answer cut at the token limit)', () => {
    const cut = "import { add } from './math';\n\ndescribe('add', () => {\n  it('adds', () => {\n    expect(add(1,";
    expect(extractCode(`Here you go:\n\`\`\`typescript\n${cut}`)).toBe(`${cut}\n`);
  });

  it('keeps a complete block even when a later block is unterminated', () => {
    const answer = `\`\`\`ts\n${TEST_FILE}\n\`\`\`\nAlso:\n\`\`\`ts\nconst leftover = 1;`;
    expect(extractCode(answer)).toBe(`${TEST_FILE}\n`);
  });

  it('finds code without fences by dropping the prose before it', () => {
    const answer = `Here is the test file you asked for.\nIt uses jest.\n${TEST_FILE}`;
    expect(extractCode(answer)).toBe(`${TEST_FILE}\n`);
  });

  it('finds unfenced code that starts with describe(', () => {
    const code = "describe('x', () => {\n  test('y', () => expect(true).toBe(true));\n});";
    expect(extractCode(`Tests:\n${code}\n\n`)).toBe(`${code}\n`);
  });

  it.each([
    ['prose only', 'I cannot write tests for this module because it has no exports.'],
    ['empty answer', ''],
    ['a fenced block with no tests', '```ts\nexport const add = (a: number, b: number) => a + b;\n```'],
    ['unfenced code with no tests', "Here:\nimport { add } from './math';\nconst x = add(1, 2);"],
    ['words like submit( and visit( are not tests', '```ts\nform.submit();\npage.visit("/");\n```']
  ])('returns undefined for %s', (_what, answer) => {
    expect(extractCode(answer)).toBeUndefined();
  });

  it('accepts ~~~ fences', () => {
    expect(extractCode(`Answer:\n~~~ts\n${TEST_FILE}\n~~~\n`)).toBe(`${TEST_FILE}\n`);
  });

  it('does not close a ~~~ block on a ``` line inside it', () => {
    const code = "describe('md', () => {\n  it('renders', () => {\n    expect(render('```')).toBe('x');\n  });\n});";
    const withFenceLine = code.replace("render('```')", 'render(`\n```\n`)');
    expect(extractCode(`~~~ts\n${withFenceLine}\n~~~`)).toBe(`${withFenceLine}\n`);
  });

  it('ignores a non-code block such as ```bash even when it mentions test(', () => {
    const answer = `Run it with:\n\`\`\`bash\nnpx jest --testNamePattern 'test(add)'\n\`\`\`\n\`\`\`ts\n${TEST_FILE}\n\`\`\``;
    expect(extractCode(answer)).toBe(`${TEST_FILE}\n`);
  });

  it('ignores a json block and a bash block that come first', () => {
    const answer = `\`\`\`json\n{"describe(": 1}\n\`\`\`\n\`\`\`bash\nit( ) test( )\n\`\`\`\n\`\`\`js\n${TEST_FILE}\n\`\`\``;
    expect(extractCode(answer)).toBe(`${TEST_FILE}\n`);
  });

  it('counts it.each / describe.each as test declarations', () => {
    const code = "it.each([[1, 2]])('adds %i', (a, b) => {\n  expect(a + 1).toBe(b);\n});";
    expect(extractCode(`\`\`\`ts\n${code}\n\`\`\``)).toBe(`${code}\n`);
  });

  it('strips trailing whitespace from the block', () => {
    expect(extractCode(`\`\`\`ts\n${TEST_FILE}\n\n   \n\`\`\``)).toBe(`${TEST_FILE}\n`);
  });

  it('handles CRLF line endings', () => {
    const answer = `Here:\r\n\`\`\`ts\r\n${TEST_FILE.replace(/\n/g, '\r\n')}\r\n\`\`\`\r\n`;
    const code = extractCode(answer);
    expect(code).toBeDefined();
    expect(code!.replace(/\r/g, '')).toBe(`${TEST_FILE}\n`);
  });
});

import { describe, expect, it } from '@jest/globals';
import { condenseFailureText } from '../../src/validation/condenseFailureText.js';

/** The shape of jest's message for a babel SyntaxError: the error and its code frame, then ~75 parser frames. */
function babelSyntaxError(): string {
  const frames = Array.from({ length: 80 }, (_, i) => `      at Parser.parse${i} (node_modules/@babel/parser/src/parser/expression.ts:${100 + i}:17)`);
  return [
    '  ● Test suite failed to run',
    '',
    '    SyntaxError: /repo/test/add.test.js: Unexpected token, expected "," (8:17)',
    '',
    '       6 |   });',
    '       7 |',
    '    >  8 |   it("broken" () => {',
    '         |                  ^',
    '       9 |   });',
    '',
    ...frames
  ].join('\n');
}

describe('condenseFailureText', () => {
  it('keeps the SyntaxError line and its code frame of a long babel message, folding the parser frames', () => {
    const message = babelSyntaxError();
    expect(message.length).toBeGreaterThan(6000);
    const out = condenseFailureText(message, 4000);
    expect(out.length).toBeLessThanOrEqual(4000);
    expect(out).toContain('SyntaxError: /repo/test/add.test.js: Unexpected token, expected "," (8:17)');
    expect(out).toContain('>  8 |   it("broken" () => {');
    expect(out).toContain('at Parser.parse0 ');
    expect(out).not.toContain('at Parser.parse10 ');
    expect(out).toMatch(/… 74 more stack frame\(s\)/);
  });

  it('keeps head and tail when the text is long without stack frames', () => {
    const text = ['FIRST: the error', ...Array.from({ length: 2000 }, (_, i) => `line ${i}`), 'LAST: the assertion'].join('\n');
    const out = condenseFailureText(text, 800);
    expect(out.length).toBeLessThanOrEqual(800);
    expect(out.startsWith('FIRST: the error\n')).toBe(true);
    expect(out.endsWith('LAST: the assertion')).toBe(true);
    expect(out).toMatch(/\n… \(\d+ characters cut\) …\n/);
    // Whole lines on both sides of the cut.
    for (const line of out.split('\n')) expect(line).toMatch(/^(FIRST: the error|line \d+|LAST: the assertion|… \(\d+ characters cut\) …)$/);
  });

  it('leaves short text as it is, without colour codes', () => {
    expect(condenseFailureText('\u001b[31mExpected: 3\u001b[39m\nReceived: 4', 4000)).toBe('Expected: 3\nReceived: 4');
  });
});

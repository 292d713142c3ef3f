/**
 * Just enough of a JavaScript/TypeScript lexer for text-level checks that must work without the
 * TypeScript compiler: where strings, template literals and comments begin and end.
 */

/** Index of the quote that closes the string or template literal opened at `start` (a line end closes an unterminated plain string). */
export function skipString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === quote) return i;
    else if (quote === '`' && c === '$' && source[i + 1] === '{') {
      // A template expression can hold nested strings and braces; find its closing brace.
      let depth = 1;
      for (i += 2; i < source.length && depth > 0; i++) {
        const d = source[i]!;
        if (d === '"' || d === "'" || d === '`') i = skipString(source, i);
        else if (d === '{') depth++;
        else if (d === '}') depth--;
      }
      i--;
    } else if (quote !== '`' && c === '\n') return i; // unterminated: stop at the line end
  }
  return source.length - 1;
}

/** The code with comments blanked out (one space each); strings and template literals are kept as they are. */
export function withoutComments(code: string): string {
  let out = '';
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    const next = code[i + 1];
    if (c === '/' && next === '/') {
      const end = code.indexOf('\n', i);
      i = (end === -1 ? code.length : end) - 1;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end === -1 ? code.length : end + 1;
      out += ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      const end = skipString(code, i);
      out += code.slice(i, end + 1);
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

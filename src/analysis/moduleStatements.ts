import { skipString } from './jsLexer.js';

/**
 * Splits a JavaScript/TypeScript module into its top-level statements, well enough to tell
 * declarations from code: strings, template literals and comments are skipped, brackets are
 * balanced, and a statement ends at `;` or at a line break before a new statement keyword.
 */
export function topLevelStatements(source: string): string[] {
  const statements: string[] = [];
  let current = '';
  let depth = 0;
  const flush = (): void => {
    const text = current.replace(/\s+/g, ' ').trim();
    if (text !== '' && text !== ';') statements.push(text);
    current = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = (end === -1 ? source.length : end) - 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 1;
      current += ' ';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(source, i);
      current += source.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth = Math.max(0, depth - 1);
    if (depth === 0 && c === ';') {
      flush();
      continue;
    }
    current += c;
    if (depth === 0 && c === '\n' && STATEMENT_START.test(source.slice(i + 1))) flush();
  }
  flush();
  return statements;
}

const STATEMENT_START =
  /^\s*(import|export|const|let|var|function|async|class|abstract|interface|type|declare|enum|namespace|module|@|if|for|while|switch|try|do|return|throw)\b/;

/** Statements that produce no runtime behaviour of their own. */
const NOT_CODE = [
  /^import\b(?!\s*\()/, // imports (not dynamic import() calls)
  /^export\s*\*/, // export * from / export * as ns from
  /^export\s+(type\s+)?\{[^}]*\}(\s*from\b.*)?$/, // export { a, b } [from '...']
  /^(export\s+)?(default\s+)?(declare\s+)?(interface|type)\s+[\w$]/, // interfaces and type aliases
  /^(export\s+)?declare\s/, // ambient declarations
  /^['"]use strict['"]$/
];

/** True when the module has statements beyond imports, re-exports, types and comments. */
export function hasOwnCode(source: string): boolean {
  return topLevelStatements(source).some((s) => !NOT_CODE.some((re) => re.test(s)));
}

import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';

/** Recognising jest/vitest calls: tests, describe blocks and hooks, with their modifiers, tables and titles. */

const TEST_FUNCTIONS = new Set(['it', 'test', 'fit', 'xit', 'xtest']);
export const DESCRIBE_FUNCTIONS = new Set(['describe', 'fdescribe', 'xdescribe', 'suite']);
const HOOK_FUNCTIONS = new Set(['beforeEach', 'afterEach', 'beforeAll', 'afterAll']);
const MODIFIERS = new Set(['only', 'skip', 'todo', 'concurrent', 'sequential', 'shuffle', 'failing', 'fails', 'each', 'for', 'runIf', 'skipIf']);
/** Modifiers that take arguments first and return the test function. */
const PARAMETRIC = new Set(['each', 'for', 'runIf', 'skipIf']);
export interface TestCall {
  role: 'test' | 'describe' | 'hook';
  callee: string;
  modifiers: string[];
  title?: ts.Expression;
  callback?: ts.ArrowFunction | ts.FunctionExpression;
  /** `.each`/`.for` table arguments (or the tagged template). */
  table: ts.Node[];
}

/** Recognizes `it(...)`, `test.skip(...)`, `it.each(table)(...)`, `describe.each\`...\`(...)`, hooks. */
export function classifyCall(api: TypeScriptApi, call: ts.CallExpression): TestCall | undefined {
  let callee: ts.Expression = call.expression;
  let table: ts.Node[] = [];
  let parametric = false;
  if (api.isCallExpression(callee)) {
    table = [...callee.arguments];
    callee = callee.expression;
    parametric = true;
  } else if (api.isTaggedTemplateExpression(callee)) {
    table = [callee.template];
    callee = callee.tag;
    parametric = true;
  }
  const modifiers: string[] = [];
  while (api.isPropertyAccessExpression(callee)) {
    modifiers.unshift(callee.name.text);
    callee = callee.expression;
  }
  if (!api.isIdentifier(callee)) return undefined;
  const root = callee.text;
  const role = TEST_FUNCTIONS.has(root) ? 'test' : DESCRIBE_FUNCTIONS.has(root) ? 'describe' : HOOK_FUNCTIONS.has(root) ? 'hook' : undefined;
  if (!role) return undefined;
  if (role === 'hook') return modifiers.length === 0 && !parametric ? { role, callee: root, modifiers, table } : undefined;
  if (!modifiers.every((m) => MODIFIERS.has(m))) return undefined;
  const last = modifiers[modifiers.length - 1];
  if (parametric !== (last !== undefined && PARAMETRIC.has(last))) return undefined;
  if (modifiers.slice(0, -1).some((m) => PARAMETRIC.has(m))) return undefined;
  const [title, ...rest] = call.arguments;
  const callback = rest.find((a): a is ts.ArrowFunction | ts.FunctionExpression => api.isArrowFunction(a) || api.isFunctionExpression(a));
  // runIf/skipIf take a condition, not data: it is no table.
  const data = last === 'each' || last === 'for' ? table : [];
  return { role, callee: [root, ...modifiers].join('.'), modifiers, ...(title ? { title } : {}), ...(callback ? { callback } : {}), table: data };
}

/** A title's text as written and a matcher for the titles the runner can report for it. */
export function titleOf(api: TypeScriptApi, sourceFile: ts.SourceFile, call: TestCall): { text: string; isPattern: boolean; matcher: RegExp } {
  const formatted = call.modifiers.includes('each') || call.modifiers.includes('for');
  const node = call.title;
  let parts: Array<string | null>;
  let text: string;
  if (!node) {
    parts = [''];
    text = '';
  } else if (api.isStringLiteral(node) || api.isNoSubstitutionTemplateLiteral(node)) {
    parts = [node.text];
    text = node.text;
  } else if (api.isTemplateExpression(node)) {
    parts = [node.head.text];
    text = node.head.text;
    for (const span of node.templateSpans) {
      parts.push(null, span.literal.text);
      text += `\${${span.expression.getText(sourceFile)}}${span.literal.text}`;
    }
  } else {
    // describe(SomeClass, ...) is titled with the class's name; other expressions are unknown.
    text = node.getText(sourceFile);
    parts = api.isIdentifier(node) && DESCRIBE_FUNCTIONS.has(call.callee.split('.')[0]!) ? [text] : [null];
  }
  const isPattern = formatted || parts.some((p) => p === null) || (node !== undefined && !api.isStringLiteralLike(node) && !api.isTemplateExpression(node));
  const source = parts.map((p) => (p === null ? '.*' : formatted ? formatPattern(p) : escapeRegExp(p))).join('');
  const matcher = new RegExp(`^${source}$`, 's');
  return { text, isPattern, matcher };
}

/** `.each` titles: printf placeholders (`%s`, `%#`, ...) and `$name.path` stand for any text. */
function formatPattern(title: string): string {
  let out = '';
  for (let i = 0; i < title.length; i++) {
    const c = title[i]!;
    const next = title[i + 1];
    if (c === '%' && next === '%') {
      out += '%';
      i++;
    } else if (c === '%' && next !== undefined && 'psdifjo#$'.includes(next)) {
      out += '.*';
      i++;
    } else if (c === '$' && next !== undefined && /[A-Za-z_$0-9]/.test(next)) {
      const match = /^\$[A-Za-z_$0-9]+(\.[A-Za-z_$0-9]+)*/.exec(title.slice(i))!;
      out += '.*';
      i += match[0].length - 1;
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

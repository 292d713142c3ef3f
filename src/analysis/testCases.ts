import type ts from 'typescript';
import { canonicalCaseText } from './duplicateTests.js';
import type { TypeScriptApi } from './loadTypeScript.js';
import { lineSpan, parseSource, syntaxErrors } from './parseSource.js';

/** One `it`/`test` call of a jest or vitest test file. */
export interface TestCase {
  /**
   * The title as written: a string's text; a template literal's text with its `${…}` kept; an
   * `.each`/`.for` title with its `%s`/`$name` placeholders; any other expression as source.
   */
  title: string;
  /** Enclosing describe titles, outermost first, written the same way. */
  ancestors: string[];
  /** Ancestors and title joined by spaces, as the runners name a test. */
  fullTitle: string;
  /** The call as written up to its arguments: `it`, `test.skip`, `it.each`, `test.concurrent.each`. */
  callee: string;
  /** The title the runner reports differs from `title`: placeholders, `${…}`, or a non-literal title. */
  titleIsPattern: boolean;
  /**
   * Declared once, run several times: an `.each`/`.for` table, or a call inside a loop or a helper
   * function. Removing it removes every run.
   */
  repeated: boolean;
  /** `xit`, `.skip`, `.todo`, `.skipIf`, or inside a skipped describe. */
  skipped: boolean;
  /** 1-based lines of the call's statement. */
  startLine: number;
  endLine: number;
  /** See parseTestFile for what counts as an assertion. */
  hasAssertion: boolean;
  /** The body in canonical form (see canonicalCaseText); undefined when the call has no function (`it.todo`). */
  canonicalBody?: string;
}

export interface DescribeBlock {
  title: string;
  ancestors: string[];
  startLine: number;
  endLine: number;
}

export interface ParsedTestFile {
  /** The path given to parseTestFile (names the file in duplicate reports). */
  file: string;
  cases: TestCase[];
  describes: DescribeBlock[];
}

/**
 * A test case as a runner reports it; TestCaseOutcome from src/validation/TestRunner.ts fits.
 * At least a line or a title is needed.
 */
export interface TestCaseRef {
  /** 1-based line of the test call the runner reported. */
  line?: number;
  /** The test's own title as run (`.each` titles formatted). */
  title?: string;
  /** Enclosing describe titles as run, outermost first. */
  ancestors?: readonly string[];
  /** The full name (ancestors and title joined by spaces), used when title is not given. */
  name?: string;
}

export interface TestCaseRemoval {
  /** The new file text; the input unchanged when nothing was removed. */
  text: string;
  /** Each ref that was found, with the case it matched (several refs can match one `.each` case). */
  removed: Array<{ ref: TestCaseRef; testCase: TestCase }>;
  /** Refs that matched no case, matched several, or matched a case that cannot be cut out. */
  notRemoved: Array<{ ref: TestCaseRef; reason: string }>;
  /** Test cases left in the file; 0 means the file no longer has a test. */
  remainingCases: number;
}

/** Pruning would have left the file with syntax errors; the file should be handled as if it could not be pruned. */
export class TestPruningError extends Error {
  override readonly name = 'TestPruningError';
}

const TEST_FUNCTIONS = new Set(['it', 'test', 'fit', 'xit', 'xtest']);
const DESCRIBE_FUNCTIONS = new Set(['describe', 'fdescribe', 'xdescribe', 'suite']);
const HOOK_FUNCTIONS = new Set(['beforeEach', 'afterEach', 'beforeAll', 'afterAll']);
const MODIFIERS = new Set(['only', 'skip', 'todo', 'concurrent', 'sequential', 'shuffle', 'failing', 'fails', 'each', 'for', 'runIf', 'skipIf']);
/** Modifiers that take arguments first and return the test function. */
const PARAMETRIC = new Set(['each', 'for', 'runIf', 'skipIf']);
const ASSERTING_ROOTS = new Set(['expect', 'expectTypeOf', 'assert', 'assertType', 'should']);
const ASSERTING_NAMES = new Set(['expect', 'assert', 'should']);

interface TestCall {
  role: 'test' | 'describe' | 'hook';
  callee: string;
  modifiers: string[];
  title?: ts.Expression;
  callback?: ts.ArrowFunction | ts.FunctionExpression;
  /** `.each`/`.for` table arguments (or the tagged template). */
  table: ts.Node[];
}

interface CaseRecord {
  testCase: TestCase;
  call: ts.CallExpression;
  /** The statement that is only this call, when there is one to cut out. */
  statement?: ts.ExpressionStatement;
  titleMatcher: RegExp;
  ancestorMatchers: RegExp[];
  describes: DescribeRecord[];
}

interface DescribeRecord {
  block: DescribeBlock;
  call: ts.CallExpression;
  statement?: ts.ExpressionStatement;
  /** Matches the titles the runner can report for this block. */
  matcher: RegExp;
  /** Every case inside, nested blocks' included. */
  cases: CaseRecord[];
}

/**
 * Reads the test cases of a jest or vitest file: `it`/`test` (with `fit`, `xit`, `xtest`,
 * `.only`, `.skip`, `.todo`, `.concurrent`, `.failing`, `.each` tables and tagged templates,
 * vitest's `.for`, `.runIf`, `.skipIf`) inside `describe`/`suite` blocks (same modifiers).
 *
 * A case has an assertion when its function (nested callbacks included, hooks not) calls:
 * `expect`, `expectTypeOf`, `assert`, `assertType` or `should`, or anything reached through
 * them (`expect.assertions(n)`, `assert.equal`); a call chain that passes through a member
 * named `expect`, `assert` or `should` (`chai.expect(x)`, `sinon.assert.calledOnce(spy)`,
 * `x.should.equal(1)`); a method named `to` + capital letter (`.toBe`, `.toEqual`, `.toThrow`);
 * or a function declared in the same file (`function check()`, `const check = () => ...`) that
 * does one of these itself, directly or through another such function.
 */
export function parseTestFile(api: TypeScriptApi, filePath: string, text: string): ParsedTestFile {
  const sourceFile = parseSource(api, filePath, text);
  const { cases, describes } = collectTests(api, sourceFile);
  return { file: filePath, cases: cases.map((c) => c.testCase), describes: describes.map((d) => d.block) };
}

/**
 * Cuts test cases out of a test file: each ref is matched to a case by the reported line (a
 * line inside the case's statement, when the title, if given, fits) or else by its title and
 * describe titles (`.each` placeholders and `${…}` match any text; a unique exact match wins over
 * pattern matches). Each matched call statement is removed with the comment lines directly above
 * it; a describe block left without cases is removed whole; imports and top-level helper
 * functions that only the removed code used are removed too, so `noUnusedLocals` setups still
 * compile. Hooks and everything else stay. Removing a `.each` case removes all its rows.
 *
 * Throws TestPruningError when the result would have more syntax errors than the input.
 */
export function removeTestCases(api: TypeScriptApi, filePath: string, text: string, casesToRemove: readonly TestCaseRef[]): TestCaseRemoval {
  const sourceFile = parseSource(api, filePath, text);
  const { cases } = collectTests(api, sourceFile);
  const removed: TestCaseRemoval['removed'] = [];
  const notRemoved: TestCaseRemoval['notRemoved'] = [];
  const toRemove = new Set<CaseRecord>();

  for (const ref of casesToRemove) {
    const match = findCase(cases, ref);
    if (typeof match === 'string') {
      notRemoved.push({ ref, reason: match });
    } else if (!match.statement && !removableThroughDescribe(match)) {
      notRemoved.push({ ref, reason: `the test call at line ${match.testCase.startLine} is part of a larger expression and cannot be cut out on its own` });
    } else {
      toRemove.add(match);
      removed.push({ ref, testCase: match.testCase });
    }
  }
  if (toRemove.size === 0) return { text, removed, notRemoved, remainingCases: cases.length };

  const cuts: Array<{ node: ts.Statement }> = [];
  const cutDescribes = new Set<DescribeRecord>();
  for (const record of toRemove) {
    // The outermost describe that no longer holds any case goes instead of the case.
    let outermostEmpty: DescribeRecord | undefined;
    for (const describe of record.describes) {
      if (describe.statement && describe.cases.every((c) => toRemove.has(c))) {
        outermostEmpty = describe;
        break;
      }
    }
    if (outermostEmpty) cutDescribes.add(outermostEmpty);
    else cuts.push({ node: record.statement! });
  }
  for (const describe of cutDescribes) cuts.push({ node: describe.statement! });
  const inside = (node: ts.Node, container: ts.Node): boolean => node !== container && node.getStart(sourceFile) >= container.getStart(sourceFile) && node.getEnd() <= container.getEnd();
  const outermostCuts = cuts.filter((cut) => !cuts.some((other) => inside(cut.node, other.node)));

  let pruned = applyEdits(text, outermostCuts.map((cut) => statementRemoval(api, sourceFile, cut.node)));
  pruned = removeNewlyUnused(api, filePath, text, pruned);

  if (syntaxErrors(api, filePath, pruned).length > syntaxErrors(api, filePath, text).length) {
    throw new TestPruningError(
      `Removing ${removed.length} test case(s) from ${filePath} would leave it with syntax errors; the file was left as it is. Please report this with the file attached.`
    );
  }
  const remainingCases = collectTests(api, parseSource(api, filePath, pruned)).cases.length;
  return { text: pruned, removed, notRemoved, remainingCases };
}

/** A case whose call is the whole body of an arrow describe callback goes with that describe. */
function removableThroughDescribe(record: CaseRecord): boolean {
  const innermost = record.describes[record.describes.length - 1];
  return innermost !== undefined && innermost.statement !== undefined && innermost.cases.length === 1;
}

function findCase(cases: readonly CaseRecord[], ref: TestCaseRef): CaseRecord | string {
  const fits = (record: CaseRecord): boolean => titleFits(record, ref);
  if (ref.line !== undefined) {
    const atLine = cases.filter((c) => ref.line! >= c.testCase.startLine && ref.line! <= c.testCase.endLine);
    const fitting = atLine.filter(fits);
    if (fitting.length === 1) return fitting[0]!;
  }
  if (ref.title === undefined && ref.name === undefined) return `no test case at line ${ref.line ?? '?'}`;
  const byTitle = cases.filter(fits);
  if (byTitle.length === 1) return byTitle[0]!;
  const exact = byTitle.filter((c) => !c.testCase.titleIsPattern);
  if (exact.length === 1) return exact[0]!;
  const label = ref.name ?? ref.title;
  return byTitle.length === 0 ? `no test case titled "${label}"` : `${byTitle.length} test cases could be "${label}"`;
}

function titleFits(record: CaseRecord, ref: TestCaseRef): boolean {
  if (ref.title !== undefined) {
    if (!record.titleMatcher.test(ref.title)) return false;
    if (!ref.ancestors) return true;
    return ref.ancestors.length === record.ancestorMatchers.length && ref.ancestors.every((a, i) => record.ancestorMatchers[i]!.test(a));
  }
  if (ref.name !== undefined) {
    const full = [...record.ancestorMatchers, record.titleMatcher].map((m) => m.source.slice(1, -1)).join(' ');
    return new RegExp(`^${full}$`, 's').test(ref.name);
  }
  return true;
}

function collectTests(api: TypeScriptApi, sourceFile: ts.SourceFile): { cases: CaseRecord[]; describes: DescribeRecord[] } {
  const cases: CaseRecord[] = [];
  const describes: DescribeRecord[] = [];
  const asserting = assertingFunctions(api, sourceFile);

  const visit = (node: ts.Node, scope: { describes: DescribeRecord[]; repeated: boolean; skipped: boolean }): void => {
    if (api.isCallExpression(node)) {
      const call = classifyCall(api, node);
      if (call?.role === 'hook') return;
      if (call?.role === 'test' || call?.role === 'describe') {
        const title = titleOf(api, sourceFile, call);
        const ancestors = scope.describes.map((d) => d.block.title);
        const statement = api.isExpressionStatement(node.parent) ? node.parent : undefined;
        const { startLine, endLine } = lineSpan(sourceFile, statement ?? node);
        const skipped = scope.skipped || call.callee.startsWith('x') || call.modifiers.some((m) => m === 'skip' || m === 'todo' || m === 'skipIf');
        const repeated = scope.repeated || call.modifiers.includes('each') || call.modifiers.includes('for');
        if (call.role === 'describe') {
          const record: DescribeRecord = { block: { title: title.text, ancestors, startLine, endLine }, call: node, statement, matcher: title.matcher, cases: [] };
          describes.push(record);
          for (const part of call.table) visit(part, scope);
          if (call.callback) visit(call.callback.body, { describes: [...scope.describes, record], repeated, skipped });
          return;
        }
        const testCase: TestCase = {
          title: title.text,
          ancestors,
          fullTitle: [...ancestors, title.text].join(' '),
          callee: call.callee,
          titleIsPattern: title.isPattern,
          repeated,
          skipped,
          startLine,
          endLine,
          hasAssertion: call.callback !== undefined && containsAssertion(api, call.callback.body, asserting),
          ...(call.callback ? { canonicalBody: canonicalCaseText(api, sourceFile, call.callback, call.table) } : {})
        };
        const record: CaseRecord = {
          testCase,
          call: node,
          statement,
          titleMatcher: title.matcher,
          ancestorMatchers: scope.describes.map((d) => d.matcher),
          describes: scope.describes
        };
        cases.push(record);
        for (const describe of scope.describes) describe.cases.push(record);
        return;
      }
    }
    const loopsOrHelpers =
      api.isForStatement(node) ||
      api.isForOfStatement(node) ||
      api.isForInStatement(node) ||
      api.isWhileStatement(node) ||
      api.isDoStatement(node) ||
      api.isFunctionDeclaration(node) ||
      api.isFunctionExpression(node) ||
      api.isArrowFunction(node) ||
      api.isMethodDeclaration(node);
    api.forEachChild(node, (child) => visit(child, loopsOrHelpers ? { ...scope, repeated: true } : scope));
  };
  visit(sourceFile, { describes: [], repeated: false, skipped: false });
  return { cases, describes };
}

/** Recognizes `it(...)`, `test.skip(...)`, `it.each(table)(...)`, `describe.each\`...\`(...)`, hooks. */
function classifyCall(api: TypeScriptApi, call: ts.CallExpression): TestCall | undefined {
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
function titleOf(api: TypeScriptApi, sourceFile: ts.SourceFile, call: TestCall): { text: string; isPattern: boolean; matcher: RegExp } {
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

/** Names of the file's functions that assert, directly or through one another. */
function assertingFunctions(api: TypeScriptApi, sourceFile: ts.SourceFile): Set<string> {
  const bodies = new Map<string, ts.Node[]>();
  const visit = (node: ts.Node): void => {
    if (api.isFunctionDeclaration(node) && node.name && node.body) {
      bodies.set(node.name.text, [...(bodies.get(node.name.text) ?? []), node.body]);
    } else if (api.isVariableDeclaration(node) && api.isIdentifier(node.name) && node.initializer && (api.isArrowFunction(node.initializer) || api.isFunctionExpression(node.initializer))) {
      bodies.set(node.name.text, [...(bodies.get(node.name.text) ?? []), node.initializer.body]);
    }
    api.forEachChild(node, visit);
  };
  visit(sourceFile);
  const asserting = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, nodes] of bodies) {
      if (!asserting.has(name) && nodes.some((body) => containsAssertion(api, body, asserting))) {
        asserting.add(name);
        changed = true;
      }
    }
  }
  return asserting;
}

function containsAssertion(api: TypeScriptApi, body: ts.Node, asserting: ReadonlySet<string>): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (api.isCallExpression(node) && isAssertionCall(api, node, asserting)) {
      found = true;
      return;
    }
    if (api.isCallExpression(node) && classifyCall(api, node)?.role === 'hook') return;
    api.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

function isAssertionCall(api: TypeScriptApi, call: ts.CallExpression, asserting: ReadonlySet<string>): boolean {
  const names: string[] = [];
  let current: ts.Expression = call.expression;
  for (;;) {
    if (api.isPropertyAccessExpression(current)) {
      names.unshift(current.name.text);
      current = current.expression;
    } else if (api.isCallExpression(current) || api.isElementAccessExpression(current) || api.isNonNullExpression(current) || api.isParenthesizedExpression(current)) {
      current = current.expression;
    } else if (api.isAwaitExpression(current)) {
      current = current.expression;
    } else {
      break;
    }
  }
  if (api.isIdentifier(current)) {
    if (names.length === 0 && asserting.has(current.text)) return true;
    if (ASSERTING_ROOTS.has(current.text)) return true;
  }
  const last = names[names.length - 1];
  return names.some((n) => ASSERTING_NAMES.has(n)) || (last !== undefined && /^to[A-Z]/.test(last));
}

/** The text range a statement's removal takes: whole lines where it stands alone, its comments above included. */
function statementRemoval(api: TypeScriptApi, sourceFile: ts.SourceFile, statement: ts.Statement): { start: number; end: number; replacement: string } {
  const text = sourceFile.text;
  const parent = statement.parent;
  const inList = api.isBlock(parent) || api.isSourceFile(parent) || api.isModuleBlock(parent) || api.isCaseClause(parent) || api.isDefaultClause(parent);
  // `if (x) it(...)` needs a statement where the call was.
  if (!inList) return { start: statement.getStart(sourceFile), end: statement.getEnd(), replacement: '{}' };

  let start = statement.getStart(sourceFile);
  const comments = api.getLeadingCommentRanges(text, statement.getFullStart()) ?? [];
  for (let i = comments.length - 1; i >= 0; i--) {
    const between = text.slice(comments[i]!.end, start);
    if (/\S/.test(between) || (between.match(/\n/g)?.length ?? 0) > 1) break;
    const lineStart = text.lastIndexOf('\n', comments[i]!.pos - 1) + 1;
    if (/\S/.test(text.slice(lineStart, comments[i]!.pos))) break;
    start = comments[i]!.pos;
  }
  let end = statement.getEnd();
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineEnd = text.indexOf('\n', end);
  const before = text.slice(lineStart, start);
  const after = text.slice(end, lineEnd === -1 ? text.length : lineEnd);
  if (!/\S/.test(before) && !/\S/.test(after)) {
    start = lineStart;
    end = lineEnd === -1 ? text.length : lineEnd + 1;
    // Between two blank lines (or after an opening bracket), take one blank line along, not leave two.
    const previousLine = text.slice(text.lastIndexOf('\n', start - 2) + 1, Math.max(0, start - 1));
    const nextLineEnd = text.indexOf('\n', end);
    const nextLine = nextLineEnd === -1 ? undefined : text.slice(end, nextLineEnd);
    if (nextLine !== undefined && !/\S/.test(nextLine) && (start === 0 || !/\S/.test(previousLine) || /[{(]\s*$/.test(previousLine))) end = nextLineEnd + 1;
  }
  return { start, end, replacement: '' };
}

function applyEdits(text: string, edits: Array<{ start: number; end: number; replacement: string }>): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.replacement + out.slice(edit.end);
  return out;
}

/**
 * Removes imports and top-level helper functions that the original text used and the pruned
 * text no longer does. Ones the original never used are kept: they were there on purpose.
 */
function removeNewlyUnused(api: TypeScriptApi, filePath: string, original: string, pruned: string): string {
  const usedBefore = references(api, parseSource(api, filePath, original));
  let text = pruned;
  for (let round = 0; round < 5; round++) {
    const sourceFile = parseSource(api, filePath, text);
    const used = references(api, sourceFile);
    const dropped = (name: string): boolean => (usedBefore.get(name) ?? 0) > 0 && (used.get(name) ?? 0) === 0;
    const edits: Array<{ start: number; end: number; replacement: string }> = [];
    for (const statement of sourceFile.statements) {
      if (api.isImportDeclaration(statement) && statement.importClause) {
        const edit = importEdit(api, sourceFile, statement, statement.importClause, dropped);
        if (edit) edits.push(edit);
      } else if (api.isFunctionDeclaration(statement) && statement.name && dropped(statement.name.text)) {
        edits.push(statementRemoval(api, sourceFile, statement));
      } else if (api.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
        const declaration = statement.declarationList.declarations[0]!;
        const value = declaration.initializer;
        const isFunction = value !== undefined && (api.isArrowFunction(value) || api.isFunctionExpression(value));
        if (isFunction && api.isIdentifier(declaration.name) && dropped(declaration.name.text)) edits.push(statementRemoval(api, sourceFile, statement));
      }
    }
    if (edits.length === 0) return text;
    text = applyEdits(text, edits);
  }
  return text;
}

function importEdit(
  api: TypeScriptApi,
  sourceFile: ts.SourceFile,
  statement: ts.ImportDeclaration,
  clause: ts.ImportClause,
  dropped: (name: string) => boolean
): { start: number; end: number; replacement: string } | undefined {
  const bindings = clause.namedBindings;
  const defaultGone = clause.name !== undefined && dropped(clause.name.text);
  const keepDefault = clause.name !== undefined && !defaultGone;
  if (bindings && api.isNamespaceImport(bindings)) {
    const namespaceGone = dropped(bindings.name.text);
    if (!defaultGone && !namespaceGone) return undefined;
    if ((!clause.name || defaultGone) && namespaceGone) return statementRemoval(api, sourceFile, statement);
    return rewriteImport(sourceFile, clause, keepDefault ? clause.name!.getText(sourceFile) : undefined, namespaceGone ? undefined : `* as ${bindings.name.text}`);
  }
  const elements = bindings ? bindings.elements : [];
  const keptElements = elements.filter((e) => !dropped(e.name.text));
  if (!defaultGone && keptElements.length === elements.length) return undefined;
  if (!keepDefault && keptElements.length === 0) return statementRemoval(api, sourceFile, statement);
  const named = keptElements.length > 0 ? `{ ${keptElements.map((e) => e.getText(sourceFile)).join(', ')} }` : undefined;
  return rewriteImport(sourceFile, clause, keepDefault ? clause.name!.getText(sourceFile) : undefined, named);
}

function rewriteImport(
  sourceFile: ts.SourceFile,
  clause: ts.ImportClause,
  defaultName: string | undefined,
  bindings: string | undefined
): { start: number; end: number; replacement: string } {
  const typeOnly = clause.isTypeOnly ? 'type ' : '';
  const parts = [defaultName, bindings].filter((p): p is string => p !== undefined).join(', ');
  return { start: clause.getStart(sourceFile), end: clause.getEnd(), replacement: `${typeOnly}${parts}` };
}

/** How often each name is referenced (declarations and property names excluded). */
function references(api: TypeScriptApi, sourceFile: ts.SourceFile): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    if (api.isIdentifier(node) && isReference(api, node)) counts.set(node.text, (counts.get(node.text) ?? 0) + 1);
    api.forEachChild(node, visit);
  };
  visit(sourceFile);
  return counts;
}

function isReference(api: TypeScriptApi, node: ts.Identifier): boolean {
  const parent = node.parent as ts.Node & { name?: ts.Node; propertyName?: ts.Node };
  if (!parent) return true;
  if (api.isShorthandPropertyAssignment(parent)) return true;
  if (api.isExportSpecifier(parent)) return (parent.propertyName ?? parent.name) === node;
  if (api.isQualifiedName(parent)) return parent.left === node;
  return parent.name !== node && parent.propertyName !== node;
}

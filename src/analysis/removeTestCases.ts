import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { type CaseRecord, collectTests, type DescribeRecord } from './parseTestFile.js';
import { parseSource, syntaxErrors } from './parseSource.js';
import { type TestCaseRef, type TestCaseRemoval, TestPruningError } from './testFileModel.js';

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
  const inside = (node: ts.Node, container: ts.Node): boolean =>
    node !== container && node.getStart(sourceFile) >= container.getStart(sourceFile) && node.getEnd() <= container.getEnd();
  const outermostCuts = cuts.filter((cut) => !cuts.some((other) => inside(cut.node, other.node)));

  let pruned = applyEdits(
    text,
    outermostCuts.map((cut) => statementRemoval(api, sourceFile, cut.node))
  );
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
    return rewriteImport(
      sourceFile,
      clause,
      keepDefault ? clause.name!.getText(sourceFile) : undefined,
      namespaceGone ? undefined : `* as ${bindings.name.text}`
    );
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

import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { lineAt } from './parseSource.js';

/**
 * Cyclomatic complexity of a node: 1 plus one per decision point anywhere inside it.
 *
 * Decision points: `if`, `?:`, each `case` (not `default`), `for`, `for…in`, `for…of`, `while`,
 * `do…while`, `catch`, and the short-circuit operators `&&`, `||`, `??` and their assignment
 * forms `&&=`, `||=`, `??=`. Optional chaining (`?.`) and default parameter values are not
 * counted. Functions nested inside the node (callbacks, inner helpers) count toward it: a test of
 * the unit exercises them too. A class counts all of its members.
 */
export function cyclomaticComplexity(api: TypeScriptApi, node: ts.Node): number {
  const k = api.SyntaxKind;
  const branching = new Set<ts.SyntaxKind>([
    k.IfStatement,
    k.ConditionalExpression,
    k.CaseClause,
    k.ForStatement,
    k.ForInStatement,
    k.ForOfStatement,
    k.WhileStatement,
    k.DoStatement,
    k.CatchClause
  ]);
  const shortCircuit = new Set<ts.SyntaxKind>([
    k.AmpersandAmpersandToken,
    k.BarBarToken,
    k.QuestionQuestionToken,
    k.AmpersandAmpersandEqualsToken,
    k.BarBarEqualsToken,
    k.QuestionQuestionEqualsToken
  ]);
  let decisions = 0;
  const visit = (child: ts.Node): void => {
    if (branching.has(child.kind)) decisions++;
    else if (api.isBinaryExpression(child) && shortCircuit.has(child.operatorToken.kind)) decisions++;
    api.forEachChild(child, visit);
  };
  api.forEachChild(node, visit);
  return 1 + decisions;
}

/** The 1-based lines of a file that hold code: at least one token, not only comments or blanks. */
export function codeLines(api: TypeScriptApi, sourceFile: ts.SourceFile): Set<number> {
  const lines = new Set<number>();
  const visit = (node: ts.Node): void => {
    // getChildren lists JSDoc comments as nodes; they are comments all the same.
    if (node.kind >= api.SyntaxKind.FirstJSDocNode && node.kind <= api.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(sourceFile);
    if (children.length > 0) {
      for (const child of children) visit(child);
      return;
    }
    if (node.kind === api.SyntaxKind.EndOfFileToken) return;
    if (api.isJsxText(node) && node.containsOnlyTriviaWhiteSpaces) return;
    const start = node.getStart(sourceFile);
    if (start >= node.getEnd()) return;
    // A token can span lines (template strings, JSX text): every line it covers holds code.
    for (let line = lineAt(sourceFile, start); line <= lineAt(sourceFile, node.getEnd()); line++) lines.add(line);
  };
  visit(sourceFile);
  return lines;
}

export function countLinesIn(lines: ReadonlySet<number>, startLine: number, endLine: number): number {
  let count = 0;
  for (let line = startLine; line <= endLine; line++) if (lines.has(line)) count++;
  return count;
}

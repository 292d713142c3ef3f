import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { canonicalCaseText } from './canonicalCaseText.js';
import { lineSpan, parseSource } from './parseSource.js';
import { assertingFunctions, containsAssertion } from './testAssertions.js';
import { classifyCall, titleOf } from './testCalls.js';
import type { DescribeBlock, ParsedTestFile, TestCase } from './testFileModel.js';

/** A case with what it takes to find and cut it out again (removeTestCases). */
export interface CaseRecord {
  testCase: TestCase;
  call: ts.CallExpression;
  /** The statement that is only this call, when there is one to cut out. */
  statement?: ts.ExpressionStatement;
  titleMatcher: RegExp;
  ancestorMatchers: RegExp[];
  describes: DescribeRecord[];
}

export interface DescribeRecord {
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

export function collectTests(api: TypeScriptApi, sourceFile: ts.SourceFile): { cases: CaseRecord[]; describes: DescribeRecord[] } {
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
          const record: DescribeRecord = {
            block: { title: title.text, ancestors, startLine, endLine },
            call: node,
            statement,
            matcher: title.matcher,
            cases: []
          };
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

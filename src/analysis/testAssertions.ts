import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { classifyCall } from './testCalls.js';

const ASSERTING_ROOTS = new Set(['expect', 'expectTypeOf', 'assert', 'assertType', 'should']);
const ASSERTING_NAMES = new Set(['expect', 'assert', 'should']);

/** Names of the file's functions that assert, directly or through one another. */
export function assertingFunctions(api: TypeScriptApi, sourceFile: ts.SourceFile): Set<string> {
  const bodies = new Map<string, ts.Node[]>();
  const visit = (node: ts.Node): void => {
    if (api.isFunctionDeclaration(node) && node.name && node.body) {
      bodies.set(node.name.text, [...(bodies.get(node.name.text) ?? []), node.body]);
    } else if (
      api.isVariableDeclaration(node) &&
      api.isIdentifier(node.name) &&
      node.initializer &&
      (api.isArrowFunction(node.initializer) || api.isFunctionExpression(node.initializer))
    ) {
      bodies.set(node.name.text, [...(bodies.get(node.name.text) ?? []), node.initializer.body]);
    }
    api.forEachChild(node, visit);
  };
  visit(sourceFile);
  const asserting = new Set<string>();
  for (let changed = true; changed;) {
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

export function containsAssertion(api: TypeScriptApi, body: ts.Node, asserting: ReadonlySet<string>): boolean {
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
    } else if (
      api.isCallExpression(current) ||
      api.isElementAccessExpression(current) ||
      api.isNonNullExpression(current) ||
      api.isParenthesizedExpression(current)
    ) {
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

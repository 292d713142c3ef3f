import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';

/**
 * A test's body in a form where two tests that do the same thing read the same: printed by the
 * compiler's printer without comments (so layout, semicolons and comments do not matter), string
 * and template literals without substitutions as double-quoted strings, numbers by value, and the
 * names the test declares itself (variables, parameters, inner functions) renamed in order of
 * declaration, so `const s = new Stack()` and `const stack = new Stack()` agree. Property names
 * and everything the test did not declare keep their names. For `.each`/`.for` tests the table
 * is part of the text: the same body over other data is not a duplicate. The title is not.
 */
export function canonicalCaseText(
  api: TypeScriptApi,
  sourceFile: ts.SourceFile,
  callback: ts.ArrowFunction | ts.FunctionExpression,
  table: readonly ts.Node[]
): string {
  const renamed = new Map<string, string>();
  const declare = (name: ts.BindingName): void => {
    if (api.isIdentifier(name)) {
      if (!renamed.has(name.text)) renamed.set(name.text, `_${renamed.size + 1}`);
      return;
    }
    for (const element of name.elements) if (!api.isOmittedExpression(element)) declare(element.name);
  };
  const collect = (node: ts.Node): void => {
    if (api.isVariableDeclaration(node) || api.isParameter(node) || api.isBindingElement(node)) declare(node.name);
    else if ((api.isFunctionDeclaration(node) || api.isClassDeclaration(node)) && node.name) declare(node.name);
    api.forEachChild(node, collect);
  };
  for (const parameter of callback.parameters) collect(parameter);
  collect(callback.body);

  const transformer: ts.TransformerFactory<ts.Node> = (context) => {
    const f = context.factory ?? api.factory;
    const visit = (node: ts.Node): ts.Node => {
      if (api.isStringLiteral(node) || api.isNoSubstitutionTemplateLiteral(node)) return f.createStringLiteral(node.text);
      if (api.isNumericLiteral(node)) return f.createNumericLiteral(String(Number(node.text.replace(/_/g, ''))));
      if (api.isIdentifier(node) && renamed.has(node.text) && !isPropertyName(api, node)) return f.createIdentifier(renamed.get(node.text)!);
      return api.visitEachChild(node, visit, context);
    };
    return (root) => api.visitNode(root, visit) as ts.Node;
  };
  const printer = api.createPrinter({ removeComments: true });
  const print = (node: ts.Node): string => {
    const result = api.transform(node, [transformer]);
    const text = printer.printNode(api.EmitHint.Unspecified, result.transformed[0]!, sourceFile);
    result.dispose();
    // Trailing commas survive printing; they do not change what a test does.
    return text.replace(/\s+/g, ' ').replace(/\s*,?\s*([\])}])/g, '$1');
  };
  return [...table.map(print), print(callback.body)].join('\n');
}

/** An identifier naming a property or member rather than a binding. */
function isPropertyName(api: TypeScriptApi, node: ts.Identifier): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (api.isPropertyAccessExpression(parent)) return parent.name === node;
  if (api.isQualifiedName(parent)) return parent.right === node;
  if (api.isBindingElement(parent)) return parent.propertyName === node;
  if (
    api.isPropertyAssignment(parent) ||
    api.isMethodDeclaration(parent) ||
    api.isPropertyDeclaration(parent) ||
    api.isGetAccessorDeclaration(parent) ||
    api.isSetAccessorDeclaration(parent) ||
    api.isPropertySignature(parent) ||
    api.isMethodSignature(parent) ||
    api.isJsxAttribute(parent)
  ) {
    return parent.name === node;
  }
  return false;
}

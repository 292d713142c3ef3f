import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { hasModifier } from './parseSource.js';

export type DeclarationKind = 'function' | 'class' | 'variable' | 'interface' | 'type' | 'enum' | 'namespace';

/** One top-level declaration of a module, with the names the module exports it under. */
export interface ModuleDeclaration {
  /** How to call it: its binding name, else the function's or class's own name, else the export name. */
  name: string;
  /** Its binding in the module scope; undefined for anonymous defaults and CommonJS-only definitions. */
  localName?: string;
  /** Export names ('default' included; `module.exports = x` is 'default'). Empty when not exported. */
  exportNames: string[];
  kind: DeclarationKind;
  /**
   * The declaring node: a function, class, interface, type alias, enum or module declaration; a
   * variable declaration; or, for `export default <expr>` and CommonJS assignments, the expression
   * or object member assigned.
   */
  node: ts.Node;
  /** The top-level statement holding it (its line range, and the `export const` prefix). */
  statement: ts.Statement;
  /** For functions declared with overloads: the overload signatures, implementation excluded. */
  overloads: ts.FunctionDeclaration[];
  /** The value bound: a variable's initializer, a default export, a CommonJS assignment or object method. */
  value?: ts.Expression | ts.MethodDeclaration;
}

export interface ModuleDeclarations {
  declarations: ModuleDeclaration[];
  /** `export { a as b } from './m'` and `export * as ns from './m'` (importName '*'). */
  reexports: Array<{ exportName: string; importName: string; specifier: string }>;
  /** `export * from './m'`. */
  starReexports: string[];
}

/**
 * Reads a module's top-level declarations and how it exports them: ESM (`export` modifiers,
 * `export default`, `export { a as b }`), TypeScript's `export =`, and CommonJS
 * (`module.exports = ...`, `module.exports.x = ...`, `exports.x = ...`).
 */
export function readModuleDeclarations(api: TypeScriptApi, sourceFile: ts.SourceFile): ModuleDeclarations {
  const declarations: ModuleDeclaration[] = [];
  const aliases: Array<{ exportName: string; localName: string }> = [];
  const reexports: ModuleDeclarations['reexports'] = [];
  const starReexports: string[] = [];
  const pendingOverloads = new Map<string, ts.FunctionDeclaration[]>();

  const add = (declaration: Omit<ModuleDeclaration, 'overloads'> & { overloads?: ts.FunctionDeclaration[] }): void => {
    declarations.push({ overloads: [], ...declaration });
  };
  const directExports = (statement: ts.Node, name: string | undefined): string[] => {
    if (!hasModifier(statement, api.SyntaxKind.ExportKeyword)) return [];
    if (hasModifier(statement, api.SyntaxKind.DefaultKeyword)) return ['default'];
    return name ? [name] : [];
  };
  const addAssigned = (statement: ts.Statement, exportName: string, value: ts.Expression | ts.MethodDeclaration): void => {
    const inner = api.isMethodDeclaration(value) ? value : unwrap(api, value);
    if (api.isIdentifier(inner)) {
      aliases.push({ exportName, localName: inner.text });
      return;
    }
    const kind = valueKind(api, inner);
    const ownName = (api.isFunctionExpression(inner) || api.isClassExpression(inner)) && inner.name ? inner.name.text : undefined;
    const name = exportName === 'default' ? (ownName ?? 'default') : exportName;
    add({ name, exportNames: [exportName], kind, node: inner, statement, value: inner });
  };

  for (const statement of sourceFile.statements) {
    if (api.isFunctionDeclaration(statement)) {
      const localName = statement.name?.text;
      if (!statement.body) {
        // An overload signature (or `declare function`): kept for the implementation that follows.
        if (localName) pendingOverloads.set(localName, [...(pendingOverloads.get(localName) ?? []), statement]);
        continue;
      }
      const overloads = localName ? (pendingOverloads.get(localName) ?? []) : [];
      if (localName) pendingOverloads.delete(localName);
      add({
        name: localName ?? 'default',
        localName,
        exportNames: directExports(statement, localName),
        kind: 'function',
        node: statement,
        statement,
        overloads
      });
    } else if (api.isClassDeclaration(statement)) {
      const localName = statement.name?.text;
      add({ name: localName ?? 'default', localName, exportNames: directExports(statement, localName), kind: 'class', node: statement, statement });
    } else if (api.isInterfaceDeclaration(statement) || api.isTypeAliasDeclaration(statement) || api.isEnumDeclaration(statement)) {
      const kind = api.isInterfaceDeclaration(statement) ? 'interface' : api.isTypeAliasDeclaration(statement) ? 'type' : 'enum';
      const localName = statement.name.text;
      add({ name: localName, localName, exportNames: directExports(statement, localName), kind, node: statement, statement });
    } else if (api.isModuleDeclaration(statement) && api.isIdentifier(statement.name)) {
      const localName = statement.name.text;
      add({ name: localName, localName, exportNames: directExports(statement, localName), kind: 'namespace', node: statement, statement });
    } else if (api.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (!api.isIdentifier(declaration.name)) continue;
        const localName = declaration.name.text;
        const value = declaration.initializer ? unwrap(api, declaration.initializer) : undefined;
        add({ name: localName, localName, exportNames: directExports(statement, localName), kind: 'variable', node: declaration, statement, value });
      }
    } else if (api.isExportAssignment(statement)) {
      // `export default <expr>`, and TypeScript's `export = <expr>` (the CommonJS module value).
      addAssigned(statement, 'default', statement.expression);
    } else if (api.isExportDeclaration(statement)) {
      const specifier = statement.moduleSpecifier && api.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
      const clause = statement.exportClause;
      if (!clause) {
        if (specifier) starReexports.push(specifier);
      } else if (api.isNamespaceExport(clause)) {
        if (specifier) reexports.push({ exportName: clause.name.text, importName: '*', specifier });
      } else {
        for (const element of clause.elements) {
          const importName = (element.propertyName ?? element.name).text;
          if (specifier) reexports.push({ exportName: element.name.text, importName, specifier });
          else aliases.push({ exportName: element.name.text, localName: importName });
        }
      }
    } else if (api.isExpressionStatement(statement)) {
      readCommonJsExport(api, statement, addAssigned, aliases);
    }
  }

  for (const { exportName, localName } of aliases) {
    for (const declaration of declarations) {
      if (declaration.localName === localName && !declaration.exportNames.includes(exportName)) declaration.exportNames.push(exportName);
    }
  }
  return { declarations, reexports, starReexports };
}

function readCommonJsExport(
  api: TypeScriptApi,
  statement: ts.ExpressionStatement,
  addAssigned: (statement: ts.Statement, exportName: string, value: ts.Expression | ts.MethodDeclaration) => void,
  aliases: Array<{ exportName: string; localName: string }>
): void {
  const expression = statement.expression;
  if (!api.isBinaryExpression(expression) || expression.operatorToken.kind !== api.SyntaxKind.EqualsToken) return;
  const target = commonJsTarget(api, expression.left);
  if (target === undefined) return;
  const value = unwrap(api, expression.right);
  if (target !== 'default' || !api.isObjectLiteralExpression(value)) {
    addAssigned(statement, target, value);
    return;
  }
  // `module.exports = { a, b: helper, c() {} }`: the object is the module, its members are the exports.
  for (const property of value.properties) {
    if (api.isShorthandPropertyAssignment(property)) {
      aliases.push({ exportName: property.name.text, localName: property.name.text });
    } else if (api.isPropertyAssignment(property) && propertyKey(api, property.name) !== undefined) {
      addAssigned(statement, propertyKey(api, property.name)!, property.initializer);
    } else if (api.isMethodDeclaration(property) && propertyKey(api, property.name) !== undefined) {
      addAssigned(statement, propertyKey(api, property.name)!, property);
    }
  }
}

/** 'default' for `module.exports`, the name for `exports.x` / `module.exports.x`, else undefined. */
function commonJsTarget(api: TypeScriptApi, left: ts.Expression): string | undefined {
  const isModuleExports = (e: ts.Expression): boolean =>
    api.isPropertyAccessExpression(e) && api.isIdentifier(e.expression) && e.expression.text === 'module' && e.name.text === 'exports';
  if (isModuleExports(left)) return 'default';
  if (api.isPropertyAccessExpression(left)) {
    const owner = left.expression;
    if ((api.isIdentifier(owner) && owner.text === 'exports') || isModuleExports(owner)) return left.name.text;
  }
  if (api.isElementAccessExpression(left) && api.isStringLiteral(left.argumentExpression)) {
    const owner = left.expression;
    if ((api.isIdentifier(owner) && owner.text === 'exports') || isModuleExports(owner)) return left.argumentExpression.text;
  }
  return undefined;
}

export function propertyKey(api: TypeScriptApi, name: ts.PropertyName): string | undefined {
  if (api.isIdentifier(name) || api.isStringLiteral(name) || api.isNumericLiteral(name) || api.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/** Strips parentheses and type-only wrappers (`as`, `!`, `<T>x`, `satisfies`) around a value. */
export function unwrap(api: TypeScriptApi, expression: ts.Expression): ts.Expression {
  let current = expression;
  for (;;) {
    if (api.isParenthesizedExpression(current) || api.isAsExpression(current) || api.isNonNullExpression(current) || api.isTypeAssertionExpression(current)) {
      current = current.expression;
    } else if (current.kind === api.SyntaxKind.SatisfiesExpression && 'expression' in current) {
      // SatisfiesExpression arrived in 4.9; matched by kind so older compilers need not know it.
      current = (current as ts.Expression & { expression: ts.Expression }).expression;
    } else {
      return current;
    }
  }
}

/** A function-like value: arrow function, function expression, or an object's method. */
export function isFunctionValue(api: TypeScriptApi, node: ts.Node): node is ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration {
  return api.isArrowFunction(node) || api.isFunctionExpression(node) || api.isMethodDeclaration(node);
}

function valueKind(api: TypeScriptApi, value: ts.Node): DeclarationKind {
  if (isFunctionValue(api, value)) return 'function';
  if (api.isClassExpression(value)) return 'class';
  return 'variable';
}

import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';
import { isFunctionValue, propertyKey, unwrap, type ModuleDeclaration } from './moduleDeclarations.js';
import { hasModifier, oneLine } from './parseSource.js';

/** Longest initializer or type body shown as written; longer ones are elided. */
const SHORT_TEXT = 80;
/** Longest interface, type alias or enum shown as written. */
const LONG_TEXT = 1200;

/** The text of `owner` from its first token up to where `body` starts, on one line. */
export function headerBefore(sourceFile: ts.SourceFile, owner: ts.Node, body: ts.Node): string {
  const start = owner.getStart(sourceFile);
  const end = body === owner ? owner.getEnd() : body.getStart(sourceFile);
  return oneLine(sourceFile.text.slice(start, end));
}

export function openBrace(api: TypeScriptApi, sourceFile: ts.SourceFile, owner: ts.Node): ts.Node {
  return owner.getChildren(sourceFile).find((child) => child.kind === api.SyntaxKind.OpenBraceToken) ?? owner;
}

/** A member is reachable from outside its class unless `private`, `protected` or `#private`. */
export function isPublicMember(api: TypeScriptApi, member: ts.ClassElement): boolean {
  return !(
    hasModifier(member, api.SyntaxKind.PrivateKeyword) ||
    hasModifier(member, api.SyntaxKind.ProtectedKeyword) ||
    (member.name !== undefined && api.isPrivateIdentifier(member.name))
  );
}

/**
 * A declaration as a reader of its API needs it, without bodies: functions as their signature
 * (overloads one per line), classes and object literals as their public members' signatures,
 * interfaces, type aliases and enums as written (long ones cut), variables with their type or
 * a short initializer.
 */
export function renderDeclaration(api: TypeScriptApi, sourceFile: ts.SourceFile, declaration: ModuleDeclaration): string {
  const { node, statement, overloads, value } = declaration;
  if (api.isFunctionDeclaration(node)) {
    if (overloads.length > 0) return overloads.map((o) => oneLine(o.getText(sourceFile)).replace(/;$/, '')).join('\n');
    return node.body ? headerBefore(sourceFile, node, node.body) : oneLine(node.getText(sourceFile)).replace(/;$/, '');
  }
  if (api.isClassDeclaration(node)) return renderClass(api, sourceFile, node, node);
  if (api.isInterfaceDeclaration(node) || api.isTypeAliasDeclaration(node) || api.isEnumDeclaration(node)) {
    return cut(node.getText(sourceFile), LONG_TEXT);
  }
  if (api.isModuleDeclaration(node)) return `${headerBefore(sourceFile, node, node.body ?? node)}{ … }`;

  const owner = api.isVariableDeclaration(node) ? statement : valueOwner(api, declaration);
  if (value && isFunctionValue(api, value) && value.body) {
    return headerBefore(sourceFile, owner, value.body);
  }
  if (value && api.isClassExpression(value)) return renderClass(api, sourceFile, value, owner);
  if (!api.isVariableDeclaration(node)) return cut(oneLine(owner.getText(sourceFile)), SHORT_TEXT);

  const prefix = `${hasModifier(statement, api.SyntaxKind.ExportKeyword) ? 'export ' : ''}${declarationKeyword(api, node)} ${node.name.getText(sourceFile)}`;
  if (value && api.isObjectLiteralExpression(value) && !node.type) return `${prefix} = ${renderObject(api, sourceFile, value)}`;
  if (node.type) return `${prefix}: ${cut(oneLine(node.type.getText(sourceFile)), LONG_TEXT)}`;
  if (!node.initializer) return prefix;
  const initializer = oneLine(node.initializer.getText(sourceFile));
  return `${prefix} = ${initializer.length <= SHORT_TEXT ? initializer : '…'}`;
}

/**
 * What a value-bound declaration's text starts with: its variable statement (or the declaration
 * alone when the statement declares several), the property or method of a CommonJS
 * `module.exports = { ... }` object, else the whole assigning statement.
 */
export function valueOwner(api: TypeScriptApi, declaration: ModuleDeclaration): ts.Node {
  const { node, statement } = declaration;
  if (api.isVariableDeclaration(node)) {
    return api.isVariableStatement(statement) && statement.declarationList.declarations.length === 1 ? statement : node;
  }
  if (api.isMethodDeclaration(node)) return node;
  for (let owner = node.parent; owner && owner !== statement; owner = owner.parent) {
    if (api.isPropertyAssignment(owner)) return owner;
  }
  return statement;
}

function declarationKeyword(api: TypeScriptApi, node: ts.VariableDeclaration): string {
  const flags = node.parent.flags;
  if (flags & api.NodeFlags.Const) return 'const';
  if (flags & api.NodeFlags.Let) return 'let';
  return 'var';
}

function renderClass(api: TypeScriptApi, sourceFile: ts.SourceFile, classNode: ts.ClassLikeDeclaration, owner: ts.Node): string {
  const lines = [`${headerBefore(sourceFile, owner, openBrace(api, sourceFile, classNode))} {`];
  for (const member of classNode.members) {
    if (!isPublicMember(api, member)) continue;
    const line = renderMember(api, sourceFile, member);
    if (line) lines.push(`  ${line};`);
  }
  lines.push('}');
  return lines.join('\n');
}

function renderMember(api: TypeScriptApi, sourceFile: ts.SourceFile, member: ts.ClassElement): string | undefined {
  if (api.isPropertyDeclaration(member)) {
    const value = member.initializer ? unwrap(api, member.initializer) : undefined;
    if (value && isFunctionValue(api, value) && value.body) return headerBefore(sourceFile, member, value.body);
    if (member.type) return oneLine(sourceFile.text.slice(member.getStart(sourceFile), member.type.getEnd()));
    const text = oneLine(member.getText(sourceFile)).replace(/;$/, '');
    return text.length <= SHORT_TEXT ? text : headerBefore(sourceFile, member, member.initializer ?? member).replace(/ ?=$/, '');
  }
  const body = (member as { body?: ts.Node }).body;
  if (api.isMethodDeclaration(member) || api.isConstructorDeclaration(member) || api.isGetAccessorDeclaration(member) || api.isSetAccessorDeclaration(member)) {
    return body ? headerBefore(sourceFile, member, body) : oneLine(member.getText(sourceFile)).replace(/;$/, '');
  }
  if (api.isIndexSignatureDeclaration(member)) return oneLine(member.getText(sourceFile)).replace(/;$/, '');
  return undefined;
}

function renderObject(api: TypeScriptApi, sourceFile: ts.SourceFile, object: ts.ObjectLiteralExpression): string {
  const parts: string[] = [];
  for (const property of object.properties) {
    if (api.isMethodDeclaration(property) || api.isGetAccessorDeclaration(property) || api.isSetAccessorDeclaration(property)) {
      parts.push(property.body ? headerBefore(sourceFile, property, property.body) : oneLine(property.getText(sourceFile)));
    } else if (api.isPropertyAssignment(property)) {
      const value = unwrap(api, property.initializer);
      if (isFunctionValue(api, value) && value.body) parts.push(headerBefore(sourceFile, property, value.body));
      else {
        const text = oneLine(property.getText(sourceFile));
        parts.push(text.length <= SHORT_TEXT ? text : `${propertyKey(api, property.name) ?? property.name.getText(sourceFile)}: …`);
      }
    } else {
      parts.push(oneLine(property.getText(sourceFile)));
    }
  }
  return parts.length === 0 ? '{}' : `{\n${parts.map((p) => `  ${p},`).join('\n')}\n}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

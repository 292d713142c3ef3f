import type ts from 'typescript';
import { codeLines, countLinesIn, cyclomaticComplexity } from './codeMetrics.js';
import type { TypeScriptApi } from './loadTypeScript.js';
import { isFunctionValue, propertyKey, readModuleDeclarations, unwrap } from './moduleDeclarations.js';
import { lineSpan, nameText, parseSource } from './parseSource.js';
import { headerBefore, isPublicMember, openBrace, renderDeclaration, valueOwner } from './signatures.js';

export type CodeUnitKind = 'function' | 'class' | 'method' | 'constructor' | 'getter' | 'setter';

/** A function, class or member of a source file: what a generated test targets. */
export interface CodeUnit {
  /** `lerp`; `Stack.push` for members; `api.get` for an object's method; `default` for an anonymous default export. */
  name: string;
  kind: CodeUnitKind;
  /**
   * Reachable by a test through the module's exports: exported itself, or a member (neither
   * `private`, `protected` nor `#private`) of an exported class or object.
   */
  exported: boolean;
  /** Names the module exports it under (`default` included). Empty for members and module-private units. */
  exportNames: string[];
  /** The class or object a member belongs to. */
  parent?: string;
  /** 1-based, from the first token (decorators and modifiers included, JSDoc not). */
  startLine: number;
  endLine: number;
  /** Lines in the range holding code, comments and blank lines excluded. */
  linesOfCode: number;
  /** See cyclomaticComplexity for the rule. */
  complexity: number;
  /** The declaration as written, on one line, without its body; overloads one per line. */
  signature: string;
  /** Overlaps the changed lines (always true when no changed lines were given). */
  changed: boolean;
}

/**
 * The units of a source file, in source order: top-level functions (declarations and
 * `const f = () => ...` / function expressions), classes with their methods, constructors and
 * accessors (and arrow-function properties) as `Class.member`, methods of top-level object
 * literals as `object.method`, and CommonJS exports (`module.exports = ...`, `exports.x = ...`).
 * Module-private units are included with `exported: false`; they change behaviour reached
 * through the exported ones.
 *
 * `changedLines` are 1-based lines the change touched; undefined means the whole file changed.
 */
export function extractUnits(api: TypeScriptApi, filePath: string, text: string, changedLines?: readonly number[]): CodeUnit[] {
  const sourceFile = parseSource(api, filePath, text);
  const withCode = codeLines(api, sourceFile);
  const units: CodeUnit[] = [];

  const unit = (fields: Omit<CodeUnit, 'startLine' | 'endLine' | 'linesOfCode' | 'complexity' | 'changed'>, rangeNode: ts.Node, bodyOwner: ts.Node): void => {
    const { startLine, endLine } = lineSpan(sourceFile, rangeNode);
    units.push({
      ...fields,
      startLine,
      endLine,
      linesOfCode: countLinesIn(withCode, startLine, endLine),
      complexity: cyclomaticComplexity(api, bodyOwner),
      changed: changedLines ? changedLines.some((line) => line >= startLine && line <= endLine) : true
    });
  };

  const classUnits = (name: string, exportNames: string[], classNode: ts.ClassLikeDeclaration, rangeNode: ts.Node): void => {
    const exported = exportNames.length > 0;
    unit(
      { name, kind: 'class', exported, exportNames, signature: headerBefore(sourceFile, rangeNode, openBrace(api, sourceFile, classNode)) },
      rangeNode,
      classNode
    );
    for (const member of classNode.members) {
      const memberName = nameText(api, member.name, sourceFile) ?? 'constructor';
      const kind = memberKind(api, member);
      if (!kind) continue;
      const body = functionBody(api, member);
      if (!body) continue;
      const fields = { name: `${name}.${memberName}`, kind, exported: exported && isPublicMember(api, member), exportNames: [], parent: name };
      unit({ ...fields, signature: headerBefore(sourceFile, member, body) }, member, member);
    }
  };

  const objectUnits = (name: string, exported: boolean, object: ts.ObjectLiteralExpression): void => {
    for (const property of object.properties) {
      const key = property.name ? propertyKey(api, property.name as ts.PropertyName) : undefined;
      if (key === undefined) continue;
      const value = api.isPropertyAssignment(property) ? unwrap(api, property.initializer) : property;
      if (!isFunctionValue(api, value) && !api.isGetAccessorDeclaration(value) && !api.isSetAccessorDeclaration(value)) continue;
      const kind: CodeUnitKind = api.isGetAccessorDeclaration(value) ? 'getter' : api.isSetAccessorDeclaration(value) ? 'setter' : 'method';
      const signature = headerBefore(sourceFile, property, value.body!);
      unit({ name: `${name}.${key}`, kind, exported, exportNames: [], parent: name, signature }, property, property);
    }
  };

  const { declarations } = readModuleDeclarations(api, sourceFile);
  for (const declaration of declarations) {
    const { name, exportNames } = declaration;
    const exported = exportNames.length > 0;
    const rangeNode = valueOwner(api, declaration);
    const node = declaration.node;
    if (api.isFunctionDeclaration(node) && node.body) {
      unit({ name, kind: 'function', exported, exportNames, signature: renderDeclaration(api, sourceFile, declaration) }, node, node);
      continue;
    }
    if (api.isClassDeclaration(node)) {
      classUnits(name, exportNames, node, node);
      continue;
    }
    const value = declaration.value;
    if (!value || (declaration.kind !== 'variable' && declaration.kind !== 'function' && declaration.kind !== 'class')) continue;
    if (isFunctionValue(api, value) && value.body) {
      unit({ name, kind: 'function', exported, exportNames, signature: headerBefore(sourceFile, rangeNode, value.body) }, rangeNode, value);
    } else if (api.isClassExpression(value)) {
      classUnits(name, exportNames, value, rangeNode);
    } else if (api.isObjectLiteralExpression(value)) {
      objectUnits(name, exported, value);
    }
  }
  return units.sort((a, b) => a.startLine - b.startLine);
}

function memberKind(api: TypeScriptApi, member: ts.ClassElement): CodeUnitKind | undefined {
  if (api.isMethodDeclaration(member)) return 'method';
  if (api.isConstructorDeclaration(member)) return 'constructor';
  if (api.isGetAccessorDeclaration(member)) return 'getter';
  if (api.isSetAccessorDeclaration(member)) return 'setter';
  if (api.isPropertyDeclaration(member) && member.initializer && isFunctionValue(api, unwrap(api, member.initializer))) return 'method';
  return undefined;
}

function functionBody(api: TypeScriptApi, member: ts.ClassElement): ts.Node | undefined {
  if (api.isPropertyDeclaration(member)) {
    const value = member.initializer ? unwrap(api, member.initializer) : undefined;
    return value && isFunctionValue(api, value) ? value.body : undefined;
  }
  return (member as { body?: ts.Node }).body;
}

import path from 'node:path';
import type ts from 'typescript';
import type { TypeScriptApi } from './loadTypeScript.js';

/** TS, TSX, JS or JSX by the file's extension (JS files are parsed with JSX allowed, as tsc does). */
export function scriptKindFor(api: TypeScriptApi, filePath: string): ts.ScriptKind {
  const ext = path.extname(filePath).toLowerCase();
  if (ext === '.tsx') return api.ScriptKind.TSX;
  if (ext === '.jsx') return api.ScriptKind.JSX;
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return api.ScriptKind.JS;
  return api.ScriptKind.TS;
}

/** Parses one file on its own (no program, no type information), with parent links set. */
export function parseSource(api: TypeScriptApi, filePath: string, text: string): ts.SourceFile {
  return api.createSourceFile(filePath, text, api.ScriptTarget.Latest, true, scriptKindFor(api, filePath));
}

/** 1-based line of a position. */
export function lineAt(sourceFile: ts.SourceFile, position: number): number {
  return sourceFile.getLineAndCharacterOfPosition(position).line + 1;
}

/** 1-based first and last line of a node, from its first token (leading comments and JSDoc excluded). */
export function lineSpan(sourceFile: ts.SourceFile, node: ts.Node): { startLine: number; endLine: number } {
  return { startLine: lineAt(sourceFile, node.getStart(sourceFile)), endLine: lineAt(sourceFile, node.getEnd()) };
}

/**
 * The syntax errors of a file as tsc would report them (the parser's, plus TypeScript-only
 * syntax used in a JavaScript file). Uses a one-file program without libraries or resolution,
 * the public way to reach syntactic diagnostics.
 */
export function syntaxErrors(api: TypeScriptApi, filePath: string, text: string): readonly ts.Diagnostic[] {
  const fileName = `/aqe-syntax-check/${path.basename(filePath)}`;
  const sourceFile = api.createSourceFile(fileName, text, api.ScriptTarget.Latest, true, scriptKindFor(api, filePath));
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === fileName ? sourceFile : undefined),
    getDefaultLibFileName: () => '/aqe-syntax-check/lib.d.ts',
    writeFile: () => {},
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (name) => name === fileName,
    readFile: (name) => (name === fileName ? text : undefined)
  };
  const program = api.createProgram({ rootNames: [fileName], options: { noLib: true, noResolve: true, allowJs: true, types: [] }, host });
  return program.getSyntacticDiagnostics(sourceFile);
}

/** Names of a node's modifiers (`export`, `default`, `private`, `static`, ...), any TypeScript version. */
export function modifierKinds(node: ts.Node): ts.SyntaxKind[] {
  // `modifiers` holds decorators too since 4.8; only the kinds are read, so both layouts work.
  const modifiers = (node as { modifiers?: readonly ts.Node[] }).modifiers;
  return modifiers ? modifiers.map((m) => m.kind) : [];
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return modifierKinds(node).includes(kind);
}

/** Text of a node's name as written: identifiers, string/number keys, `#private`, `[computed]`. */
export function nameText(api: TypeScriptApi, name: ts.Node | undefined, sourceFile: ts.SourceFile): string | undefined {
  if (!name) return undefined;
  if (api.isIdentifier(name) || api.isPrivateIdentifier(name)) return name.text;
  if (api.isStringLiteral(name) || api.isNumericLiteral(name) || api.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return name.getText(sourceFile);
}

/** Declaration text on one line: runs of whitespace collapsed, no padding inside brackets, no trailing comma. */
export function oneLine(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/([([]) /g, '$1')
    .replace(/,? ([)\]])/g, '$1')
    .trim();
}

import { isMap, isScalar, type Document, type LineCounter } from 'yaml';

/** A key's place in the file: keys, and list indexes as numbers. */
export type KeyPath = ReadonlyArray<string | number>;

/** The parsed file, to find where a key path is; `file` (repo-relative) is only for messages. */
export interface FileContext {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** router.rules[2].route; a key that is not a plain word is quoted: cost.prices["gpt-4.1"]. */
export function formatPath(at: KeyPath): string {
  let out = '';
  for (const part of at) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z0-9_<>-]+$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Where a key (or its value) is in the file, 1-based; the nearest enclosing node when it is missing. */
export function position(context: FileContext, at: KeyPath, part: 'key' | 'value'): { line: number; column: number } | undefined {
  const { doc, lines } = context;
  for (let depth = at.length; depth >= 0; depth--) {
    const parentPath = at.slice(0, Math.max(0, depth - 1));
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    let offset: number | undefined;
    if (depth > 0 && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(at[depth - 1]));
      const node = part === 'key' || depth < at.length ? pair?.key : (pair?.value ?? pair?.key);
      offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    } else {
      const node = depth === 0 ? doc.contents : doc.getIn(at.slice(0, depth), true);
      offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    }
    if (offset !== undefined) {
      const pos = lines.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

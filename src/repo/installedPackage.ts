import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds `node_modules/<file>` the way Node resolves packages: in `fromDir`, then in each parent
 * up to and including `stopDir` (the repository root, so a hoisted workspace install is found but
 * nothing outside the repository is). Without `stopDir` the search goes up to the filesystem root.
 * Returns the absolute path, or undefined when no directory on the way has it.
 */
export function findInNodeModules(fromDir: string, file: string, stopDir?: string): string | undefined {
  const stop = stopDir === undefined ? undefined : path.resolve(stopDir);
  let dir = path.resolve(fromDir);
  for (;;) {
    const candidate = path.join(dir, 'node_modules', file);
    if (existsSync(candidate)) return candidate;
    if (dir === stop) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    // A start outside stopDir would otherwise walk to the filesystem root.
    if (stop !== undefined && !isInside(parent, stop)) return undefined;
    dir = parent;
  }
}

function isInside(dir: string, root: string): boolean {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of this package (the action's checkout, the CLI's install), found from the
 * running file: src/ in tests, dist/ when bundled, so it is searched upward for the examples.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'action.yml')) && existsSync(path.join(dir, 'examples'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the aqe package root above ${fileURLToPath(import.meta.url)} (no action.yml with examples/ beside it).`);
    dir = parent;
  }
}

export function examplesDir(): string {
  return path.join(packageRoot(), 'examples');
}

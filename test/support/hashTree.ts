import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * sha256 of every file under dir (links by their target), skipping node_modules (a link to this
 * project's) and the names in `skip`: what a test compares to prove nothing the user wrote changed.
 */
export function hashTree(dir: string, skip: readonly string[] = [], rel = '', out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.name === 'node_modules' || skip.includes(entry.name)) continue;
    if (entry.isDirectory()) hashTree(dir, skip, child, out);
    else if (entry.isSymbolicLink()) out.set(child, `link:${readlinkSync(path.join(dir, child))}`);
    else
      out.set(
        child,
        createHash('sha256')
          .update(readFileSync(path.join(dir, child)))
          .digest('hex')
      );
  }
  return out;
}

import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { AcceptedTest } from './AcceptedTest.js';

/**
 * Creates each accepted test under `repoDir` with an exclusive create: a file that appeared at
 * the same path during the run (the user's, or another tool's) is never replaced; it is skipped
 * with a warning. Resolves to the repo-relative paths that were written, in input order.
 */
export async function writeAcceptedTests(repoDir: string, tests: readonly AcceptedTest[], warn: (message: string) => void): Promise<string[]> {
  const written: string[] = [];
  for (const test of tests) {
    const target = resolveInside(repoDir, test.testFile);
    await mkdir(path.dirname(target), { recursive: true });
    let handle;
    try {
      handle = await open(target, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      warn(`${test.testFile} appeared in the working tree during the run; the generated test was not written over it.`);
      continue;
    }
    try {
      await handle.writeFile(test.content);
    } finally {
      await handle.close();
    }
    written.push(test.testFile);
  }
  return written;
}

/** Test paths come from the test layout, but a path that escapes the repository is never written. */
export function resolveInside(repoDir: string, relativeFile: string): string {
  const root = path.resolve(repoDir);
  const target = path.resolve(root, relativeFile);
  if (path.isAbsolute(relativeFile) || !target.startsWith(root + path.sep)) {
    throw new Error(`Refusing to write the test file "${relativeFile}": it is not a path inside ${root}.`);
  }
  return target;
}

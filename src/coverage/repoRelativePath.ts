import path from 'node:path';

/**
 * The repo-relative, forward-slash form of a path a coverage report names. Reports name files
 * absolutely (istanbul, lcov from most tools) or relative to the directory they ran in, which
 * for aqe is the root of the repository copy; both land on the same key.
 */
export function repoRelativePath(file: string, rootDir: string): string {
  const rel = path.isAbsolute(file) ? path.relative(rootDir, file) : path.normalize(file);
  return rel.split(path.sep).join('/');
}

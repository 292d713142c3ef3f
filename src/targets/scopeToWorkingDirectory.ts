import path from 'node:path';
import type { ChangedFile } from '../repo/ChangedFile.js';
import { git, isGitRepo } from '../repo/git.js';

/**
 * A pull request names files from the repository root; a run works inside working-directory,
 * which may be a subfolder. Files inside it are renamed relative to it; the others are listed
 * apart, since this run cannot test them.
 */
export async function scopeToWorkingDirectory(repoDir: string, changed: readonly ChangedFile[]): Promise<{ inside: ChangedFile[]; outside: string[] }> {
  const prefix = (await isGitRepo(repoDir)) ? (await git(repoDir, ['rev-parse', '--show-prefix'])).trim() : '';
  if (prefix === '') return { inside: [...changed], outside: [] };
  const inside: ChangedFile[] = [];
  const outside: string[] = [];
  for (const file of changed) {
    if (file.filename.startsWith(prefix)) {
      const rel = path.posix.relative(prefix, file.filename);
      const previous = file.previousFilename?.startsWith(prefix) ? path.posix.relative(prefix, file.previousFilename) : undefined;
      inside.push({ ...file, filename: rel, ...(previous ? { previousFilename: previous } : {}) });
    } else {
      outside.push(file.filename);
    }
  }
  return { inside, outside };
}

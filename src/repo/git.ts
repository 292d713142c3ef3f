import { runProcess } from '../process/runProcess.js';
import type { ChangedFile } from './ChangedFile.js';

export class GitError extends Error {
  override readonly name = 'GitError';
}

export async function git(repoDir: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const result = await runProcess({ command: 'git', args, cwd: repoDir, timeoutMs });
  if (result.exitCode !== 0) {
    throw new GitError(`git ${args.join(' ')} failed in ${repoDir}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }
  return result.stdout;
}

export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    return (await git(dir, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

/** Files changed between the merge base of base and head, and head (what a PR shows). */
export async function changedFilesFromGit(repoDir: string, base: string, head: string): Promise<ChangedFile[]> {
  const out = await git(repoDir, ['diff', '--name-status', '-z', '--no-renames', `${base}...${head}`]);
  const parts = out.split('\0').filter((p) => p !== '');
  const entries: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const code = parts[i]!;
    const file = parts[i + 1]!;
    entries.push({ filename: file, status: code.startsWith('D') ? 'removed' : code.startsWith('A') ? 'added' : 'modified' });
  }
  return entries;
}


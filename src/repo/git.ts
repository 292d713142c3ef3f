import { runProcess } from '../process/runProcess.js';
import type { ChangedFile } from './ChangedFile.js';
import { type FileDiff, parseGitDiff } from './changedLines.js';

export class GitError extends Error {
  override readonly name = 'GitError';
}

export async function git(repoDir: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return (await gitCapped(repoDir, args, timeoutMs)).stdout;
}

async function gitCapped(repoDir: string, args: string[], timeoutMs: number, maxOutputBytes?: number): Promise<{ stdout: string; truncated: boolean }> {
  const result = await runProcess({ command: 'git', args, cwd: repoDir, timeoutMs, maxOutputBytes });
  if (result.exitCode !== 0) {
    throw new GitError(`git ${args.join(' ')} failed in ${repoDir}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }
  return { stdout: result.stdout, truncated: result.truncated };
}

export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    return (await git(dir, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

/**
 * A diff whose output is the same whatever the user's git configuration: fixed a/ b/ prefixes,
 * paths from the repository root, no colour, external diff or textconv filter, renames detected
 * as GitHub does, and names unescaped where git allows it.
 */
const LINE_DIFF_ARGS = [
  '-c',
  'core.quotePath=false',
  'diff',
  '-U0',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-relative',
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '-M'
];
/** Held in memory at once; lock files and generated code can make a pull request's diff large. */
const LINE_DIFF_OUTPUT_CAP = 64 * 1024 * 1024;
const LINE_DIFF_TIMEOUT_MS = 120_000;
/** Past this many files, one diff of everything is cheaper than a command line naming each. */
const MAX_PATHSPECS = 200;

export interface LineDiffOptions {
  /** Most bytes of diff output read; files past it are listed without their lines. */
  maxDiffBytes?: number;
}

/**
 * Files changed between the merge base of base and head, and head (what a PR shows), each with
 * the lines it adds or rewrites, from one `git diff -U0`. Should that diff be too large to hold,
 * the file list comes from `--name-status` and only the files read in full get their lines.
 */
export async function changedFilesFromGit(repoDir: string, base: string, head: string, options: LineDiffOptions = {}): Promise<ChangedFile[]> {
  const diff = await lineDiff(repoDir, `${base}...${head}`, [], options);
  const files = diff.files.map(toChangedFile);
  if (diff.complete) return files;
  const byPath = new Map(files.map((f) => [f.filename, f]));
  return (await nameStatus(repoDir, `${base}...${head}`)).map((f) => byPath.get(f.filename) ?? f);
}

/**
 * The changed lines of some files only, keyed by their (new) path: for files whose lines the
 * pull request's API listing left out. A file git does not show, or shows as binary, maps to
 * undefined (unknown). Throws GitError when a commit is missing from the checkout.
 */
export async function changedLinesFromGit(
  repoDir: string,
  base: string,
  head: string,
  files: ReadonlyArray<Pick<ChangedFile, 'filename' | 'previousFilename'>>,
  options: LineDiffOptions = {}
): Promise<Map<string, number[] | undefined>> {
  const lines = new Map<string, number[] | undefined>(files.map((f) => [f.filename, undefined]));
  if (files.length === 0) return lines;
  // Both names of a renamed file, so git pairs them up as a rename instead of a delete and an add.
  const names = files.flatMap((f) => (f.previousFilename ? [f.filename, f.previousFilename] : [f.filename]));
  const diff = await lineDiff(repoDir, `${base}...${head}`, names.length > MAX_PATHSPECS ? [] : names, options);
  for (const file of diff.files) {
    if (lines.has(file.path)) lines.set(file.path, toChangedFile(file).changedLines);
  }
  return lines;
}

async function lineDiff(repoDir: string, range: string, paths: readonly string[], options: LineDiffOptions): Promise<{ files: FileDiff[]; complete: boolean }> {
  // :(top,literal) makes each path repo-root-relative and free of glob meaning, as GitHub's names are.
  const pathspecs = paths.length > 0 ? ['--', ...paths.map((p) => `:(top,literal)${p}`)] : [];
  const cap = options.maxDiffBytes ?? LINE_DIFF_OUTPUT_CAP;
  const { stdout, truncated } = await gitCapped(repoDir, [...LINE_DIFF_ARGS, range, ...pathspecs], LINE_DIFF_TIMEOUT_MS, cap);
  if (!truncated) return { files: parseGitDiff(stdout), complete: true };
  // The last file in a cut-off output is incomplete; every file before it was read in full.
  const lastFile = stdout.lastIndexOf('\ndiff --git ');
  return { files: lastFile === -1 ? [] : parseGitDiff(stdout.slice(0, lastFile + 1)), complete: false };
}

async function nameStatus(repoDir: string, range: string): Promise<ChangedFile[]> {
  const out = await git(repoDir, ['-c', 'core.quotePath=false', 'diff', '--name-status', '-z', '--no-relative', '-M', range]);
  const parts = out.split('\0').filter((p) => p !== '');
  const entries: ChangedFile[] = [];
  for (let i = 0; i < parts.length;) {
    const code = parts[i]!;
    // Renames and copies carry two paths (old, new); every other status one.
    if (code.startsWith('R') || code.startsWith('C')) {
      entries.push({ filename: parts[i + 2]!, status: code.startsWith('R') ? 'renamed' : 'copied', previousFilename: parts[i + 1]! });
      i += 3;
    } else {
      entries.push({ filename: parts[i + 1]!, status: code.startsWith('D') ? 'removed' : code.startsWith('A') ? 'added' : 'modified' });
      i += 2;
    }
  }
  return entries;
}

function toChangedFile(file: FileDiff): ChangedFile {
  const changed: ChangedFile = {
    filename: file.path,
    status: file.status,
    // Nothing of a removed file is left to cover; binary content has no lines git can show.
    changedLines: file.status === 'removed' ? [] : file.binary ? undefined : file.addedLines
  };
  if (file.previousPath !== undefined) changed.previousFilename = file.previousPath;
  return changed;
}

import { type Dirent, existsSync, readdirSync, realpathSync } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git, isGitRepo } from '../repo/git.js';

const SKIP_DIRS = new Set(['node_modules', '.git']);

/**
 * A throwaway copy of the repository where generated code runs. The user's working tree is only
 * read; dependencies are linked, not copied (node_modules can be gigabytes).
 */
export class ScratchCopy {
  private constructor(
    readonly dir: string,
    private readonly sourceDir: string,
    /** The real directories the copy's node_modules links point to: what a sandbox must show read-only. */
    readonly linkedDirs: readonly string[] = []
  ) {}

  static async create(repoDir: string, tempRoot: string): Promise<ScratchCopy> {
    await mkdir(tempRoot, { recursive: true });
    const dir = await mkdtemp(path.join(tempRoot, 'aqe-scratch-'));
    const files = (await isGitRepo(repoDir)) ? await gitFiles(repoDir) : walkFiles(repoDir);
    for (const file of files) {
      if (file.split('/').includes('node_modules')) continue; // linked below, never copied
      const from = path.join(repoDir, file);
      const info = await lstat(from).catch(() => undefined); // undefined: deleted but still in the index
      if (!info) continue;
      const to = path.join(dir, file);
      await mkdir(path.dirname(to), { recursive: true });
      if (info.isSymbolicLink()) await symlink(await readlink(from), to);
      else if (info.isFile()) await copyFile(from, to);
    }
    const linkedDirs: string[] = [];
    for (const modulesDir of findNodeModules(repoDir)) {
      const from = path.join(repoDir, modulesDir);
      await linkEntries(from, path.join(dir, modulesDir));
      linkedDirs.push(...modulesTargets(from));
    }
    return new ScratchCopy(dir, repoDir, outermost(linkedDirs));
  }

  /**
   * The same copy seen from one of its folders (a workspace package): paths are relative to it
   * and cannot leave it. Only the whole copy is ever disposed.
   */
  within(relDir: string): ScratchCopy {
    if (relDir === '' || relDir === '.') return this;
    const dir = this.resolve(relDir);
    return new ScratchCopy(dir, path.join(this.sourceDir, relDir), this.linkedDirs);
  }

  /** Writes a repo-relative file in the copy (candidates only ever land here first). */
  async write(relPath: string, content: string): Promise<void> {
    const target = this.resolve(relPath);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }

  async remove(relPath: string): Promise<void> {
    await unlink(this.resolve(relPath)).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private resolve(relPath: string): string {
    const target = path.resolve(this.dir, relPath);
    if (!target.startsWith(this.dir + path.sep)) throw new Error(`Refusing to write outside the scratch copy: ${relPath}`);
    return target;
  }

  toString(): string {
    return `scratch copy of ${this.sourceDir} at ${this.dir}`;
  }
}

/**
 * Tools write their caches into node_modules (vite's bundled config in .vite-temp, its deps and
 * vitest's results in .vite, babel and others in .cache). Those start empty in the copy, so the
 * writes land there and not in the user's node_modules, which a sandboxed run cannot write.
 */
const FRESH_IN_COPY = new Set(['.vite', '.vite-temp', '.cache']);

/**
 * A node_modules of the copy's own whose entries link to the repository's: packages resolve as
 * before (through the links, to the real files), while what tools create at the top lands in the
 * copy.
 */
async function linkEntries(from: string, to: string): Promise<void> {
  if (existsSync(to)) return;
  await mkdir(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (FRESH_IN_COPY.has(entry)) continue;
    await symlink(path.join(from, entry), path.join(to, entry));
  }
}

/**
 * The real directories a node_modules folder reads from: the folder itself, and where its
 * packages lead when they are links out of it (workspaces, `npm link`, a store elsewhere), one
 * level into scopes. A sandbox must show all of them, or a package resolves to nothing.
 */
export function modulesTargets(modulesDir: string): string[] {
  const real = (p: string): string | undefined => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const root = real(modulesDir);
  if (!root) return [];
  const targets = [root];
  const visit = (dir: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = real(full);
        if (target && !isInside(target, root)) targets.push(target);
      } else if (entry.isDirectory() && entry.name.startsWith('@') && depth === 0) {
        visit(full, 1);
      }
    }
  };
  visit(modulesDir, 0);
  return outermost(targets);
}

/** The paths not inside another of them. */
function outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => isInside(p, k))) kept.push(p);
  return kept;
}

function isInside(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** Tracked and untracked-but-not-ignored files: what the user's tests can see, nothing built. */
async function gitFiles(repoDir: string): Promise<string[]> {
  const out = await git(repoDir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  return [...new Set(out.split('\0').filter((f) => f !== ''))];
}

function walkFiles(root: string, rel = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? path.join(rel, entry.name) : entry.name;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) files.push(...walkFiles(root, child));
    } else if (entry.isFile()) {
      files.push(child);
    }
  }
  return files;
}

/** node_modules folders of the root and of workspace packages (not nested inside another). */
function findNodeModules(root: string, rel = '', depth = 0): string[] {
  const found: string[] = [];
  let entries;
  try {
    entries = readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const child = rel ? path.join(rel, entry.name) : entry.name;
    if (entry.name === 'node_modules') found.push(child);
    else if (entry.isDirectory() && depth < 3 && entry.name !== '.git' && !entry.name.startsWith('.')) found.push(...findNodeModules(root, child, depth + 1));
  }
  return found;
}

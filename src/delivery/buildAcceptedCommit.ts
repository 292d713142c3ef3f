import path from 'node:path';
import type { AcceptedTest } from './AcceptedTest.js';
import type { CommitSandbox } from './commitSandbox.js';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface AcceptedCommitRequest {
  sandbox: CommitSandbox;
  /** The commit to build on: the checkout's HEAD, already compared with the event's head. */
  head: string;
  /** The accepted tests to commit, paths relative to the repo directory (the sandbox's prefix is added). */
  tests: readonly AcceptedTest[];
  author: GitIdentity;
  message: string;
}

export type AcceptedCommit = { sha: string } | { problem: string };

const TREE_MODE = '040000';
const FILE_MODE = '100644';

/**
 * Makes, in the sandbox, the commit of HEAD plus exactly the accepted tests, and proves that it
 * is nothing more before anything is pushed.
 *
 * The blobs are the accepted contents as aqe holds them, not what the working tree holds now,
 * and the tree starts from HEAD's tree, so a file a test changed in the working tree or the index
 * cannot come along. The object store is shared with the checkout, which generated tests could
 * write to as well, so a forged object is looked for: HEAD and every tree on the way to a new
 * file must hash to their ids (git checks that when it peels `<id>^{tree}`), and the difference
 * to HEAD must be the new files and their directories only (a forged tree anywhere else comes
 * back from write-tree under a new id, and shows up as a change).
 *
 * Files are stored as written, without the repository's clean filters, whose commands come from
 * the checkout's config.
 */
export async function buildAcceptedCommit(request: AcceptedCommitRequest): Promise<AcceptedCommit> {
  const { sandbox, head } = request;
  const headTree = await verifiedTree(sandbox, `${head}^{commit}`, head);
  if (!headTree)
    return {
      problem: `the checkout's object store does not hold the head commit ${head.slice(0, 7)} as its id says (it was changed during the run, or is incomplete).`
    };

  const entries = request.tests.map((t) => ({ test: t, path: repositoryPath(sandbox, t.testFile) }));
  const ignored = await ignoredPaths(
    sandbox,
    entries.map((e) => e.path)
  );
  if ('problem' in ignored) return ignored;
  if (ignored.paths.length > 0) return { problem: `they are in paths the repository's .gitignore excludes (${ignored.paths.join(', ')}).` };

  const read = await sandbox.git(['read-tree', headTree]);
  if (read.exitCode !== 0) return { problem: `git read-tree failed: ${read.stderr.trim()}.` };
  for (const { test, path: file } of entries) {
    const blob = await sandbox.git(['hash-object', '-w', '--no-filters', '--stdin'], { input: test.content });
    const id = blob.stdout.trim();
    if (blob.exitCode !== 0 || !isObjectId(id)) return { problem: `git hash-object failed for ${file}: ${blob.stderr.trim()}.` };
    const add = await sandbox.git(['update-index', '--add', '--cacheinfo', FILE_MODE, id, file]);
    if (add.exitCode !== 0) return { problem: `${file} cannot be added to the head commit's tree: ${add.stderr.trim()}.` };
  }
  const written = await sandbox.git(['write-tree']);
  const tree = written.stdout.trim();
  if (written.exitCode !== 0 || !isObjectId(tree)) return { problem: `git write-tree failed: ${written.stderr.trim()}.` };

  const difference = await checkDifference(
    sandbox,
    headTree,
    tree,
    entries.map((e) => e.path)
  );
  if (difference) return { problem: difference };

  const identity = {
    GIT_AUTHOR_NAME: request.author.name,
    GIT_AUTHOR_EMAIL: request.author.email,
    GIT_COMMITTER_NAME: request.author.name,
    GIT_COMMITTER_EMAIL: request.author.email
  };
  const commit = await sandbox.git(['commit-tree', '--no-gpg-sign', tree, '-p', head, '-F', '-'], { extraEnv: identity, input: request.message });
  const sha = commit.stdout.trim();
  if (commit.exitCode !== 0 || !isObjectId(sha)) return { problem: `git commit-tree failed: ${commit.stderr.trim()}.` };
  return { sha };
}

/** A path relative to the repo directory as git names it in the repository's tree. */
export function repositoryPath(sandbox: Pick<CommitSandbox, 'prefix'>, file: string): string {
  return `${sandbox.prefix}${file.split(path.sep).join('/')}`;
}

function isObjectId(text: string): boolean {
  return /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(text);
}

/** The tree of `rev` when the object `expectId` names is intact; git's peel re-hashes each object it parses. */
async function verifiedTree(sandbox: CommitSandbox, rev: string, expectId: string): Promise<string | undefined> {
  const peeled = await sandbox.git(['rev-parse', '--verify', '--quiet', rev]);
  if (peeled.exitCode !== 0 || peeled.stdout.trim() !== expectId) return undefined;
  const tree = await sandbox.git(['rev-parse', '--verify', '--quiet', `${expectId}^{tree}`]);
  const id = tree.stdout.trim();
  return tree.exitCode === 0 && isObjectId(id) ? id : undefined;
}

/** The paths the repository's ignore files exclude, read from the checkout's work tree (patterns only, nothing runs). */
async function ignoredPaths(sandbox: CommitSandbox, files: string[]): Promise<{ paths: string[] } | { problem: string }> {
  const result = await sandbox.git(['check-ignore', '--no-index', '-z', '--stdin'], {
    cwd: sandbox.toplevel,
    extraEnv: { GIT_WORK_TREE: sandbox.toplevel },
    input: files.map((f) => `${f}\0`).join('')
  });
  if (result.exitCode === 1) return { paths: [] };
  if (result.exitCode === 0) return { paths: result.stdout.split('\0').filter(Boolean) };
  return { problem: `git check-ignore failed: ${result.stderr.trim()}.` };
}

/**
 * Why the new tree is more than HEAD's plus `files`, or undefined. Every changed entry must be a
 * new file of ours or a directory on the way to one, and the old version of each such directory
 * must be intact, since its other entries are carried over by id.
 */
async function checkDifference(sandbox: CommitSandbox, headTree: string, tree: string, files: string[]): Promise<string | undefined> {
  const diff = await sandbox.git(['diff-tree', '-r', '-t', '-z', '--no-renames', headTree, tree]);
  if (diff.exitCode !== 0) return `git diff-tree failed: ${diff.stderr.trim()}.`;
  const ours = new Set(files);
  const directories = new Set(
    files.flatMap((f) =>
      f
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/'))
    )
  );
  const fields = diff.stdout.split('\0');
  const oldDirectories: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [oldMode, newMode, oldId, , status] = fields[i]!.replace(/^:/, '').split(' ');
    const file = fields[i + 1]!;
    seen.add(file);
    if (ours.has(file) && status === 'A' && newMode === FILE_MODE) continue;
    if (directories.has(file) && newMode === TREE_MODE && (status === 'A' || (status === 'M' && oldMode === TREE_MODE))) {
      if (status === 'M') oldDirectories.push(oldId!);
      continue;
    }
    if (ours.has(file) || directories.has(file)) {
      return `${file} already exists in the head commit (as ${oldMode === TREE_MODE ? 'a directory' : 'a file'}), and a generated test does not replace it.`;
    }
    return `the commit would also change ${file}, which is no accepted test: the checkout's object store was changed during the run. Nothing was pushed.`;
  }
  const missing = files.filter((f) => !seen.has(f));
  if (missing.length > 0) return `the commit would not hold ${missing.join(', ')}.`;
  if (oldDirectories.length > 0) {
    const verified = await sandbox.git(['rev-parse', ...oldDirectories.map((id) => `${id}^{tree}`)]);
    if (verified.exitCode !== 0)
      return `a directory of the head commit in the checkout's object store does not match its id (it was changed during the run). Nothing was pushed.`;
  }
  return undefined;
}

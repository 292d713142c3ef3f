import { copyFile, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessResult } from '../process/runProcess.js';
import { checkoutGit, runGit, type GitCall } from './deliveryGit.js';

/**
 * A git directory of aqe's own, made after the generated tests ran, for building and pushing the
 * commit. The checkout's .git/config, hooks and info/attributes were writable by those tests (a
 * `pushurl`, an `insteadOf` rewrite, a credential helper, a hook, a clean filter, core.fsmonitor),
 * and git cannot be told to ignore a repository's config, only to outrank single keys of it. So
 * the commit is made here instead: an empty config, no hooks, no system or global config, and an
 * environment of a few named variables; only the checkout's object store is shared (through
 * GIT_OBJECT_DIRECTORY), so HEAD's objects are there and the new ones land in the checkout.
 * What is read from that store is checked where it matters (see buildAcceptedCommit).
 */
export interface CommitSandbox {
  /** The checkout's top level, and the repo directory's path inside it (`lib/`, or empty). */
  toplevel: string;
  prefix: string;
  /** The commit the checkout is at, or undefined when it has none. */
  head: string | undefined;
  /** The checkout's index file: updated from the sandbox, where no clean filter of the checkout's can run. */
  checkoutIndex: string;
  /** Runs git in the sandbox; `extraEnv` adds variables (identity, the push's token, a work tree). */
  git(args: readonly string[], call?: SandboxCall): Promise<ProcessResult>;
}

export interface SandboxCall extends Omit<GitCall, 'env'> {
  extraEnv?: NodeJS.ProcessEnv;
  /** Where git runs; the sandbox's work directory by default. */
  cwd?: string;
}

/** Variables a push may need from the runner: where git and the proxy are, which certificates to trust, Windows' basics. */
const PASSED_VARIABLES = [
  'PATH',
  'SystemRoot',
  'SYSTEMROOT',
  'ComSpec',
  'TEMP',
  'TMP',
  'TMPDIR',
  'LANG',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE'
];

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

/**
 * Opens a sandbox in `workDir` (an empty directory) for the checkout `repoDir`. Throws
 * SandboxError when the checkout cannot be read (not a git repository).
 */
export async function openCommitSandbox(repoDir: string, workDir: string, base: NodeJS.ProcessEnv = process.env): Promise<CommitSandbox> {
  const facts = await checkoutGit(repoDir, [
    'rev-parse',
    '--show-toplevel',
    '--show-prefix',
    '--git-path',
    'objects',
    '--git-path',
    'shallow',
    '--git-path',
    'info/exclude',
    '--git-path',
    'index',
    '--show-object-format'
  ]);
  const lines = facts.stdout.split('\n');
  if (facts.exitCode !== 0 || lines.length < 7)
    throw new SandboxError(`${repoDir} is not a git checkout aqe can read (git said: ${facts.stderr.trim() || `exit ${facts.exitCode}`}).`);
  const [toplevel, prefix, objects, shallow, exclude, index, objectFormat] = lines as [string, string, string, string, string, string, string];
  const resolve = (p: string): string => path.resolve(repoDir, p);
  const headResult = await checkoutGit(repoDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  const head = headResult.exitCode === 0 && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(headResult.stdout.trim()) ? headResult.stdout.trim() : undefined;

  const gitDir = path.join(workDir, 'git');
  const home = path.join(workDir, 'home');
  const emptyConfig = path.join(workDir, 'empty-gitconfig');
  const emptyTemplate = path.join(workDir, 'template');
  await Promise.all([mkdir(home), mkdir(emptyTemplate), writeFile(emptyConfig, '')]);
  const isolated = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {};
    for (const name of PASSED_VARIABLES) if (base[name] !== undefined) env[name] = base[name];
    return {
      ...env,
      HOME: home,
      XDG_CONFIG_HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: emptyConfig,
      GIT_ATTR_NOSYSTEM: '1',
      GIT_NO_REPLACE_OBJECTS: '1'
    };
  };
  const sandboxEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...isolated(),
    GIT_DIR: gitDir,
    GIT_OBJECT_DIRECTORY: resolve(objects),
    GIT_INDEX_FILE: path.join(workDir, 'index'),
    ...extra
  });
  // Hooks are looked up in a directory that cannot exist: nothing placed in the sandbox meanwhile runs.
  const hooksOff = ['-c', `core.hooksPath=${path.join(emptyConfig, 'hooks')}`];
  const git = (args: readonly string[], call: SandboxCall = {}): Promise<ProcessResult> => {
    const { extraEnv, cwd, ...rest } = call;
    return runGit(cwd ?? workDir, [...hooksOff, ...args], { ...rest, env: sandboxEnv(extraEnv) });
  };

  const format = objectFormat === 'sha256' ? ['--object-format=sha256'] : [];
  const init = await runGit(workDir, [...hooksOff, 'init', '--quiet', '--bare', `--template=${emptyTemplate}`, ...format, gitDir], { env: isolated() });
  if (init.exitCode !== 0) throw new SandboxError(`git init of the commit's own repository in ${gitDir} failed: ${init.stderr.trim()}`);
  // Data only, no commands: a shallow checkout's boundary (so a push need not walk missing history), and its ignore patterns.
  await copyIfThere(resolve(shallow), path.join(gitDir, 'shallow'));
  await mkdir(path.join(gitDir, 'info'), { recursive: true });
  await copyIfThere(resolve(exclude), path.join(gitDir, 'info', 'exclude'));
  return { toplevel, prefix, head, checkoutIndex: resolve(index), git };
}

/** Copies a regular file; a link (to a file of someone else's choice) or anything else is left out. */
async function copyIfThere(from: string, to: string): Promise<void> {
  const stats = await lstat(from).catch(() => undefined);
  if (stats?.isFile()) await copyFile(from, to);
}

import { cp, mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { examplesDir, packageRoot } from '../core/packageRoot.js';
import { runProcess } from '../process/runProcess.js';
import { git } from '../repo/git.js';

export interface ExamplePullRequest {
  repoDir: string;
  baseSha: string;
  headSha: string;
  title: string;
}

const AUTHOR = ['-c', 'user.name=aqe demo', '-c', 'user.email=demo@aqe.invalid', '-c', 'commit.gpgsign=false'];

/**
 * Lays out an example repository as a pull request: the example is committed as the base, its
 * patch as the head. Its test dependencies (jest, ts-jest, vitest, typescript) come from this
 * package's own node_modules, linked in, so the demo needs no network. One link at the root also
 * serves workspace packages (examples/monorepo): they resolve it like a hoisted install.
 */
export async function prepareExamplePullRequest(targetDir: string, example = 'ts-lib'): Promise<ExamplePullRequest> {
  const source = path.join(examplesDir(), example);
  const repoDir = path.join(targetDir, example);
  await mkdir(targetDir, { recursive: true });
  await cp(source, repoDir, { recursive: true, errorOnExist: true, force: false });
  await git(repoDir, ['init', '-q', '-b', 'main']);
  await git(repoDir, ['add', '-A']);
  await git(repoDir, [...AUTHOR, 'commit', '-q', '-m', 'Example library']);
  const baseSha = (await git(repoDir, ['rev-parse', 'HEAD'])).trim();
  const patchFile = path.join(examplesDir(), `${example}.pr.patch`);
  const applied = await runProcess({ command: 'git', args: ['apply', '--index', patchFile], cwd: repoDir, timeoutMs: 60_000 });
  if (applied.exitCode !== 0) throw new Error(`Applying ${patchFile} failed: ${applied.stderr}`);
  const title = (await readFile(patchFile, 'utf8')).match(/^Subject: (.*)$/m)?.[1] ?? `Changes to ${example}`;
  await git(repoDir, [...AUTHOR, 'commit', '-q', '-m', title]);
  const headSha = (await git(repoDir, ['rev-parse', 'HEAD'])).trim();
  // Linked after the commits: a link is a file to git, and is no part of the example's history.
  await symlink(path.join(packageRoot(), 'node_modules'), path.join(repoDir, 'node_modules'), 'dir');
  return { repoDir, baseSha, headSha, title };
}

import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runProcess } from '../../src/process/runProcess.js';
import { startFakeGitHubApi, type FakeGitHubApi } from './fakeGitHubApi.js';
import { createOutsideHost, type OutsideHost } from './outsideHost.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];

/**
 * The outside host, and a fake GitHub API reached from the runner side through a forwarder (the API listens on the
 * host's loopback, which the runner's namespace does not share). Nothing is left open when the forwarder fails.
 */
export async function outsideHostWithApi(api?: FakeGitHubApi): Promise<{ outside: OutsideHost; api: FakeGitHubApi }> {
  const outside = await createOutsideHost();
  try {
    const github = api ?? (await startFakeGitHubApi());
    await outside.forwardLoopbackPort(Number(new URL(github.url).port));
    return { outside, api: github };
  } catch (error) {
    await outside.close();
    throw error;
  }
}

/** The example pull request checked out under `workspace`, with `files` committed on its head. */
export async function examplePullRequestWith(workspace: string, files: Readonly<Record<string, string>>, message: string): Promise<ExamplePullRequest> {
  const pr = await prepareExamplePullRequest(workspace);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(pr.repoDir, file)), { recursive: true });
    await writeFile(path.join(pr.repoDir, file), content);
  }
  await git(pr.repoDir, ['add', ...Object.keys(files)]);
  await git(pr.repoDir, [...AUTHOR, 'commit', '-q', '-m', message]);
  return { ...pr, headSha: (await git(pr.repoDir, ['rev-parse', 'HEAD'])).trim() };
}

async function git(cwd: string, args: string[]): Promise<string> {
  const result = await runProcess({
    command: 'git',
    args,
    cwd,
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1' },
    timeoutMs: 60_000
  });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${cwd} failed: ${result.stderr}`);
  return result.stdout;
}

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AcceptedTest } from './AcceptedTest.js';
import { gitValue, runGit } from './deliveryGit.js';
import { isHttpRemote, redactToken, tokenAuthEnv } from './gitTokenAuth.js';
import type { PushTarget, PushTargetResolution } from './resolvePushTarget.js';
import { writeAcceptedTests } from './writeAcceptedTests.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** The identity GitHub shows for commits a workflow makes with its own token. */
export const GITHUB_ACTIONS_BOT: GitIdentity = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com'
};

export interface CommitRequest {
  repoDir: string;
  /** Holds the temporary index; removed afterwards. */
  tempDir: string;
  tests: readonly AcceptedTest[];
  warn: (message: string) => void;
  target: PushTargetResolution;
  /** Author and committer; the github-actions bot when absent. */
  author?: GitIdentity;
}

export interface CommitOutcome {
  /** Test files created in the working tree (all of them, committed or not). */
  written: string[];
  /** Set only when the commit reached the remote branch. */
  committed?: { sha: string; branch: string };
}

const PUSH_TIMEOUT_MS = 120_000;

/**
 * Writes the accepted tests into the working tree, commits exactly those files on top of HEAD
 * and pushes the commit to the target branch. Anything that stands in the way (a fork, a merge
 * commit checkout, a rejected push) leaves the files written but uncommitted, with a warning that
 * says why and what to do.
 *
 * The commit is built in a temporary index from HEAD's tree plus the new files, so whatever the
 * user has staged or changed is neither committed nor touched, and no hook runs. Only after the
 * push succeeded is the checkout moved to the new commit, so a failure leaves no local commit.
 */
export async function commitAcceptedTests(request: CommitRequest): Promise<CommitOutcome> {
  const { repoDir, warn } = request;
  const written = await writeAcceptedTests(repoDir, request.tests, warn);
  if (written.length === 0) return { written };
  const notCommitted = (why: string): CommitOutcome => {
    warn(`on-accepted: commit: the accepted tests were not committed: ${why} They were written into the working tree, uncommitted: ${written.join(', ')}.`);
    return { written };
  };
  if ('refusal' in request.target) return notCommitted(request.target.refusal);
  const target = request.target.target;

  const head = await gitValue(repoDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (!head) return notCommitted(`${repoDir} is not a git checkout with a commit to build on.`);
  if (target.expectedHead && head !== target.expectedHead) {
    return notCommitted(
      `the checkout is at ${short(head)}, not at the pull request's head commit ${short(target.expectedHead)} (by default actions/checkout checks out a merge commit, and committing on it would merge the base branch into ${target.branch}). Check out the branch itself: actions/checkout with \`ref: \${{ github.head_ref }}\`.`
    );
  }

  await mkdir(request.tempDir, { recursive: true });
  const work = await mkdtemp(path.join(request.tempDir, 'aqe-commit-'));
  let sha: string;
  try {
    const built = await buildCommit(repoDir, head, written, request.tests, request.author ?? GITHUB_ACTIONS_BOT, path.join(work, 'index'));
    if ('problem' in built) return notCommitted(built.problem);
    sha = built.sha;
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const pushProblem = await push(repoDir, sha, target);
  if (pushProblem) return notCommitted(pushProblem);

  // The branch has the commit; bring the checkout along so later steps see what was pushed.
  const moved = await runGit(repoDir, ['update-ref', '-m', 'aqe: accepted tests', 'HEAD', sha, head]);
  if (moved.exitCode !== 0) {
    warn(`on-accepted: commit: ${short(sha)} was pushed to ${target.branch}, but the local checkout could not be moved to it: ${moved.stderr.trim()}`);
  } else {
    await runGit(repoDir, ['--literal-pathspecs', 'reset', '--quiet', '--', ...written]);
  }
  return { written, committed: { sha, branch: target.branch } };
}

async function buildCommit(
  repoDir: string,
  head: string,
  files: string[],
  tests: readonly AcceptedTest[],
  author: GitIdentity,
  indexFile: string
): Promise<{ sha: string } | { problem: string }> {
  const env = { ...process.env, GIT_INDEX_FILE: indexFile };
  const read = await runGit(repoDir, ['read-tree', head], { env });
  if (read.exitCode !== 0) return { problem: `git read-tree failed: ${read.stderr.trim()}.` };
  // git add applies the repository's .gitignore and clean filters (LFS, line endings), as a commit by hand would.
  const add = await runGit(repoDir, ['--literal-pathspecs', 'add', '--', ...files], { env });
  if (add.exitCode !== 0) {
    return {
      problem: /ignored/i.test(add.stderr)
        ? `they are in paths the repository's .gitignore excludes (${add.stderr.trim()}).`
        : `git add failed: ${add.stderr.trim()}.`
    };
  }
  const tree = await gitValue(repoDir, ['write-tree'], { env });
  if (!tree) return { problem: 'git write-tree failed.' };
  const identity = {
    ...process.env,
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email
  };
  const commit = await runGit(repoDir, ['commit-tree', '--no-gpg-sign', tree, '-p', head, '-F', '-'], { env: identity, input: commitMessage(files, tests) });
  const sha = commit.stdout.trim();
  if (commit.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(sha)) return { problem: `git commit-tree failed: ${commit.stderr.trim()}.` };
  return { sha };
}

/** Pushes without hooks (a pre-push hook running the suite is not this commit's business). */
async function push(repoDir: string, sha: string, target: PushTarget): Promise<string | undefined> {
  const env = target.token && isHttpRemote(target.remoteUrl) ? tokenAuthEnv(process.env, target.remoteUrl, target.token) : process.env;
  const result = await runGit(repoDir, ['push', '--no-verify', target.remote, `${sha}:refs/heads/${target.branch}`], { env, timeoutMs: PUSH_TIMEOUT_MS });
  if (result.exitCode === 0) return undefined;
  const said = redactToken(result.stderr.trim() || (result.timedOut ? 'the push timed out' : `exit ${result.exitCode}`), target.token);
  return `pushing to ${target.branch} on ${target.remote} failed: ${explainPushFailure(said, target.branch)} (git said: ${lastLines(said)}).`;
}

export function explainPushFailure(stderr: string, branch: string): string {
  if (/non-fast-forward|fetch first|\[rejected\]|stale info/i.test(stderr)) {
    return `${branch} moved on since this run checked it out (a newer push); the tests were generated for an older commit. Run the workflow again on the new head.`;
  }
  if (/protected branch|GH006|GH013|rule violations/i.test(stderr)) {
    return `${branch} is protected against this push. Use \`on-accepted: artifact\`, or allow the workflow's token to push to the branch.`;
  }
  if (/\b403\b|\b401\b|permission to .* denied|write access to repository not granted|authentication failed|could not read username|terminal prompts disabled/i.test(stderr)) {
    return 'the token may not push to this repository. Give the job `permissions: contents: write` (or pass a token that can push in github-token).';
  }
  return 'see git\'s message.';
}

function commitMessage(files: string[], tests: readonly AcceptedTest[]): string {
  const targets = new Map(tests.map((t) => [t.testFile, t.targetFile]));
  const subject = files.length === 1 ? `test: add generated tests for ${targets.get(files[0]!) ?? files[0]}` : `test: add ${files.length} generated test files`;
  const lines = files.map((f) => `- ${f}${targets.has(f) ? ` (for ${targets.get(f)})` : ''}`);
  return `${subject}\n\nGenerated by aqe/local-inference with a local model. Each file passed on its own and with the\nsuite, and raised the coverage of the pull request's changed code:\n\n${lines.join('\n')}\n`;
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function lastLines(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' / ');
}

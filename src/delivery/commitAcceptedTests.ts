import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AcceptedTest } from './AcceptedTest.js';
import { buildAcceptedCommit, repositoryPath, type GitIdentity } from './buildAcceptedCommit.js';
import { openCommitSandbox, SandboxError, type CommitSandbox } from './commitSandbox.js';
import { checkoutGit, runGit } from './deliveryGit.js';
import { isHttpRemote, redactToken, tokenAuthEnv } from './gitTokenAuth.js';
import type { PushTarget, PushTargetResolution } from './resolvePushTarget.js';
import { writeAcceptedTests } from './writeAcceptedTests.js';

export type { GitIdentity } from './buildAcceptedCommit.js';

/** The identity GitHub shows for commits a workflow makes with its own token. */
export const GITHUB_ACTIONS_BOT: GitIdentity = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com'
};

export interface CommitRequest {
  repoDir: string;
  /** Holds the commit's own git directory and index; removed afterwards. */
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
 * Generated tests have run in this checkout, so its git configuration, hooks and index are not
 * trusted: the commit is built in a git directory of aqe's own (commitSandbox) from HEAD's tree
 * and the accepted contents, so whatever is staged or changed in the working tree is neither
 * committed nor touched. Only after the push succeeded is the checkout moved to the new commit,
 * so a failure leaves no local commit.
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

  await mkdir(request.tempDir, { recursive: true });
  const work = await mkdtemp(path.join(request.tempDir, 'aqe-commit-'));
  try {
    let sandbox: CommitSandbox;
    try {
      sandbox = await openCommitSandbox(repoDir, work);
    } catch (error) {
      if (error instanceof SandboxError) return notCommitted(error.message);
      throw error;
    }
    const head = sandbox.head;
    if (!head) return notCommitted(`${repoDir} is not a git checkout with a commit to build on.`);
    if (target.expectedHead && head !== target.expectedHead) {
      return notCommitted(
        `the checkout is at ${short(head)}, not at the pull request's head commit ${short(target.expectedHead)} (by default actions/checkout checks out a merge commit, and committing on it would merge the base branch into ${target.branch}). Check out the branch itself: actions/checkout with \`ref: \${{ github.head_ref }}\`.`
      );
    }
    const accepted = request.tests.filter((t) => written.includes(t.testFile));
    const built = await buildAcceptedCommit({
      sandbox,
      head,
      tests: accepted,
      author: request.author ?? GITHUB_ACTIONS_BOT,
      message: commitMessage(written, request.tests)
    });
    if ('problem' in built) return notCommitted(built.problem);
    const pushProblem = await push(repoDir, sandbox, built.sha, target);
    if (pushProblem) return notCommitted(pushProblem);
    const moveProblem = await moveCheckout(repoDir, sandbox, head, built.sha, written);
    if (moveProblem)
      warn(`on-accepted: commit: ${short(built.sha)} was pushed to ${target.branch}, but the local checkout could not be moved to it: ${moveProblem}`);
    return { written, committed: { sha: built.sha, branch: target.branch } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The branch has the commit; the checkout follows, so later steps see what was pushed: HEAD
 * moves (hooks off), and the index entries of the new files are taken from the commit. That
 * index update runs in the sandbox against the checkout's index, because updating an index
 * re-reads files through the clean filters the checkout's config and .gitattributes name.
 */
async function moveCheckout(repoDir: string, sandbox: CommitSandbox, head: string, sha: string, written: string[]): Promise<string | undefined> {
  const moved = await checkoutGit(repoDir, ['update-ref', '-m', 'aqe: accepted tests', 'HEAD', sha, head]);
  if (moved.exitCode !== 0) return moved.stderr.trim() || `git update-ref exited ${moved.exitCode}`;
  const paths = written.map((f) => repositoryPath(sandbox, f));
  const reset = await sandbox.git(['--literal-pathspecs', 'reset', '--quiet', '--no-refresh', sha, '--', ...paths], {
    cwd: sandbox.toplevel,
    extraEnv: { GIT_INDEX_FILE: sandbox.checkoutIndex, GIT_WORK_TREE: sandbox.toplevel }
  });
  return reset.exitCode === 0 ? undefined : `HEAD is at it, but the index entries of the new files were not updated (git reset said: ${reset.stderr.trim()})`;
}

/**
 * Pushes without hooks (a pre-push hook running the suite is not this commit's business). To the
 * event's repository from the sandbox, where no configuration can redirect the URL or see the
 * token; to an upstream (the CLI) from the checkout, with the user's own configuration.
 */
async function push(repoDir: string, sandbox: CommitSandbox, sha: string, target: PushTarget): Promise<string | undefined> {
  const args = ['push', '--no-verify', target.remote, `${sha}:refs/heads/${target.branch}`];
  const auth = target.token && isHttpRemote(target.remoteUrl);
  const result =
    target.kind === 'event'
      ? await sandbox.git(args, { extraEnv: auth ? tokenAuthEnv({}, target.remoteUrl, target.token!) : {}, timeoutMs: PUSH_TIMEOUT_MS })
      : await runGit(repoDir, args, { env: auth ? tokenAuthEnv(process.env, target.remoteUrl, target.token!) : process.env, timeoutMs: PUSH_TIMEOUT_MS });
  if (result.exitCode === 0) return undefined;
  const said = redactToken(result.stderr.trim() || (result.timedOut ? 'the push timed out' : `exit ${result.exitCode}`), target.token);
  return `pushing to ${target.branch} on ${target.label} failed: ${explainPushFailure(said, target.branch)} (git said: ${lastLines(said)}).`;
}

export function explainPushFailure(stderr: string, branch: string): string {
  if (/non-fast-forward|fetch first|\[rejected\]|stale info/i.test(stderr)) {
    return `${branch} moved on since this run checked it out (a newer push); the tests were generated for an older commit. Run the workflow again on the new head.`;
  }
  if (/protected branch|GH006|GH013|rule violations/i.test(stderr)) {
    return `${branch} is protected against this push. Use \`on-accepted: artifact\`, or allow the workflow's token to push to the branch.`;
  }
  if (
    /\b403\b|\b401\b|permission to .* denied|write access to repository not granted|authentication failed|could not read username|terminal prompts disabled/i.test(
      stderr
    )
  ) {
    return 'the token may not push to this repository. Give the job `permissions: contents: write` (or pass a token that can push in github-token).';
  }
  return "see git's message.";
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
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3)
    .join(' / ');
}

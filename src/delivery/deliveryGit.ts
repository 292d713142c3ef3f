import { runProcess, type ProcessResult } from '../process/runProcess.js';

export interface GitCall {
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Runs git for delivery and returns its result whatever the exit code: a failed push is an
 * outcome to explain, not an exception. Git never waits for a password here (a prompt on a CI
 * runner hangs until the limit), and its messages are kept in English so they can be recognised.
 */
export function runGit(repoDir: string, args: readonly string[], call: GitCall = {}): Promise<ProcessResult> {
  return runProcess({
    command: 'git',
    args,
    cwd: repoDir,
    env: { ...(call.env ?? process.env), GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', LC_ALL: 'C' },
    timeoutMs: call.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(call.input !== undefined ? { input: call.input } : {})
  });
}

/** The trimmed stdout of a git call that must succeed; anything else ends in `undefined`. */
export async function gitValue(repoDir: string, args: readonly string[], call: GitCall = {}): Promise<string | undefined> {
  const result = await runGit(repoDir, args, call);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Config given on the command line outranks the repository's, so these switch off the parts of a
 * checkout's .git/config and .git/hooks that run programs, for the few git calls aqe still makes
 * in the checkout after generated tests have run there (reading HEAD, moving it, resetting the
 * index entries of the new files). None of those calls needs a hook or a file system monitor.
 */
export const CHECKOUT_HARDENING: readonly string[] = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** Names of variables that carry credentials on a runner: the token input, the cache and OIDC tokens, anything named like a secret. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|CREDENTIAL|^INPUT_|^ACTIONS_/i;

/** The environment without its credentials, for git calls that need none (a program they start inherits it). */
export function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !SECRET_NAME.test(name)));
}

/** A local git call in the checkout: its hooks and monitor off, no credential in its environment. */
export function checkoutGit(repoDir: string, args: readonly string[], call: GitCall = {}): Promise<ProcessResult> {
  return runGit(repoDir, [...CHECKOUT_HARDENING, ...args], { ...call, env: withoutSecrets(call.env ?? process.env) });
}

export async function checkoutGitValue(repoDir: string, args: readonly string[], call: GitCall = {}): Promise<string | undefined> {
  const result = await checkoutGit(repoDir, args, call);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

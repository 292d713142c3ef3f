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

import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseFileCommand, prepareActionRun, type RunnerDirs } from './actionHarness.js';

/** How a started action ended, with what it wrote through the runner's file commands. */
export interface SignalledRunEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When it exited, as Date.now(). */
  endedAt: number;
  outputs: Record<string, string>;
  summary: string;
}

export interface StartedAction {
  child: ChildProcess;
  /** stdout so far: a test waits on it for a stage to begin. */
  output: () => string;
  ended: Promise<SignalledRunEnd>;
}

/**
 * Starts dist/<entry> as the runner does (the same environment as runAction) but hands back the
 * child, so a test can signal it mid-run as a cancelled job's runner does. Not detached: the test
 * signals the action's own process, and whatever the action started is the action's to stop.
 */
export async function startAction(
  dirs: RunnerDirs,
  options: { inputs: Record<string, string>; event: unknown; apiUrl: string; entry?: string; extraEnv?: NodeJS.ProcessEnv }
): Promise<StartedAction> {
  const { files, env, script } = await prepareActionRun(dirs, options);
  const child = spawn(process.execPath, [script], {
    cwd: dirs.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const ended = new Promise<SignalledRunEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      const endedAt = Date.now();
      void Promise.all([readFile(files.output, 'utf8'), readFile(files.summary, 'utf8')]).then(
        ([output, summary]) => resolve({ exitCode, signal, stdout, stderr, endedAt, outputs: parseFileCommand(output), summary }),
        reject
      );
    });
  });
  return { child, output: () => stdout, ended };
}

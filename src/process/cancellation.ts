import { existsSync, rmSync } from 'node:fs';

/**
 * The run's cancellation, process-wide: a cancelled GitHub job (SIGINT, then SIGTERM ~7.5 s
 * later, then SIGKILL) or Ctrl-C. Once cancelled, every process runProcess has running is
 * stopped (its whole group: SIGTERM, then SIGKILL after the grace), every later runProcess call
 * rejects at once, and work that starts no process (model generation) sees the AbortSignal or
 * throwIfCancelled. Everything unwinds with RunCancelledError, which no stage may turn into a
 * verdict on a candidate: a stopped run says nothing about the test it was running.
 */

/** The signals that cancel a run. */
export type CancelSignal = 'SIGINT' | 'SIGTERM';

/** Grace period between SIGTERM and SIGKILL for a process that is being stopped. */
export const KILL_GRACE_MS = 2000;

export class RunCancelledError extends Error {
  override readonly name = 'RunCancelledError';
  /** `what`: where it was and what became of it, when the caller knows more than that the run stopped. */
  constructor(
    readonly signal: CancelSignal,
    what = ': every process it started was stopped and nothing further was done'
  ) {
    super(`The run was cancelled by ${signal}${what}. Run it again to finish it.`);
  }
}

/** A process runProcess started, as cancellation needs it: a way to signal its group, and when it has closed. */
export interface TrackedProcess {
  killGroup(signal: NodeJS.Signals): void;
  readonly closed: Promise<void>;
}

let cancelledBy: CancelSignal | undefined;
let controller = new AbortController();
const running = new Set<TrackedProcess>();
const scratchDirectories = new Set<string>();

/** The signal that cancelled the run, or undefined while it runs on. */
export function runCancelledBy(): CancelSignal | undefined {
  return cancelledBy;
}

export function throwIfCancelled(): void {
  if (cancelledBy !== undefined) throw new RunCancelledError(cancelledBy);
}

/** Aborted (with a RunCancelledError as its reason) when the run is cancelled: for work that starts no process. */
export function cancellationSignal(): AbortSignal {
  return controller.signal;
}

/**
 * Marks the run cancelled and stops every process runProcess has running: SIGTERM to each
 * group, SIGKILL to those still there after the grace. Resolves when all of them have closed.
 */
export function cancelRun(signal: CancelSignal, graceMs = KILL_GRACE_MS): Promise<void> {
  if (cancelledBy === undefined) {
    cancelledBy = signal;
    controller.abort(new RunCancelledError(signal));
  }
  const stopping = [...running];
  for (const p of stopping) p.killGroup('SIGTERM');
  if (stopping.length === 0) return Promise.resolve();
  const escalate = setTimeout(() => {
    for (const p of stopping) p.killGroup('SIGKILL');
  }, graceMs);
  return Promise.all(stopping.map((p) => p.closed)).then(() => clearTimeout(escalate));
}

/** Called by runProcess for each process it starts (after checking the run is not cancelled); the returned function is called when it has closed. */
export function trackProcess(p: TrackedProcess): () => void {
  running.add(p);
  return () => running.delete(p);
}

/** Resolves once no process runProcess started is running any more (those that start meanwhile included). */
export async function processesSettled(): Promise<void> {
  while (running.size > 0) await Promise.all([...running].map((p) => p.closed));
}

/**
 * A directory (a run's scratch area) that a forced stop removes on the way out, for as long as
 * the returned function has not been called. The run removes it itself when it unwinds; this is
 * for a second signal, or a run that does not unwind in time.
 */
export function removeOnForcedStop(dir: string): () => void {
  scratchDirectories.add(dir);
  return () => scratchDirectories.delete(dir);
}

/**
 * The last resort before exiting at once: SIGKILL to every process group still running and the
 * scratch directories removed, synchronously, since nothing asynchronous runs after process.exit.
 */
export function forceStop(): void {
  for (const p of running) p.killGroup('SIGKILL');
  // SIGKILL lands within milliseconds, but until it has, a dying test process may still create files in the
  // directory being removed: remove again until it is gone, for at most a second.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const dir of scratchDirectories) {
    for (let attempt = 0; attempt < 20 && existsSync(dir); attempt++) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // still being written to, or held by a process in uninterruptible sleep: try again
      }
      if (existsSync(dir)) Atomics.wait(pause, 0, 0, 50);
    }
  }
  scratchDirectories.clear();
}

/** Back to a run that is not cancelled: for tests, which run many pipelines in one process. */
export function resetCancellation(): void {
  cancelledBy = undefined;
  controller = new AbortController();
}

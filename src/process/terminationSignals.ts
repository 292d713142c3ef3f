import { constants } from 'node:os';
import { type CancelSignal, cancelRun, forceStop } from './cancellation.js';

/**
 * How long a cancelled run may take to unwind (stop its processes, remove its scratch copy,
 * write its report) before it is stopped at once. A cancelled GitHub job sends SIGTERM 7.5 s
 * after SIGINT and SIGKILL soon after; `docker stop` and `timeout` give 10 s.
 */
export const CANCEL_DEADLINE_MS = 5000;

/** What a process ended by `signal` exits with, as a shell reports it (130 for SIGINT, 143 for SIGTERM). */
export function exitCodeFor(signal: CancelSignal): number {
  return 128 + constants.signals[signal];
}

export interface TerminationHandling {
  /** Removes the handlers and the deadline: call it when the run has ended, cancelled or not. */
  release(): void;
}

/**
 * While a run goes on, SIGINT and SIGTERM cancel it (cancelRun) so that it unwinds and reports
 * what finished; a second signal, or a run still unwinding after `deadlineMs`, ends the process
 * at once: every process group killed, the scratch directories removed, exit 128+signal.
 */
export function cancelOnTerminationSignals(log: (message: string) => void, deadlineMs = CANCEL_DEADLINE_MS): TerminationHandling {
  let first: CancelSignal | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const exitNow = (signal: CancelSignal, why: string): void => {
    log(`${why}: stopping at once.`);
    forceStop();
    process.exit(exitCodeFor(signal));
  };
  const onSignal = (signal: CancelSignal): void => {
    if (first !== undefined) {
      exitNow(signal, `${signal} received while the run was being cancelled`);
      return;
    }
    first = signal;
    log(`${signal} received: cancelling the run (its test processes are stopped, its scratch copy removed, and the report of what finished is written).`);
    deadline = setTimeout(() => exitNow(signal, `The cancelled run did not stop within ${Math.round(deadlineMs / 1000)} s`), deadlineMs);
    void cancelRun(signal);
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    release: () => {
      clearTimeout(deadline);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  };
}
